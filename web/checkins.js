// Check-ins: making one (/checkins), changing, pausing, resuming and removing one
// (/checkins/{id}) — each a call to the JSON API, then the page shown as it now is.
// Requests go through api.js, at this file's version.
const { send } = await import(`./api.js${new URL(import.meta.url).search}`);

for (const form of document.querySelectorAll('form.checkin-form')) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save(form);
  });
}

// The form's check-in made (POST), or changed (PATCH, when the form names one).
async function save(form) {
  const id = form.dataset.checkinId;
  const status = form.querySelector('[role=status]');
  const data = new FormData(form);
  const body = {
    title: data.get('title'),
    questions: data.getAll('question').map((q) => q.trim()).filter(Boolean),
    days: data.getAll('day'),
    ask_at: data.get('ask') === 'time' ? data.get('ask_time') : 'start',
    answer_within_minutes: Number(data.get('answer_within_minutes')),
  };
  // Everyone is `members` left out when made, and `null` when changed back to everyone.
  if (data.get('who') === 'named') body.members = data.getAll('member');
  else if (id) body.members = null;
  try {
    const saved = id
      ? await send('PATCH', `/api/v1/checkins/${id}`, body)
      : await send('POST', '/api/v1/checkins', body);
    location.href = `/checkins/${saved.id}`;
  } catch (error) {
    status.textContent = error.message;
  }
}

const actions = document.querySelector('[data-checkin]');
actions?.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const id = actions.dataset.checkin;
  const status = actions.querySelector('.status');
  try {
    if (button.dataset.action === 'remove') {
      if (!confirm('Remove this check-in with all its rounds and answers?')) return;
      await send('DELETE', `/api/v1/checkins/${id}`);
      location.href = '/checkins';
      return;
    }
    await send('POST', `/api/v1/checkins/${id}/${button.dataset.action}`);
    location.reload();
  } catch (error) {
    status.textContent = error.message;
  }
});
