// The members page, for admins: invite links, roles, removal — each a call to the API with
// the session's CSRF token, then the page shown again as it now is.
// Writes go through api.js, at this file's version.
const { send } = await import(`./api.js${new URL(import.meta.url).search}`);
const status = document.getElementById('member-status');

async function act(work) {
  try {
    await work();
    location.reload();
  } catch (error) {
    status.textContent = error.message;
  }
}

document.querySelector('table.members')?.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const row = button.closest('tr[data-member]');
  const id = row.dataset.member;
  const name = row.cells[0].textContent;
  switch (button.dataset.action) {
    case 'promote': return act(() => send('PATCH', `/api/v1/members/${id}`, { admin: true }));
    case 'demote': return act(() => send('PATCH', `/api/v1/members/${id}`, { admin: false }));
    case 'remove':
      if (confirm(`Remove ${name}? They are signed out at once; their messages stay.`)) {
        return act(() => send('DELETE', `/api/v1/members/${id}`));
      }
  }
});

document.querySelector('ul.invites')?.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action=revoke]');
  if (!button) return;
  const id = button.closest('li[data-invite]').dataset.invite;
  act(() => send('DELETE', `/api/v1/invites/${id}`));
});

const form = document.getElementById('invite-form');
form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = {};
  if (form.elements.email.value) body.email = form.elements.email.value;
  if (form.elements.expires_in_days.value) body.expires_in_days = Number(form.elements.expires_in_days.value);
  if (form.elements.max_uses.value) body.max_uses = Number(form.elements.max_uses.value);
  try {
    const invite = await send('POST', '/api/v1/invites', body);
    document.getElementById('invite-url').value = invite.url;
    document.getElementById('invite-made').hidden = false;
    status.textContent = invite.mailed
      ? `Invitation mailed to ${invite.email}. The link is also shown here, only now.`
      : invite.mail_error
        ? `Invite link made, but it could not be mailed (${invite.mail_error}): send it yourself — it is shown only now.`
        : 'Invite link made: it is shown only now.';
  } catch (error) {
    status.textContent = error.message;
  }
});

document.getElementById('invite-copy')?.addEventListener('click', async () => {
  const url = document.getElementById('invite-url');
  url.select();
  await navigator.clipboard?.writeText(url.value).catch(() => {});
});
