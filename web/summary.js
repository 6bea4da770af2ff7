// A message's summary, for its owner: write it (theirs from then on), clear it, or ask the model
// on this server to summarise again. The panel is a live part (live.js swaps it as the summary
// changes), so its controls are listened to through the document rather than held.
// Requests go through api.js, at this file's version.
const { send } = await import(`./api.js${new URL(import.meta.url).search}`);

// live.js leaves a part alone while focus is inside it; once the owner's change is sent, focus
// leaves the panel so the new version can come in, and returns to its heading when it has.
let refocus = false;
const refresh = () => {
  refocus = true;
  document.activeElement?.blur();
  document.dispatchEvent(new Event('offbeat-refresh'));
};
document.addEventListener('offbeat-updated', (event) => {
  if (refocus && event.detail.some((part) => part.id === 'summary')) {
    refocus = false;
    document.getElementById('summary-heading')?.focus();
  }
});
const group = () => document.querySelector('.summary-actions');
const say = (text) => { const status = group()?.querySelector('.status'); if (status) status.textContent = text; };

document.addEventListener('submit', async (event) => {
  const form = event.target.closest('#summary-form');
  if (!form) return;
  event.preventDefault();
  try {
    await send('PATCH', group().dataset.url, { summary: form.elements.summary.value });
    say('Saved.');
    refresh();
  } catch (error) {
    say(`Not saved: ${error.message}`);
  }
});

document.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-summary-action]');
  if (!button) return;
  const url = group().dataset.url;
  try {
    if (button.dataset.summaryAction === 'clear') {
      if (!confirm('Clear the summary? None is shown until you ask for one again.')) return;
      await send('DELETE', url);
      say('Cleared.');
    } else {
      await send('POST', url.replace('/summary', '/summary/regenerate'));
      say('Summarising again…');
    }
    refresh();
  } catch (error) {
    say(error.message);
  }
});
