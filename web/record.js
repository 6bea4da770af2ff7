// <offbeat-record>: record a voice, camera or screen message in the browser, upload it, and
// show its link (or post it as a reply). Attributes:
//   reply-to="CLIP_ID"   post the recording as a reply to that clip's thread
//   parent="REPLY_ID"    …answering that reply in it (absent: the clip itself)
//   at-ms="12500"        …at that moment of what it answers (read when recording starts)
//   answer-round="ID"    post the recording as the viewer's answer to a check-in's round
//   title="…"            the new clip's title (without it, a field asks; left empty, the
//                        transcript's first words become the title)
//   processing="off"     no echo cancellation, noise suppression or gain control
//   server="https://…"   the Offbeat server, when embedded in another site
//   token="…"            an API token to upload with, when embedded (the site must be one of
//                        the server's --embed-origins)
// On Offbeat's own pages it signs its uploads with the page's session (cookie + the CSRF token
// in <meta name="csrf-token">); embedded, with its token. Either way it sends the take while
// it is recorded — the link shows from the start — and keeps it in IndexedDB until the server
// confirms it (see outbox.js); takes left behind by a closed tab or a lost network are sent
// when the button next appears. Where the browser lacks IndexedDB, Web Locks or Web Crypto (an
// http:// page other than localhost), it uploads the take once it is recorded.
const MIME = { audio: 'audio/webm;codecs=opus', video: 'video/webm;codecs=vp8,opus' };
// outbox.js at the same version as this file (the pages ask for both with ?v=).
const outbox = () => import(`./outbox.js${new URL(import.meta.url).search}`);
// Signed requests go through api.js, at the same version.
const { signed } = await import(`./api.js${new URL(import.meta.url).search}`);

class OffbeatRecord extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: 'open' });
    this.server = (this.getAttribute('server') || '').replace(/\/$/, '');
    root.innerHTML = `
      <link rel="stylesheet" href="${this.server}/assets/record.css">
      <label class="title-field"${this.hasAttribute('reply-to') || this.hasAttribute('answer-round') || this.hasAttribute('title') ? ' hidden' : ''}>Title
        <input class="title" type="text" maxlength="200" placeholder="optional: the first words you say, if empty"></label>
      <div class="start" role="group" aria-label="Record a message">
        <button type="button" data-kind="mic">● Voice</button>
        <button type="button" data-kind="camera">● Camera</button>
        <button type="button" data-kind="screen">● Screen</button>
      </div>
      <div class="live" hidden>
        <video muted playsinline autoplay hidden></video>
        <meter min="0" max="1" value="0" aria-label="Input level"></meter>
        <span class="timer" role="timer" aria-live="off">0:00</span>
        <button type="button" class="stop">■ Stop</button>
        <button type="button" class="cancel">✕ Cancel</button>
      </div>
      <p class="status" role="status"></p>
      <div class="done" hidden><a class="link" target="_blank"></a> <button type="button" class="copy">Copy link</button></div>`;
    for (const b of root.querySelectorAll('[data-kind]')) b.addEventListener('click', () => this.start(b.dataset.kind));
    root.querySelector('.stop').addEventListener('click', () => this.recorder?.stop());
    root.querySelector('.cancel').addEventListener('click', () => {
      if (!this.recorder || this.recorder.state === 'inactive') return;
      this.cancelled = true;
      this.recorder.stop();
    });
    root.querySelector('.copy').addEventListener('click', () => {
      navigator.clipboard?.writeText(root.querySelector('.link').href).then(() => this.say('Link copied.'), () => {});
    });
    this.resume();
  }

  say(text) { this.shadowRoot.querySelector('.status').textContent = text; }

  /// The title as it stands: the attribute's, or what was typed (maybe while recording).
  title() { return this.getAttribute('title') || this.shadowRoot.querySelector('.title').value.trim(); }

  api(path) { return `${this.server}${path}`; }

  /// Takes are kept (in this site's IndexedDB) and streamed wherever the browser can.
  get local() { return 'indexedDB' in window && 'locks' in navigator && 'subtle' in (window.crypto || {}); }

  /// Embedded, its API token; on our own pages, the session's CSRF token (the cookie goes too).
  auth() {
    const token = this.getAttribute('token');
    return token ? { Authorization: `Bearer ${token}` } : signed();
  }

  showLink(url) {
    const link = this.shadowRoot.querySelector('.link');
    link.href = url;
    link.textContent = url;
    this.shadowRoot.querySelector('.done').hidden = false;
  }

  sender(take, Sender) {
    return new Sender(take, {
      api: p => this.api(p),
      headers: this.auth(),
      onOffline: () => {
        this.say('The server cannot be reached: the message is kept in this browser and sent when it is back.');
        // Where the browser allows, it is sent even if this tab is closed by then.
        navigator.serviceWorker?.ready.then(r => r.sync?.register('offbeat-outbox')).catch(() => {});
      },
      onOnline: () => this.say(this.recorder?.state === 'recording' ? 'Recording…' : 'Sending…'),
    });
  }

  /// Sends takes an earlier page left behind (closed mid-take, or offline at the end).
  async resume() {
    if (!this.local || !Object.keys(this.auth()).length) return;
    const { resumeLeftBehind, Sender } = await outbox();
    await resumeLeftBehind(this.server, async take => {
      this.say('Sending a message recorded earlier…');
      try {
        const clip = await this.sender(take, Sender).finish();
        await this.published(clip, null, take, 'Sent a message recorded earlier:');
      } catch (e) {
        this.say(`A message recorded earlier is kept in this browser: ${e.message}`);
      }
    });
  }

  async start(kind) {
    const root = this.shadowRoot;
    const raw = this.getAttribute('processing') === 'off';
    const audio = raw ? { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } : true;
    let stream;
    try {
      if (kind === 'screen') {
        const screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
        const mic = await navigator.mediaDevices.getUserMedia({ audio });
        stream = new MediaStream([...screen.getVideoTracks(), ...mic.getAudioTracks()]);
      } else {
        stream = await navigator.mediaDevices.getUserMedia({ audio, video: kind === 'camera' });
      }
    } catch (e) {
      this.say(`Cannot record: ${e.message}`);
      return;
    }
    const video = stream.getVideoTracks().length > 0;
    const preview = root.querySelector('video');
    preview.hidden = !video;
    if (video) preview.srcObject = stream;
    root.querySelector('.start').hidden = true;
    root.querySelector('.live').hidden = false;
    root.querySelector('.done').hidden = true;
    this.say('Recording…');

    // Level meter and timer.
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    ctx.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const meter = root.querySelector('meter'), timer = root.querySelector('.timer');
    const began = performance.now();
    const tick = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      meter.value = Math.min(1, Math.sqrt(samples.reduce((s, x) => s + x * x, 0) / samples.length) * 4);
      const s = Math.floor((performance.now() - began) / 1000);
      timer.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }, 100);

    // A poster for video: a frame from the start of the recording.
    let poster = null;
    if (video) {
      preview.addEventListener('playing', () => setTimeout(() => {
        const c = document.createElement('canvas');
        c.width = preview.videoWidth; c.height = preview.videoHeight;
        c.getContext('2d').drawImage(preview, 0, 0);
        c.toBlob(b => { poster = b; }, 'image/jpeg', 0.8);
      }, 300), { once: true });
    }

    const mime = video ? MIME.video : MIME.audio;
    const place = this.place();
    const inThread = place.replyTo || place.answerRound;
    let take = null, sender = null, finished = null;
    if (this.local) {
      const { Take, Sender, hold } = await outbox();
      // On our own pages the session's CSRF token goes with the take, so the service worker
      // can send it should this tab close first (embedded, the page's token is not kept).
      const csrf = this.getAttribute('token') ? undefined : this.auth()['X-CSRF-Token'];
      take = await Take.create({ server: this.server, title: this.title(), ...place, mime, csrf });
      sender = this.sender(take, Sender);
      finished = new Promise((ok, fail) => { this.settle = { ok, fail }; });
      hold(take, finished);
      try {
        if (await sender.open()) {
          // A reply or an answer is read in its thread: it has no link of its own to hand out.
          if (inThread) this.say(place.answerRound ? 'Recording your answer…' : 'Recording your reply…');
          else {
            this.showLink(take.pageUrl);
            this.say('Recording… the link already works:');
          }
        }
      } catch (e) {
        this.say(`Recording, but it cannot be sent: ${e.message}`);
      }
    }
    this.cancelled = false;
    const chunks = [];
    let kept = Promise.resolve();
    // Set when the browser refuses to keep a chunk: the take stops there, and is sent as kept.
    let refused = null;
    // A keyframe every two seconds (browsers that know the option; others ignore it), so a
    // camera take's trim starts its picture at most two seconds before the cut.
    this.recorder = new MediaRecorder(stream, { mimeType: mime, audioBitsPerSecond: 32000, videoKeyFrameIntervalDuration: 2000 });
    this.recorder.addEventListener('dataavailable', e => {
      if (!e.data.size) return;
      chunks.push(e.data);
      // In IndexedDB first, then on the wire.
      // A chunk the browser will not keep must not be skipped silently (the take and its upload
      // would both miss it, and agree): stop, and send what was kept.
      if (take) {
        kept = kept.then(async () => {
          if (refused) return;
          try {
            await take.add(e.data);
          } catch (err) {
            refused = err;
            if (this.recorder.state !== 'inactive') this.recorder.stop();
            return;
          }
          try { await sender.kick(); } catch { /* the sender retries on its own */ }
        });
      }
    });
    this.recorder.addEventListener('stop', async () => {
      clearInterval(tick);
      ctx.close();
      for (const t of stream.getTracks()) t.stop();
      root.querySelector('.live').hidden = true;
      if (this.cancelled) {
        try {
          await kept;
          if (sender) await sender.cancel(); else if (take) await take.remove();
          this.say('Cancelled: nothing was sent, and nobody is told.');
        } catch (e) {
          this.say(`Cancelled, but the server was not told: ${e.message}`);
        }
        this.settle?.ok();
        root.querySelector('.done').hidden = true;
        root.querySelector('.start').hidden = false;
        return;
      }
      try {
        if (sender) {
          await kept;
          this.say('Finishing…');
          const clip = await sender.finish();
          this.settle.ok();
          const done = this.doneSaying(place);
          await this.published(clip, poster, place, refused
            ? `Recording stopped early: this browser refused to keep more of it (${refused.message || refused.name}). What was kept is sent. ${done}`
            : done);
        } else {
          await this.upload(new Blob(chunks, { type: this.recorder.mimeType }), poster);
        }
      } catch (e) {
        this.settle?.fail(e);
        this.say(`Not sent: ${e.message}`);
      }
      root.querySelector('.start').hidden = false;
    });
    this.recorder.start(1000);
  }

  /// Without the outbox: the whole take, uploaded once it is recorded.
  async upload(blob, poster) {
    const title = this.title();
    this.say('Uploading…');
    const made = await fetch(this.api(`/api/v1/clips?title=${encodeURIComponent(title)}`), { method: 'POST', headers: this.auth(), body: blob });
    const clip = await made.json().catch(() => null);
    if (!made.ok) { this.say(clip?.error?.message || `Upload failed (${made.status})`); return; }
    const place = this.place();
    await this.published(clip, poster, place, this.doneSaying(place));
  }

  /// Where the recording goes: a reply in a thread, an answer in a check-in's round, or (both
  /// absent) a message of its own.
  place() {
    const atMs = this.getAttribute('at-ms');
    return {
      replyTo: this.getAttribute('reply-to'),
      parent: this.getAttribute('parent'),
      atMs: atMs === null || atMs === '' ? null : Number(atMs),
      answerRound: this.getAttribute('answer-round'),
    };
  }

  doneSaying({ replyTo, answerRound }) {
    return answerRound ? 'Answer posted.' : replyTo ? 'Reply posted.' : 'Ready to share:';
  }

  /// The clip is stored: its poster, its place in a thread or a round, its link.
  async published(clip, poster, { replyTo, parent, atMs, answerRound }, message) {
    const headers = this.auth();
    if (poster) {
      await fetch(this.api(`/api/v1/clips/${clip.id}/poster`), { method: 'PUT', headers: { ...headers, 'Content-Type': 'image/jpeg' }, body: poster });
    }
    try {
      const { postPlace } = await outbox();
      await postPlace(clip, { replyTo, parent, atMs, answerRound }, { api: p => this.api(p), headers });
    } catch (e) {
      this.say(e.message);
      return;
    }
    const inThread = replyTo || answerRound;
    // A title typed while recording came after the upload began: it is set now.
    const title = this.title();
    if (!inThread && title && title !== clip.title) {
      const r = await fetch(this.api(`/api/v1/clips/${clip.id}`), {
        method: 'PATCH',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ title }),
      });
      if (r.ok) clip = await r.json();
    }
    if (!inThread) {
      this.showLink(clip.page_url);
      this.shadowRoot.querySelector('.title').value = '';
    }
    this.say(message);
    this.dispatchEvent(new CustomEvent('offbeat-recorded', { bubbles: true, detail: clip }));
  }
}

customElements.define('offbeat-record', OffbeatRecord);
