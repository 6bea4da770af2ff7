// The webhooks section of the settings page, for admins: add and remove endpoints through the
// API with the session's CSRF token. A new webhook joins the list at once (its secret shown
// once, beside the form); what the server sends it shows on the next visit.
// Writes go through api.js, at this file's version.
const { send } = await import(`./api.js${new URL(import.meta.url).search}`);
const status = document.getElementById('webhook-status');

const form = document.getElementById('webhook-form');
form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const events = [...form.querySelectorAll('input[name=events]:checked')].map((box) => box.value);
  const format = form.querySelector('input[name=format]:checked')?.value;
  try {
    const hook = await send('POST', '/api/v1/webhooks', { url: form.elements.url.value, events, format });
    document.getElementById('webhook-secret').value = hook.secret;
    document.getElementById('webhook-made').hidden = false;
    // Written as text, never as HTML: the URL is the user's.
    const item = document.createElement('li');
    item.dataset.webhook = hook.id;
    const url = document.createElement('strong');
    url.textContent = hook.url;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.dataset.action = 'remove';
    remove.textContent = 'Remove';
    const nothing = document.createElement('p');
    nothing.className = 'deliveries';
    nothing.textContent = 'Nothing sent yet.';
    const shape = hook.format === 'chat' ? 'chat text' : 'signed JSON';
    item.append(url, ` · ${hook.events.join(', ')} · ${shape} `, remove, nothing);
    document.querySelector('ul.webhooks').append(item);
    document.getElementById('no-webhooks')?.remove();
    status.textContent = `Added: ${hook.url}.`;
    form.reset();
  } catch (error) {
    status.textContent = error.message;
  }
});

document.querySelector('ul.webhooks')?.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action=remove]');
  if (!button) return;
  const item = button.closest('li[data-webhook]');
  if (!confirm(`Remove the webhook to ${item.querySelector('strong').textContent}?`)) return;
  try {
    await send('DELETE', `/api/v1/webhooks/${item.dataset.webhook}`);
    item.remove();
    status.textContent = 'Removed.';
  } catch (error) {
    status.textContent = error.message;
  }
});
