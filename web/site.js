// Every signed-in page's header: where you are, and signing out (a write: it sends the
// session's CSRF token).
const csrf = document.querySelector('meta[name=csrf-token]')?.content;
for (const link of document.querySelectorAll('header.site nav a')) {
  if (link.pathname === location.pathname) link.setAttribute('aria-current', 'page');
}
document.getElementById('sign-out')?.addEventListener('click', async () => {
  await fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
  location.href = '/login';
});
