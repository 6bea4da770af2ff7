// Reactions on the message page and a round's page: a tap on an emoji adds the viewer's own
// (at the moment playing, when its recording has been played or sought) or takes it back; the
// page then asks live.js to catch up, so everyone's counts come from the server.
const { send } = await import(`./api.js${new URL(import.meta.url).search}`);

document.addEventListener('click', async e => {
  const button = e.target.closest('.reactions button.reaction');
  if (!button) return;
  const bar = button.closest('.reactions');
  const url = `/api/v1/clips/${bar.dataset.message}/reactions`;
  const emoji = button.dataset.emoji;
  const player = bar.dataset.media && document.getElementById(bar.dataset.media);
  button.disabled = true;
  try {
    if (button.getAttribute('aria-pressed') === 'true') {
      await send('DELETE', `${url}?emoji=${encodeURIComponent(emoji)}`);
      button.setAttribute('aria-pressed', 'false');
    } else {
      const body = { emoji };
      // Reacting to what is playing (or was left at a moment) is reacting at that moment.
      if (player && player.currentTime > 0) body.at_ms = Math.round(player.currentTime * 1000);
      await send('POST', url, body);
      button.setAttribute('aria-pressed', 'true');
    }
  } catch (error) {
    alert(`Could not react: ${error.message}`);
  }
  button.disabled = false;
  document.dispatchEvent(new Event('offbeat-refresh'));
});
