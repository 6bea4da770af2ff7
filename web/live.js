// Keeps a page current without a reload: it asks for the page again (with the ETag of the
// last answer, so an unchanged page costs a 304), and swaps in only the parts that changed.
// Parts are elements with `data-live` and an id, versioned by `data-v`:
//   data-live            replaced whole when its version changes;
//   data-live="items"    a list whose children (each with an id and a version) are added,
//                        replaced or removed one by one, so a reply being played stays put.
// A part someone is using (a player playing, a field with focus) waits for the next round.
// It asks every 2 s while things change, backing off to 20 s while nothing does, and not at
// all while the tab is hidden; `offbeat-refresh` on document asks at once.
const FASTEST = 2000, SLOWEST = 20000;
let etag = null, delay = FASTEST, timer = null, inFlight = false, gone = false;

const busy = el => el.contains(document.activeElement) && document.activeElement !== document.body
  || [...el.querySelectorAll('audio, video')].some(m => !m.paused);

function mergeItems(current, fresh, changed) {
  let previous = null;
  const wanted = new Set();
  for (const item of [...fresh.children]) {
    wanted.add(item.id);
    const mine = item.id && document.getElementById(item.id);
    if (!mine) {
      if (previous) previous.after(item); else current.prepend(item);
      changed.push(item);
      previous = item;
    } else {
      if (mine.dataset.v !== item.dataset.v && !busy(mine)) {
        mine.replaceWith(item);
        changed.push(item);
        previous = item;
      } else {
        previous = mine;
      }
    }
  }
  for (const old of [...current.children]) if (!wanted.has(old.id) && !busy(old)) old.remove();
}

function apply(doc) {
  const changed = [];
  for (const fresh of doc.querySelectorAll('[data-live][id]')) {
    const current = document.getElementById(fresh.id);
    if (!current) continue;
    if (fresh.dataset.live === 'items') mergeItems(current, fresh, changed);
    else if (current.dataset.v !== fresh.dataset.v && !busy(current)) {
      current.replaceWith(fresh);
      changed.push(fresh);
    }
  }
  if (changed.length) document.dispatchEvent(new CustomEvent('offbeat-updated', { detail: changed }));
  return changed.length > 0;
}

async function poll() {
  clearTimeout(timer);
  if (inFlight || gone) return;
  if (document.hidden) return; // visibilitychange brings it back
  inFlight = true;
  let changed = false;
  try {
    const r = await fetch(location.href, { cache: 'no-store', headers: etag ? { 'If-None-Match': etag } : {} });
    if (r.status === 200) {
      etag = r.headers.get('ETag');
      changed = apply(new DOMParser().parseFromString(await r.text(), 'text/html'));
    } else if (r.status === 404 || r.status === 401 || r.status === 403) {
      gone = true; // the link was turned off, or the session ended: nothing more to follow
    }
  } catch { /* offline: try again later */ }
  inFlight = false;
  delay = changed ? FASTEST : Math.min(SLOWEST, delay * 1.5);
  if (!gone) timer = setTimeout(poll, delay);
}

document.addEventListener('visibilitychange', () => { if (!document.hidden) { delay = FASTEST; poll(); } });
document.addEventListener('offbeat-refresh', () => { delay = FASTEST; poll(); });
timer = setTimeout(poll, delay);
