// The owner's sharing panel on a message's page: who can open it, what people with the link
// see, how long the link works, a new link, no link. Every change goes through the same API
// the command line and scripts use.
// Writes go through api.js, at this file's version.
const { send } = await import(`./api.js${new URL(import.meta.url).search}`);
const panel = document.getElementById('sharing');
const status = panel.querySelector(':scope > .status');

const form = document.getElementById('sharing-form');
form.addEventListener('submit', async e => {
  e.preventDefault();
  const data = new FormData(form);
  const body = {
    visibility: data.get('visibility'),
    outsiders_see: data.get('outsiders_see'),
    guests_may_reply: data.get('guests_may_reply') === 'on',
  };
  const expires = data.get('expires');
  if (expires !== 'keep') body.expires_at = expires ? new Date(Date.now() + Number(expires) * 86400000).toISOString() : null;
  status.textContent = 'Saving…';
  try {
    await send('PATCH', form.dataset.url, body);
    location.reload();
  } catch (err) {
    status.textContent = err.message;
  }
});

document.getElementById('copy-link')?.addEventListener('click', () => {
  const link = document.getElementById('share-link');
  navigator.clipboard?.writeText(link.value).then(() => { status.textContent = 'Link copied.'; }, () => link.select());
});

document.getElementById('rotate')?.addEventListener('click', async e => {
  try {
    const clip = await send('POST', e.currentTarget.dataset.url);
    location.href = clip.page_url; // this page's old address stopped working
  } catch (err) { status.textContent = err.message; }
});

document.getElementById('revoke')?.addEventListener('click', async e => {
  if (!confirm('Turn the link off? Anyone outside your team who has it loses access.')) return;
  const button = e.currentTarget;
  try {
    await send('DELETE', button.dataset.url);
    location.href = button.dataset.teamPage;
  } catch (err) { status.textContent = err.message; }
});
