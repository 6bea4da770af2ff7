// The record button sends a take while it records and keeps it in IndexedDB until the server
// has confirmed it: the link works from the start, a network outage mid-take costs nothing,
// and a tab closed mid-take leaves its take to be sent when the button next appears.
import { launch, check, recordedFor, signIn } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const context = await launch({ fakeAudio: config.speechWav });
let page = await context.newPage();
page.on('dialog', d => d.dismiss());
const errors = [];
page.on('pageerror', e => errors.push(e.message));

await signIn(page, config.base, config.email, config.password);

const button = () => page.locator('offbeat-record');
const status = () => button().getByRole('status').innerText();
const takesInBrowser = () => page.evaluate(() => new Promise((ok, fail) => {
  const r = indexedDB.open('offbeat-outbox', 1);
  r.onsuccess = () => {
    const db = r.result;
    if (!db.objectStoreNames.contains('takes')) { ok(0); return; }
    const count = db.transaction('takes').objectStore('takes').count();
    count.onsuccess = () => ok(count.result);
  };
  r.onerror = () => fail(r.error);
}));
async function waitForStatus(wanted) {
  let now = '';
  for (let i = 0; i < 300 && !wanted.test(now); i++) {
    await page.waitForTimeout(100);
    now = await page.evaluate(() => document.querySelector('offbeat-record')?.shadowRoot?.querySelector('.status')?.textContent || '');
  }
  check(wanted.test(now), `the button says ${wanted} (it says "${now}")`);
}
const api = path => page.evaluate(p => fetch(p).then(r => r.json()), path);

// 1. The link comes before the first word, and its page says the message is being recorded.
await button().getByRole('button', { name: /Voice/ }).click();
const link = button().locator('a.link');
await link.waitFor({ timeout: 10000 });
const early = await link.getAttribute('href');
check(early.startsWith(`${config.base}/c/`), `the link shows while recording: ${early}`);
check(/link already works/.test(await status()), `the status says so: "${await status()}"`);
const peek = await context.newPage();
await peek.goto(early);
check(/is recording this message/.test(await peek.locator('main').innerText()), 'its page says the message is being recorded');
await peek.close();
check(await takesInBrowser() === 1, 'the take is kept in IndexedDB while it is recorded');

// 2. The network goes away for 3 s mid-take (by the take's own timer): recording goes on,
//    the take arrives whole.
await recordedFor(page, 2);
await context.setOffline(true);
await waitForStatus(/cannot be reached/);
await recordedFor(page, 5);
const offline = await status();
check(/cannot be reached/.test(offline), `offline, the button says the take is kept: "${offline}"`);
await context.setOffline(false);
await recordedFor(page, 7);
const stoppedAt = Date.now();
await button().getByRole('button', { name: /Stop/ }).click();
await waitForStatus(/Ready to share/);
// A figure for the record, not a check: timings belong to benchmarks.
console.log(`info: stop to final link in the browser: ${Date.now() - stoppedAt} ms (100 ms polling)`);
check(await link.getAttribute('href') === early, 'the link at the end is the one given at the start');
const token = early.split('/').pop();
const clip = await api(`/api/v1/shared/${token}`);
const seconds = clip.duration_ms / 1000;
check(seconds > 6 && seconds < 10, `the clip holds the whole take, outage included (${seconds.toFixed(2)} s)`);
check(await takesInBrowser() === 0, 'confirmed by sha256, the take left IndexedDB');

// 3. The tab is closed 3 s into a take; the next page with the button sends what was kept.
await page.reload();
await button().getByRole('button', { name: /Voice/ }).click();
await link.waitFor({ timeout: 10000 });
const second = await link.getAttribute('href');
await recordedFor(page, 3);
check(await takesInBrowser() === 1, 'the take is in IndexedDB');
await page.close({ runBeforeUnload: false });
page = await context.newPage();
page.on('pageerror', e => errors.push(e.message));
await page.goto(`${config.base}/`);
await waitForStatus(/recorded earlier:/);
check(await button().locator('a.link').getAttribute('href') === second, 'it is sent under the link given when it began');
const resumed = await api(`/api/v1/shared/${second.split('/').pop()}`);
check(resumed.duration_ms >= 1500, `its playable part is the clip (${(resumed.duration_ms / 1000).toFixed(2)} s)`);
check(await takesInBrowser() === 0, 'and it left IndexedDB');

// 4. The browser refuses to keep a chunk (its storage quota, a full disk): the take stops
//    there, loudly, and what was kept is sent and confirmed — never a take with a hole.
await page.close();
page = await context.newPage();
page.on('pageerror', e => errors.push(e.message));
await page.addInitScript(() => {
  const put = IDBObjectStore.prototype.put;
  let chunks = 0;
  IDBObjectStore.prototype.put = function (...args) {
    const request = put.apply(this, args);
    // The fourth chunk's transaction fails as a quota failure does: aborted, nothing kept.
    if (this.name === 'chunks' && ++chunks > 3) this.transaction.abort();
    return request;
  };
});
await page.goto(`${config.base}/`);
await button().getByRole('button', { name: /Voice/ }).click();
const thirdLink = button().locator('a.link');
await thirdLink.waitFor({ timeout: 10000 });
const third = await thirdLink.getAttribute('href');
await waitForStatus(/refused to keep more of it/);
const stopped = await status();
check(/What was kept is sent/.test(stopped), `the button says why it stopped: "${stopped}"`);
check(await button().getByRole('button', { name: /Voice/ }).isVisible(), 'the take stopped by itself');
const kept = await api(`/api/v1/shared/${third.split('/').pop()}`);
const keptSeconds = kept.duration_ms / 1000;
check(keptSeconds > 1.5 && keptSeconds < 4.5, `the clip is the three kept seconds (${keptSeconds.toFixed(2)} s)`);
check(await takesInBrowser() === 0, 'confirmed by sha256, the kept part left IndexedDB');
check(errors.length === 0, `no page errors (${errors.join('; ')})`);

await context.close();
