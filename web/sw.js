// Offbeat's service worker (served as /sw.js, so it covers every page; a module worker).
// - The shell: styles, scripts and icons are versioned (?v=) and never change under a version,
//   so each is kept the first time it is fetched and answered from the cache after that.
// - Offline: a page that cannot be fetched is answered with /offline, kept at install.
// - The outbox: takes a closed tab left in IndexedDB are sent when the browser allows (the
//   Background Sync `offbeat-outbox`, registered by the record button when it goes offline),
//   and posted where they were meant to go (a reply, an answer), as the button would have.
import { resumeLeftBehind, Sender, postPlace } from '/assets/outbox.js?v=__VERSION__';

const SHELL = 'offbeat-shell-__VERSION__';

self.addEventListener('install', event => {
  event.waitUntil(caches.open(SHELL).then(cache => cache.add('/offline')).then(() => self.skipWaiting()));
});

self.addEventListener('activate', event => {
  // Shells of older versions go; this worker takes the open pages at once.
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('offbeat-shell-') && name !== SHELL) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', event => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/assets/') && url.searchParams.has('v')) {
    event.respondWith((async () => {
      const cache = await caches.open(SHELL);
      const kept = await cache.match(request);
      if (kept) return kept;
      const fresh = await fetch(request);
      if (fresh.ok) await cache.put(request, fresh.clone());
      return fresh;
    })());
  } else if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(async () => (await caches.match('/offline')) || Response.error()));
  }
});

self.addEventListener('sync', event => {
  if (event.tag === 'offbeat-outbox') event.waitUntil(sendLeftBehind());
});

// Also on request from a page (what the tests use: headless browsers run no sync).
self.addEventListener('message', event => {
  if (event.data?.type === 'send-outbox') {
    event.waitUntil(sendLeftBehind().then(sent => event.source?.postMessage({ type: 'outbox-sent', sent })));
  }
});

/// Sends every take left behind for this server that no tab holds; how many were sent. A take
/// that fails stays (the sync is retried by the browser, or the button sends it next time).
async function sendLeftBehind() {
  let sent = 0, failed = null;
  await resumeLeftBehind('', async take => {
    const headers = take.csrf ? { 'X-CSRF-Token': take.csrf } : {};
    try {
      const clip = await new Sender(take, { api: p => p, headers }).finish();
      await postPlace(clip, take, { api: p => p, headers });
      sent += 1;
    } catch (e) {
      failed = e;
    }
  });
  if (failed && sent === 0) throw failed;
  return sent;
}
