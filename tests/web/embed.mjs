// The record button embedded in another site: a page served from another origin loads it
// from the Offbeat server and uploads with an API token. An origin the server does not list
// is refused by the browser's CORS checks.
import http from 'node:http';
import { launch, check, recordedFor } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const host = html => http.createServer((_, res) => { res.setHeader('Content-Type', 'text/html'); res.end(html); });
const page = (server, token) => `<!doctype html><meta charset=utf-8><title>Intranet</title>
<h1>Team intranet</h1>
<script type="module" src="${server}/assets/record.js"></script>
<offbeat-record server="${server}" token="${token}" processing="off" title="From the intranet"></offbeat-record>`;
const allowed = host(page(config.base, config.token)).listen(config.allowedPort, '127.0.0.1');
const other = host(page(config.base, config.token)).listen(config.otherPort, '127.0.0.1');

const context = await launch({ fakeAudio: config.speechWav });
const tab = await context.newPage();

async function record(url) {
  await tab.goto(url);
  await tab.locator('offbeat-record').getByRole('button', { name: /Voice/ }).click();
  await tab.locator('offbeat-record').getByRole('timer').waitFor();
  await recordedFor(tab, 3);
  await tab.locator('offbeat-record').getByRole('button', { name: /Stop/ }).click();
  await tab.waitForFunction(() => {
    const s = document.querySelector('offbeat-record').shadowRoot.querySelector('.status').textContent;
    return /Ready to share|Not sent|failed/.test(s);
  }, null, { timeout: 30000 });
  return tab.evaluate(() => {
    const root = document.querySelector('offbeat-record').shadowRoot;
    return { status: root.querySelector('.status').textContent, link: root.querySelector('a.link').href };
  });
}

const ok = await record(`http://127.0.0.1:${config.allowedPort}/`);
check(ok.status === 'Ready to share:', `embedded on an allowed site, it sends the take (${ok.status})`);
check(ok.link.startsWith(`${config.base}/c/`), `and shows the link (${ok.link})`);
// Sent while recording (a resumable upload across origins), confirmed, and gone from the
// site's IndexedDB.
const shared = await fetch(`${config.base}/api/v1/shared/${ok.link.split('/').pop()}`, { headers: { Authorization: `Bearer ${config.token}` } });
const clip = await shared.json();
check(shared.ok && clip.duration_ms > 2000 && clip.title === 'From the intranet', `the clip is there (${clip.duration_ms} ms)`);
// -1: the site has no outbox at all (the take was not kept while it was sent).
const left = await tab.evaluate(() => new Promise(ok => {
  const r = indexedDB.open('offbeat-outbox', 1);
  r.onsuccess = () => {
    if (!r.result.objectStoreNames.contains('takes')) { ok(-1); return; }
    const c = r.result.transaction('takes').objectStore('takes').count();
    c.onsuccess = () => ok(c.result);
  };
}));
check(left === 0, 'the take left the site\'s IndexedDB once confirmed');
// A site the server does not list: the browser refuses it the button's script, and any call
// to the API it tries on its own.
await tab.goto(`http://127.0.0.1:${config.otherPort}/`);
// Settled: the refused script has had its answer.
await tab.waitForLoadState('networkidle');
check(await tab.evaluate(() => customElements.get('offbeat-record') === undefined), 'a site not allowed cannot load the button');
const call = await tab.evaluate(async ({ base, token }) => {
  try {
    const r = await fetch(`${base}/api/v1/clips?title=sneaky`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: 'x' });
    return `answered ${r.status}`;
  } catch (e) {
    return `refused: ${e.message}`;
  }
}, { base: config.base, token: config.token });
check(call.startsWith('refused'), `nor call the API from its pages (${call})`);

await context.close();
allowed.close();
other.close();
