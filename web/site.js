// Every signed-in page's header: where you are, and signing out (a write: it sends the
// session's CSRF token).
// Requests go through api.js, at this file's version.
const { request } = await import(`./api.js${new URL(import.meta.url).search}`);
for (const link of document.querySelectorAll('header.site nav a')) {
  if (link.pathname === location.pathname) link.setAttribute('aria-current', 'page');
}
document.getElementById('sign-out')?.addEventListener('click', async () => {
  await request('/api/v1/auth/logout', { method: 'POST' });
  location.href = '/login';
});

// The app is installable and keeps its shell (and sends the outbox) through a service worker.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' }).catch(() => {});
}
