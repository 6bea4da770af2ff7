// The browser's outbox: a take is kept in IndexedDB, chunk by chunk as MediaRecorder hands
// them over, and sent to the server while it is recorded (a tus upload with a deferred
// length, so its link exists from the start). It leaves IndexedDB only once the server's
// sha256 of the stored clip equals the take's. A take left behind (the tab closed or crashed,
// the network gone) is sent the next time an Offbeat page with the button opens.
const DB_NAME = 'offbeat-outbox';
const CHUNK = 1 << 20;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 8000;

function request(r) {
  return new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
}

let opened = null;
function database() {
  opened ??= new Promise((ok, fail) => {
    const r = indexedDB.open(DB_NAME, 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore('takes', { keyPath: 'id' });
      r.result.createObjectStore('chunks', { keyPath: ['take', 'seq'] });
    };
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  return opened;
}

async function inStores(names, mode, work) {
  const db = await database();
  const t = db.transaction(names, mode);
  // An aborted transaction (a quota, a full disk) may carry no error of its own: say so anyway.
  const done = new Promise((ok, fail) => {
    t.oncomplete = ok;
    t.onerror = t.onabort = () => fail(t.error || new DOMException('the browser refused to store it', 'AbortError'));
  });
  let result;
  try {
    result = await work(...names.map(n => t.objectStore(n)));
  } catch (e) {
    done.catch(() => {}); // the transaction's own failure is this one
    throw e;
  }
  await done;
  return result;
}

/// A take in IndexedDB: what it is for, and its chunks.
export class Take {
  constructor(meta) { Object.assign(this, meta); }

  /// A new take for `server` (origin, '' for this one): title, where it goes (a reply's
  /// thread, a check-in's round), media type.
  /// `csrf`: the session's token, for the service worker to send a take left behind with.
  static async create({ server, title, replyTo, parent, atMs, answerRound, mime, csrf }) {
    const take = new Take({
      id: crypto.randomUUID(), server, title, replyTo, parent, atMs, answerRound, mime, csrf,
      chunks: 0, size: 0, recorded: false, uploadUrl: null, pageUrl: null, updated: Date.now(),
    });
    await take.save();
    return take;
  }

  /// Takes waiting, oldest first.
  static async pending() {
    const all = await inStores(['takes'], 'readonly', s => request(s.getAll()));
    return all.map(m => new Take(m)).sort((a, b) => a.updated - b.updated);
  }

  save() {
    this.updated = Date.now();
    return inStores(['takes'], 'readwrite', s => request(s.put({ ...this })));
  }

  /// Keeps a chunk: it is in IndexedDB before it is sent anywhere.
  /// Rejects when IndexedDB refuses (a quota, a full disk): the take then holds what was kept
  /// before, unchanged.
  async add(blob) {
    const seq = this.chunks;
    const next = { ...this, chunks: seq + 1, size: this.size + blob.size, updated: Date.now() };
    await inStores(['takes', 'chunks'], 'readwrite', (takes, chunks) => {
      chunks.put({ take: this.id, seq, blob });
      takes.put(next);
    });
    Object.assign(this, next);
  }

  async blob() {
    const range = IDBKeyRange.bound([this.id, 0], [this.id, Infinity]);
    const rows = await inStores(['chunks'], 'readonly', s => request(s.getAll(range)));
    return new Blob(rows.map(r => r.blob), { type: this.mime });
  }

  remove() {
    const range = IDBKeyRange.bound([this.id, 0], [this.id, Infinity]);
    return inStores(['takes', 'chunks'], 'readwrite', (takes, chunks) => {
      takes.delete(this.id);
      chunks.delete(range);
    });
  }
}

class Refused extends Error {}

/// Sends a take as it grows: `kick()` after each chunk, `finish()` once it is whole.
export class Sender {
  constructor(take, { api, headers, onOffline, onOnline }) {
    this.take = take;
    this.api = api;
    this.headers = { ...headers, 'Tus-Resumable': '1.0.0' };
    this.offset = null;
    this.clipId = null;
    this.running = null;
    this.onOffline = onOffline || (() => {});
    this.onOnline = onOnline || (() => {});
    this.offline = false;
    this.refused = null;
  }

  /// Opens the upload session (the take's link exists from here on); false when the server
  /// cannot be reached now (sending is tried again with every chunk).
  async open() {
    try { await this.session(); return true; } catch (e) { if (e instanceof Refused) throw e; return false; }
  }

  async session() {
    if (this.take.uploadUrl) return;
    const b64 = text => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
    const metadata = this.take.title ? `title ${b64(this.take.title)}` : '';
    const r = await fetch(this.api('/api/v1/uploads'), {
      method: 'POST',
      headers: { ...this.headers, 'Upload-Defer-Length': '1', ...(metadata ? { 'Upload-Metadata': metadata } : {}) },
    });
    if (!r.ok) throw await refusal(r);
    this.take.uploadUrl = r.headers.get('Location');
    this.take.pageUrl = r.headers.get('Offbeat-Page-Url');
    this.offset = 0;
    await this.take.save();
  }

  /// Sends what has been recorded so far, in the background; a failure waits for the next kick.
  kick() {
    if (!this.running) {
      this.running = this.send(false)
        .catch(e => { if (e instanceof Refused) this.refused = e; else this.wentOffline(); })
        .finally(() => { this.running = null; });
    }
    return this.running;
  }

  /// Sends the rest and the length, retrying with backoff until the server has the clip; then
  /// confirms it by sha256 and removes the take from IndexedDB. Returns the clip.
  async finish() {
    this.take.recorded = true;
    await this.take.save();
    await this.running;
    if (this.refused) throw this.refused;
    let wait = RETRY_FIRST_MS;
    for (;;) {
      try {
        await this.send(true);
        break;
      } catch (e) {
        if (e instanceof Refused) throw e;
        this.wentOffline();
        await new Promise(r => setTimeout(r, wait));
        wait = Math.min(wait * 2, RETRY_MAX_MS);
      }
    }
    const session = await (await fetch(this.take.uploadUrl, { headers: this.headers })).json();
    const blob = await this.take.blob();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    const local = Array.from(digest, b => b.toString(16).padStart(2, '0')).join('');
    if (!session.clip || session.sha256 !== local) {
      throw new Refused('the server’s copy differs from this browser’s; the take is kept here');
    }
    await this.take.remove();
    return session.clip;
  }

  /// Takes the take back: the server deletes what it received (its link then says the take
  /// was cancelled) and this browser forgets it. Offline, the take is forgotten here anyway;
  /// the server drops what it holds once the take stops arriving.
  async cancel() {
    this.take.recorded = true;
    await this.running;
    if (this.take.uploadUrl) {
      try { await fetch(this.take.uploadUrl, { method: 'DELETE', headers: this.headers }); } catch { /* offline */ }
    }
    await this.take.remove();
  }

  wentOffline() {
    if (!this.offline) { this.offline = true; this.onOffline(); }
    this.offset = null; // ask the server where it is, next time
  }

  async send(final) {
    await this.session();
    const blob = await this.take.blob();
    if (this.offset === null) this.offset = await this.where();
    while (this.clipId === null && (this.offset < blob.size || final)) {
      const end = Math.min(blob.size, this.offset + CHUNK);
      const headers = {
        ...this.headers,
        'Upload-Offset': String(this.offset),
        'Content-Type': 'application/offset+octet-stream',
        ...(final ? { 'Upload-Length': String(blob.size) } : {}),
      };
      const r = await fetch(this.take.uploadUrl, { method: 'PATCH', headers, body: blob.slice(this.offset, end) });
      if (r.status === 409) { this.offset = await this.where(); continue; }
      if (r.status >= 500) throw new Error(`the server answered ${r.status}`);
      if (!r.ok) throw await refusal(r);
      this.offset = Number(r.headers.get('Upload-Offset'));
      this.clipId = r.headers.get('Offbeat-Clip-Id');
      if (this.offline) { this.offline = false; this.onOnline(); }
      if (!final && this.offset >= blob.size) break;
    }
  }

  async where() {
    const r = await fetch(this.take.uploadUrl, { method: 'HEAD', headers: this.headers });
    if (!r.ok) throw await refusal(r);
    this.clipId = r.headers.get('Offbeat-Clip-Id');
    return Number(r.headers.get('Upload-Offset'));
  }
}

async function refusal(r) {
  const body = await r.json().catch(() => null);
  return new Refused(body?.error?.message || `the server answered ${r.status}`);
}

/// Runs `work` for each take left behind for `server` that no tab is recording or sending
/// (each take is held under a Web Lock while it is).
export async function resumeLeftBehind(server, work) {
  for (const take of await Take.pending()) {
    if (take.server !== server) continue;
    await navigator.locks.request(`offbeat-take-${take.id}`, { ifAvailable: true }, async lock => {
      if (!lock) return;
      if (take.size === 0) { await take.remove(); return; }
      await work(take);
    });
  }
}

/// Posts a stored clip where its take was meant to go: a reply in a thread (answering a reply,
/// at a moment) or an answer to a check-in's round; nothing for a message of its own. Throws
/// an Error saying why when the server refuses (a reply already posted counts as posted).
export async function postPlace(clip, { replyTo, parent, atMs, answerRound }, { api, headers }) {
  const post = (path, body) => fetch(api(path), {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  let r = null;
  if (replyTo) {
    r = await post(`/api/v1/threads/${replyTo}/replies`, {
      clip_id: clip.id,
      ...(parent ? { parent_id: parent } : {}),
      ...(Number.isFinite(atMs) ? { at_ms: atMs } : {}),
    });
    // 409: posted already (a take resumed after the reply went out).
    if (r.status === 409) return;
  } else if (answerRound) {
    r = await post(`/api/v1/checkins/rounds/${answerRound}/answers`, { clip_id: clip.id });
  }
  if (r && !r.ok) {
    const what = replyTo ? 'Reply' : 'Answer';
    throw new Error((await r.json().catch(() => null))?.error?.message || `${what} failed (${r.status})`);
  }
}

/// Holds the take's lock until `until` settles (while it is recorded and sent).
export function hold(take, until) {
  navigator.locks.request(`offbeat-take-${take.id}`, () => until.catch(() => {}));
}
