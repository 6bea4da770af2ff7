// The owner's trim on the message page: start and end from the playhead or typed (m:ss.s),
// a preview that plays just the part kept, then the cut (PUT …/trim). A trimmed message's
// note offers Undo (the original comes back) and Keep (the original is deleted).
const { send } = await import(`./api.js${new URL(import.meta.url).search}`);

const panel = document.getElementById('trim');
const media = document.getElementById('media');
const open = document.getElementById('trim-open');
const startField = document.getElementById('trim-start');
const endField = document.getElementById('trim-end');
const kept = document.getElementById('trim-kept');
const status = panel?.querySelector('.status');
const duration = Number(panel?.dataset.durationMs || 0);

// "1:05.3", "65.3" or "65" → milliseconds; NaN when it is not a time.
function parse(text) {
  const match = text.trim().match(/^(?:(\d+):)?(\d+(?:\.\d*)?)$/);
  if (!match) return NaN;
  return Math.round(((Number(match[1] || 0) * 60) + Number(match[2])) * 1000);
}
function format(ms) {
  const tenths = Math.max(0, Math.round(ms / 100));
  return `${Math.floor(tenths / 600)}:${String(Math.floor(tenths / 10) % 60).padStart(2, '0')}.${tenths % 10}`;
}
// The chosen part, or a reason it is not one.
function chosen() {
  const start = parse(startField.value);
  const end = parse(endField.value);
  if (Number.isNaN(start) || Number.isNaN(end)) return { error: 'Times look like 1:05.3.' };
  if (start < 0 || end > duration + 50) return { error: `Times run from 0:00.0 to ${format(duration)}.` };
  if (end - start < 500) return { error: 'Keep at least half a second.' };
  return { start, end: Math.min(end, duration) };
}
function update() {
  const part = chosen();
  kept.textContent = part.error ? '—' : format(part.end - part.start);
  status.textContent = part.error || '';
}

open?.addEventListener('click', () => {
  panel.hidden = !panel.hidden;
  open.setAttribute('aria-expanded', String(!panel.hidden));
  if (!panel.hidden) startField.focus();
});
startField?.addEventListener('input', update);
endField?.addEventListener('input', update);
document.getElementById('trim-start-here')?.addEventListener('click', () => {
  startField.value = format(media.currentTime * 1000);
  update();
});
document.getElementById('trim-end-here')?.addEventListener('click', () => {
  endField.value = format(media.currentTime * 1000);
  update();
});

// The preview plays from the start and pauses at the end.
let stopAt = null;
media?.addEventListener('timeupdate', () => {
  if (stopAt !== null && media.currentTime * 1000 >= stopAt) {
    media.pause();
    stopAt = null;
  }
});
document.getElementById('trim-preview')?.addEventListener('click', () => {
  const part = chosen();
  if (part.error) return update();
  media.currentTime = part.start / 1000;
  stopAt = part.end;
  media.play();
});
document.getElementById('trim-cancel')?.addEventListener('click', () => {
  panel.hidden = true;
  open.setAttribute('aria-expanded', 'false');
});

async function act(button, method, url, body, doing) {
  const where = button.closest('[role=note], section').querySelector('.status');
  button.disabled = true;
  where.textContent = doing;
  try {
    await send(method, url, body);
    location.reload();
  } catch (error) {
    where.textContent = `Could not do that: ${error.message}`;
    button.disabled = false;
  }
}
document.getElementById('trim-save')?.addEventListener('click', e => {
  const part = chosen();
  if (part.error) return update();
  act(e.target, 'PUT', panel.dataset.url, { start_ms: part.start, end_ms: part.end }, 'Trimming…');
});
const undo = document.getElementById('trim-undo');
undo?.addEventListener('click', () => act(undo, 'DELETE', undo.dataset.url, undefined, 'Putting the original back…'));
const keep = document.getElementById('trim-keep');
keep?.addEventListener('click', () => {
  if (confirm('Keep the trim? The original recording is deleted and the cut parts cannot come back.')) {
    act(keep, 'POST', keep.dataset.url, undefined, 'Keeping the trim…');
  }
});
