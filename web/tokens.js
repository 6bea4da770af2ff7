// The API tokens section of the settings page: make a token (shown once, to paste into
// `recorder login --paste-token`) and revoke one, through the API with the session's CSRF
// token. Writes go through api.js, at this file's version.
const { send } = await import(`./api.js${new URL(import.meta.url).search}`);
const status = document.getElementById('token-status');
const list = document.querySelector('ul.tokens');

document.getElementById('token-form')?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const made = await send('POST', '/api/v1/tokens', { label: form.elements.label.value });
    const secret = document.getElementById('token-secret');
    secret.value = made.token;
    document.getElementById('token-made').hidden = false;
    secret.select();
    // Written as text, never as HTML: the label is the user's.
    const item = document.createElement('li');
    item.dataset.token = made.token_id;
    const label = document.createElement('strong');
    label.textContent = made.label;
    const revoke = document.createElement('button');
    revoke.type = 'button';
    revoke.dataset.action = 'revoke';
    revoke.textContent = 'Revoke';
    item.append(label, ' · made just now ', revoke);
    list.append(item);
    document.getElementById('no-tokens')?.remove();
    status.textContent = `Made: ${made.label}. Copy it now; it is not shown again.`;
    form.reset();
  } catch (error) {
    status.textContent = error.message;
  }
});

list?.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action=revoke]');
  if (!button) return;
  const item = button.closest('li');
  try {
    await send('DELETE', `/api/v1/tokens/${encodeURIComponent(item.dataset.token)}`);
    status.textContent = `Revoked: ${item.querySelector('strong').textContent}.`;
    item.remove();
  } catch (error) {
    status.textContent = error.message;
  }
});
