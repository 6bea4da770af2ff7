// The dashboard: sign out (a write: it sends the session's CSRF token).
const csrf = document.querySelector('meta[name=csrf-token]')?.content;
document.getElementById('sign-out')?.addEventListener('click', async () => {
  await fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
  location.href = '/login';
});
