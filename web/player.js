// The playback page: waveform, speed, skip-silences, transcript sync and search, moments,
// keyboard control, text replies. Everything it shows came escaped from the server; what it
// adds itself goes in as text, never as HTML.
const page = document.querySelector('main.clip');
const media = document.getElementById('media');
const share = page.dataset.share ? `?share=${page.dataset.share}` : '';
// Requests go through api.js, at this file's version.
const { csrf, request, send } = await import(`./api.js${new URL(import.meta.url).search}`);

// Speed, remembered per viewer.
const speeds = [...document.querySelectorAll('[data-speed]')];
function setSpeed(rate) {
  media.playbackRate = rate;
  for (const b of speeds) b.setAttribute('aria-pressed', String(Number(b.dataset.speed) === rate));
  try { localStorage.setItem('offbeat.speed', String(rate)); } catch { /* private mode */ }
}
for (const b of speeds) b.addEventListener('click', () => setSpeed(Number(b.dataset.speed)));
setSpeed(Number(localStorage.getItem('offbeat.speed')) || 1);
media.addEventListener('loadedmetadata', () => setSpeed(Number(localStorage.getItem('offbeat.speed')) || 1));

// Waveform from the stored peaks: progress, click or drag to seek, arrows when focused.
const canvas = document.querySelector('canvas.waveform');
let peaks = [], silences = [], durationMs = Number(page.dataset.durationMs) || 0;
function draw() {
  const ctx = canvas.getContext('2d');
  const w = canvas.width = canvas.clientWidth * devicePixelRatio;
  const h = canvas.height = canvas.clientHeight * devicePixelRatio;
  ctx.clearRect(0, 0, w, h);
  const played = durationMs ? (media.currentTime * 1000) / durationMs : 0;
  const bars = Math.max(1, Math.floor(w / (3 * devicePixelRatio)));
  for (let i = 0; i < bars; i++) {
    const from = Math.floor((i / bars) * peaks.length), to = Math.max(from + 1, Math.floor(((i + 1) / bars) * peaks.length));
    let v = 0;
    for (let j = from; j < to && j < peaks.length; j++) v = Math.max(v, peaks[j]);
    const bh = Math.max(1, (v / 255) * h);
    ctx.fillStyle = i / bars < played ? '#3b5bdb' : '#c7c7cc';
    ctx.fillRect(i * 3 * devicePixelRatio, (h - bh) / 2, 2 * devicePixelRatio, bh);
  }
  // Chapters (from the summary, which may arrive while the page is open) mark where they start.
  ctx.fillStyle = getComputedStyle(canvas).getPropertyValue('--chapter') || '#e8590c';
  for (const c of document.querySelectorAll('.chapters [data-start-ms]')) {
    const at = Number(c.dataset.startMs);
    if (at > 0 && durationMs) ctx.fillRect(Math.round((at / durationMs) * w) - devicePixelRatio, 0, 2 * devicePixelRatio, h);
  }
  // Reactions at moments of the message (they may arrive while the page is open) mark them too.
  const reacted = document.querySelectorAll('#message-reactions [data-at-ms]');
  ctx.fillStyle = getComputedStyle(canvas).getPropertyValue('--reaction') || '#2f9e44';
  ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const r of reacted) {
    const x = durationMs ? Math.round((Number(r.dataset.atMs) / durationMs) * w) : 0;
    ctx.fillRect(x - devicePixelRatio / 2, 14 * devicePixelRatio, devicePixelRatio, h - 14 * devicePixelRatio);
    ctx.fillText(r.dataset.emoji, Math.min(Math.max(x, 7 * devicePixelRatio), w - 7 * devicePixelRatio), 0);
  }
  canvas.dataset.reactionMarks = String(reacted.length);
  canvas.setAttribute('aria-valuenow', String(Math.round(media.currentTime)));
}
document.addEventListener('offbeat-updated', draw);
function seekToX(clientX) {
  const r = canvas.getBoundingClientRect();
  const f = Math.min(1, Math.max(0, (clientX - r.left) / r.width));
  media.currentTime = (f * durationMs) / 1000;
  draw();
}
canvas.addEventListener('pointerdown', e => { canvas.setPointerCapture(e.pointerId); seekToX(e.clientX); });
canvas.addEventListener('pointermove', e => { if (e.buttons) seekToX(e.clientX); });
canvas.addEventListener('keydown', e => {
  if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
    media.currentTime = Math.max(0, media.currentTime + (e.key === 'ArrowRight' ? 5 : -5));
    e.preventDefault();
  }
});
fetch(page.dataset.peaks).then(r => r.ok ? r.json() : null).then(p => {
  if (!p) return;
  peaks = p.peaks; silences = p.silences_ms || []; durationMs = p.duration_ms || durationMs;
  canvas.setAttribute('aria-valuemax', String(Math.round(durationMs / 1000)));
  draw();
});
addEventListener('resize', draw);

// `?t=12.5` (from a search result, a mail) starts at that moment — of the reply `?r=` names,
// when it does (a mail about an answer to that reply at a moment).
const opened = new URLSearchParams(location.search);
const startAt = Number(opened.get('t'));
const startIn = (opened.get('r') && document.getElementById(`m-${opened.get('r')}`)) || media;
if (startAt > 0) {
  const seek = () => { startIn.currentTime = startAt; };
  if (startIn.readyState >= 1) seek(); else startIn.addEventListener('loadedmetadata', seek, { once: true });
}

// A reply recorded with the button on this page: the conversation shows it (live.js).
document.addEventListener('offbeat-recorded', () => document.dispatchEvent(new Event('offbeat-refresh')));

// Skip silences found at ingest.
const skip = document.getElementById('skip-silences');
// Transcript: highlight the current segment, click to seek (chapters too), search. The transcript may arrive
// while the page is open (live.js swaps it in), so its lines are looked up, not kept.
const lines = () => document.querySelectorAll('.transcript [data-start-ms]');
let current = null;
media.addEventListener('timeupdate', () => {
  const ms = media.currentTime * 1000;
  if (skip?.checked) {
    const gap = silences.find(([a, b]) => ms >= a && ms < b - 100);
    if (gap) media.currentTime = gap[1] / 1000;
  }
  let now = null;
  for (const l of lines()) if (Number(l.dataset.startMs) <= ms + 50) now = l;
  if (now !== current) {
    current?.classList.remove('current');
    now?.classList.add('current');
    current = now;
  }
  draw();
});
document.addEventListener('click', e => {
  const line = e.target.closest('.transcript [data-start-ms], .chapters [data-start-ms]');
  if (!line) return;
  media.currentTime = Number(line.dataset.startMs) / 1000;
  media.play().catch(() => {});
});
document.addEventListener('input', e => {
  if (!e.target.matches('.transcript input')) return;
  const q = e.target.value.trim().toLowerCase();
  for (const l of lines()) l.closest('li').hidden = q !== '' && !l.textContent.toLowerCase().includes(q);
});

// "at 1:23" chips seek the clip they answer.
document.addEventListener('click', e => {
  const chip = e.target.closest('[data-seek-ms]');
  if (!chip) return;
  const target = document.getElementById(chip.dataset.target) || media;
  target.currentTime = Number(chip.dataset.seekMs) / 1000;
  target.play().catch(() => {});
});

// Times in the viewer's own zone, for people not signed in (members' come in theirs), in the
// one format every page uses: "30 Nov 2026, 14:05".
const timeFormat = new Intl.DateTimeFormat('en-US', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
function localTimes() {
  for (const t of document.querySelectorAll('time[data-viewer]')) {
    const p = Object.fromEntries(timeFormat.formatToParts(new Date(t.dateTime)).map(x => [x.type, x.value]));
    t.textContent = `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute}`;
  }
}
localTimes();
document.addEventListener('offbeat-updated', localTimes);

// Hearing a message is playing it (a preload or a fetch is not): the first play of each
// player on the page — replies that arrived since included — is reported once, for
// signed-in members.
const reported = new Set();
document.addEventListener('play', e => {
  const player = e.target;
  const url = player.dataset?.seen;
  if (!url || reported.has(url) || !csrf) return;
  reported.add(url);
  request(url, { method: 'POST' })
    .then(r => { if (!r.ok) reported.delete(url); }, () => reported.delete(url));
}, true);

// Keyboard: space plays or pauses, arrows skip 5 s, < and > change speed.
addEventListener('keydown', e => {
  if (e.target.closest('input, textarea, button, select, [contenteditable]')) return;
  if (e.key === ' ') { media.paused ? media.play() : media.pause(); e.preventDefault(); }
  else if (e.key === 'ArrowRight') media.currentTime += 5;
  else if (e.key === 'ArrowLeft') media.currentTime = Math.max(0, media.currentTime - 5);
  else if (e.key === '>' || e.key === '<') {
    const rates = speeds.map(b => Number(b.dataset.speed));
    const i = rates.indexOf(media.playbackRate);
    setSpeed(rates[Math.min(rates.length - 1, Math.max(0, i + (e.key === '>' ? 1 : -1)))]);
  }
});

// Text replies: to the message or to a reply, and at the moment playing in what is answered.
const form = document.querySelector('form.reply');
let answered = media; // the player whose moment an "at" reply points to
const moment = document.getElementById('moment');
const clockOf = s => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
// The record button answers what the text box answers: the same reply, the same moment.
const recorder = document.querySelector('offbeat-record[reply-to]');
function steerRecorder() {
  if (!recorder || !form) return;
  const parent = form.elements.parent_id.value;
  if (parent) recorder.setAttribute('parent', parent); else recorder.removeAttribute('parent');
  if (form.elements.at_moment.checked && answered) recorder.setAttribute('at-ms', String(Math.round(answered.currentTime * 1000)));
  else recorder.removeAttribute('at-ms');
  const heading = document.getElementById('record-heading');
  const who = document.querySelector('#replying-to strong')?.textContent;
  if (heading) {
    const at = recorder.hasAttribute('at-ms') ? ` at ${clockOf(Number(recorder.getAttribute('at-ms')) / 1000)}` : '';
    heading.textContent = parent ? `Or answer ${who || 'the reply'}${at} by voice, camera or screen` : `Or reply${at} by voice, camera or screen`;
  }
}
const showMoment = () => { if (moment) moment.textContent = clockOf(answered?.currentTime || 0); steerRecorder(); };
form?.elements.at_moment.addEventListener('change', steerRecorder);
document.addEventListener('timeupdate', e => { if (e.target === answered) showMoment(); }, true);
function answer(replyId, author, playerId) {
  form.elements.parent_id.value = replyId || '';
  const note = document.getElementById('replying-to');
  note.hidden = !replyId;
  note.querySelector('strong').textContent = author || '';
  answered = playerId ? document.getElementById(playerId) : (replyId ? null : media);
  const at = form.elements.at_moment;
  at.disabled = !answered;
  if (!answered) at.checked = false;
  showMoment();
  form.elements.text.focus();
}
// A voice reply went out: the next one answers the message again, like a sent text reply.
document.addEventListener('offbeat-recorded', () => { if (form) { form.elements.at_moment.checked = false; answer(null); } });
document.querySelector('.thread')?.addEventListener('click', e => {
  const button = e.target.closest('button.answer');
  if (button) answer(button.dataset.reply, button.dataset.author, button.dataset.media);
});
document.getElementById('reply-to-message')?.addEventListener('click', () => answer(null));
form?.addEventListener('submit', async e => {
  e.preventDefault();
  const data = new FormData(form);
  const body = { text: data.get('text') };
  if (data.get('guest_name')) body.guest_name = data.get('guest_name');
  if (data.get('parent_id')) body.parent_id = data.get('parent_id');
  if (data.get('at_moment') && answered) body.at_ms = Math.round(answered.currentTime * 1000);
  const status = form.querySelector('.status');
  try {
    await send('POST', `${form.dataset.action}${share}`, body);
    form.elements.text.value = '';
    form.elements.at_moment.checked = false;
    answer(null);
    status.textContent = 'Reply sent.';
    document.dispatchEvent(new Event('offbeat-refresh'));
  } catch (error) {
    status.textContent = `Could not reply: ${error.message}`;
  }
});

// The owner renames the message; authors delete their own text replies.
async function change(method, url, body) {
  try {
    await send(method, url, body);
    location.reload();
  } catch (error) {
    alert(error.message);
  }
}
const rename = document.getElementById('rename');
rename?.addEventListener('click', () => {
  const title = prompt('New title', rename.dataset.title);
  if (title && title.trim()) change('PATCH', rename.dataset.url, { title });
});
// Done with the thread (out of my inbox), or back in it.
for (const [id, method, said] of [['done', 'PUT', 'Done: out of your inbox until something new arrives.'], ['unheard', 'POST', 'Back in your inbox, unheard.']]) {
  const button = document.getElementById(id);
  button?.addEventListener('click', async () => {
    const response = await request(button.dataset.url, { method });
    button.parentElement.querySelector('.status').textContent = response.ok ? said : `failed (${response.status})`;
  });
}
document.querySelector('.thread')?.addEventListener('click', e => {
  const button = e.target.closest('button.delete-reply');
  if (button && confirm('Delete this reply?')) change('DELETE', button.dataset.url);
});
