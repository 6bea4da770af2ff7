// The daily loop in real Chromium, with three people: Olive (owns "Launch plan"), Tess (her
// teammate, in Tokyo) and a stranger holding the link (in New York). Titles, sharing from the
// page, what outsiders see, pages that keep up without a reload, times in the viewer's zone,
// search into replies, axe-core's A/AA rules. Screenshots go to config.artifacts.
import { readFileSync } from 'node:fs';
import { launch, check } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const axeSource = readFileSync(config.axe, 'utf8');
const errors = [];
const shots = config.artifacts;

async function open(options) {
  const context = await launch(options);
  const page = await context.newPage();
  page.on('pageerror', e => errors.push(String(e)));
  page.on('dialog', d => d.accept());
  return { context, page };
}

async function signIn(page, email) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(config.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// axe-core's WCAG 2.x A and AA rules over the whole page.
async function accessible(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  }));
  const found = result.violations.map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
  check(found.length === 0, `axe-core finds no A/AA violation on ${what} (${found.join('; ') || `${result.passes.length} rules pass`})`);
}

async function fitsPhone(page, what) {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `${what} fits a phone's width (${overflow} px sideways)`);
}

// "30 Nov 2026, 23:29" in `timeZone`: the one format every page writes times in.
function inZone(iso, timeZone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso)).map(p => [p.type, p.value]));
  return `${parts.day} ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute}`;
}

async function shownInZone(locator, zone, what) {
  const time = locator.locator('time').first();
  const [at, text] = [await time.getAttribute('datetime'), (await time.innerText()).trim()];
  check(text === inZone(at, zone), `${what} is in the viewer's zone: "${text}" (${zone})`);
}

// As the API's clients do: a bearer token.
async function api(token, path, init = {}) {
  const r = await fetch(`${config.base}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers || {}) } });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}
const upload = (token, file, title) =>
  api(token, `/api/v1/clips?title=${encodeURIComponent(title)}`, { method: 'POST', body: readFileSync(file) });
const unreloaded = page => page.evaluate(() => window.stayed === true);

const olive = await open({ timezoneId: 'Europe/Berlin' });
const tess = await open({ timezoneId: 'Asia/Tokyo' });
const stranger = await open({ timezoneId: 'America/New_York' });

// 1. A team-only link opened signed out offers sign-in, and leads back to the message; an
//    untitled message carries its first words as its title.
await tess.page.goto(config.untitled.page);
await tess.page.getByRole('link', { name: 'Sign in to open it' }).click();
await signIn(tess.page, config.tess.email);
await tess.page.waitForURL(config.untitled.page);
check(await tess.page.locator('h1').innerText() === config.untitled.title,
  `signing in from a team-only link opens the message, titled by its first words: "${config.untitled.title}"`);
check(await tess.page.locator('header.site').getByRole('link', { name: 'Dashboard' }).isVisible(), 'the header links back to the dashboard');

// 2. The owner sees who can open it and opens it to anyone with the link, on the page.
await olive.page.goto(`${config.base}/login`);
await signIn(olive.page, config.owner.email);
await olive.page.waitForURL(`${config.base}/`);
await olive.page.goto(config.plan.page);
check((await olive.page.locator('#sharing-now').innerText()).includes('Only your team'), 'the owner sees it is for the team only');
await stranger.page.goto(config.plan.page);
check(await stranger.page.getByRole('link', { name: 'Sign in to open it' }).isVisible(), 'a stranger cannot open it yet');
await olive.page.locator('#sharing summary').click();
await olive.page.getByLabel('Anyone with the link').check();
check(await olive.page.getByLabel(/see the message, your replies/).isChecked(), "by default people with the link see only the owner's and guests' replies");
await olive.page.getByRole('button', { name: 'Save' }).click();
await olive.page.waitForFunction(() => document.getElementById('sharing-now')?.textContent.includes('Anyone with the link'));
check((await olive.page.locator('#sharing-now').innerText()).includes('Anyone with the link'), 'the owner made it public from the page');

// 3. The stranger plays it, and sees neither the team's own replies nor who listened.
await stranger.page.goto(config.plan.page);
await stranger.page.waitForFunction(() => document.getElementById('media')?.readyState >= 1, null, { timeout: 15000 });
const played = await stranger.page.evaluate(async () => {
  const m = document.getElementById('media');
  m.muted = true;
  await m.play();
  await new Promise(r => setTimeout(r, 800));
  m.pause();
  return m.currentTime;
});
check(played > 0.3, `a signed-out stranger plays it (${played.toFixed(2)} s in)`);
const seenByStranger = await stranger.page.locator('main').innerText();
check(seenByStranger.includes('Public answer from Olive'), "the owner's reply is shown to the stranger");
check(!seenByStranger.includes('Internal: the budget is tight'), "the team's own reply is not");
check(!seenByStranger.includes('Tess') && !seenByStranger.includes('Heard by'), 'nor who listened');
const strangerTime = (await stranger.page.locator(`#r-${config.public} time`).innerText()).trim();
const strangerAt = await stranger.page.locator(`#r-${config.public} time`).getAttribute('datetime');
check(strangerTime === inZone(strangerAt, 'America/New_York'), `the stranger reads times in their browser's zone ("${strangerTime}")`);
await accessible(stranger.page, 'the page a stranger opens');
// The checker itself finds what it should: a field without a label, put there on purpose.
await stranger.page.evaluate(() => document.querySelector('main').append(Object.assign(document.createElement('input'), { id: 'unlabelled' })));
const probe = await stranger.page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a'] } }));
check(probe.violations.some(v => v.nodes.some(n => n.target.includes('#unlabelled'))), 'axe-core reports a field without a label when there is one');

// 4. Tess sees the whole thread, in Tokyo time.
await tess.page.goto(config.plan.page);
check(await tess.page.getByText('Internal: the budget is tight').isVisible(), 'a teammate sees the team\'s replies');
check(await tess.page.evaluate(() => !document.getElementById('sharing')), "a teammate sees no sharing controls on another's message");
check((await tess.page.locator('#heard .seen').innerText()).includes('Tess Teammate'), 'and who heard it');
await shownInZone(tess.page.locator(`#r-${config.public}`), config.tess.zone, "a reply's time in the thread");

// 5. The page keeps up: a text reply sent by Olive, then a voice reply, appear at Tess's
//    without a reload; the voice reply's length shows before anyone plays it.
await tess.page.evaluate(() => { window.stayed = true; });
await olive.page.getByLabel('Reply', { exact: true }).fill('Live from Olive');
await olive.page.getByRole('button', { name: 'Send reply' }).click();
await olive.page.getByText('Live from Olive').waitFor({ timeout: 10000 });
check(await olive.page.getByText('Live from Olive').isVisible(), "the sender's own page shows the reply at once");
await tess.page.getByText('Live from Olive').waitFor({ timeout: 30000 });
check(await unreloaded(tess.page), 'a text reply appears on another open page without a reload');
const voice = await upload(config.owner.token, config.replyClip, '');
await api(config.owner.token, `/api/v1/threads/${config.plan.id}/replies`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ clip_id: voice.id }),
});
const voiceItem = tess.page.locator('.conversation li', { has: tess.page.locator('audio') }).last();
await voiceItem.waitFor({ timeout: 30000 });
const length = (await voiceItem.locator('.duration').innerText()).trim();
// Its player shows the length too (not "0:00 / 0:00"): it loads the metadata, not the media.
const known = await voiceItem.locator('audio').evaluate(async a => {
  if (a.readyState < 1) await new Promise(r => a.addEventListener('loadedmetadata', r, { once: true }));
  return { duration: a.duration, paused: a.paused, played: a.played.length };
});
check(/^0:0[1-9]$/.test(length) && Math.abs(known.duration - Number(length.slice(2))) < 1 && known.played === 0,
  `a voice reply appears with its length (${length}; its player: ${known.duration.toFixed(2)} s) before it is played`);
check(await unreloaded(tess.page), 'still without a reload');

// 6. Text replies are found by search, and the hit opens the thread at the reply.
await tess.page.goto(`${config.base}/?q=${encodeURIComponent('Public answer')}`);
const hit = tess.page.locator('.results li').first();
check((await hit.locator('a').getAttribute('href')).endsWith(`#r-${config.public}`), 'a text reply is found by search');
await shownInZone(hit, config.tess.zone, 'a search result');
await hit.locator('a').click();
await tess.page.waitForURL(new RegExp(`#r-${config.public}$`));
check(await tess.page.locator(`#r-${config.public}`).getByText('Public answer from Olive').isVisible(), 'the hit opens the thread at the reply');

// 7. A transcript appears on an open page once it is made, and the dashboard lists a new
//    message by itself — neither reloads.
// A long message first, so that the next one waits for its transcript in the queue while its
// page is open.
await upload(config.owner.token, config.longClip, 'Long read');
const fresh = await upload(config.owner.token, config.freshClip, 'Fresh news');
await tess.page.goto(fresh.page_url);
check(await tess.page.getByText('The transcript is not ready yet').isVisible(), 'its page opens before the transcript is made');
await tess.page.evaluate(() => { window.stayed = true; });
await tess.page.locator('.transcript [data-start-ms]').first().waitFor({ timeout: 120000 });
check(await unreloaded(tess.page), 'the transcript appears when it is ready, without a reload');
await tess.page.goto(`${config.base}/`);
await shownInZone(tess.page.locator(':is(#inbox, #team) .card', { hasText: 'Launch plan' }), config.tess.zone, 'a dashboard card');
await tess.page.evaluate(() => { window.stayed = true; });
await upload(config.owner.token, config.replyClip, 'Late news');
// Unheard by Tess: in her inbox (and only there).
await tess.page.locator('#inbox .card', { hasText: 'Late news' }).waitFor({ timeout: 30000 });
check(await unreloaded(tess.page), 'a new message appears on the dashboard without a reload');
check(await tess.page.locator('.card', { hasText: 'Late news' }).count() === 1, 'once: in the inbox, not again under it');

// 8. Look and feel: cards and a conversation, light and dark, phone width, no A/AA issue.
await tess.page.goto(`${config.base}/`);
await tess.page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });
await accessible(tess.page, 'the dashboard');
await tess.page.emulateMedia({ colorScheme: 'dark' });
await accessible(tess.page, 'the dashboard, dark');
await tess.page.screenshot({ path: `${shots}/dashboard-dark.png`, fullPage: true });
await fitsPhone(tess.page, 'the dashboard');
await tess.page.screenshot({ path: `${shots}/dashboard-phone.png`, fullPage: true });
for (const [path, what] of [['/members', 'the members page'], ['/settings', 'the settings page']]) {
  await tess.page.setViewportSize({ width: 1024, height: 900 });
  await tess.page.goto(`${config.base}${path}`);
  await accessible(tess.page, `${what}, dark`);
  await tess.page.emulateMedia({ colorScheme: 'light' });
  await accessible(tess.page, what);
  await tess.page.emulateMedia({ colorScheme: 'dark' });
}

await olive.page.goto(config.plan.page);
await olive.page.locator('#sharing summary').click();
await olive.page.screenshot({ path: `${shots}/message.png`, fullPage: true });
await accessible(olive.page, "the owner's message page, sharing open");
await olive.page.emulateMedia({ colorScheme: 'dark' });
await accessible(olive.page, "the owner's message page, dark");
await olive.page.screenshot({ path: `${shots}/message-dark.png`, fullPage: true });
await fitsPhone(olive.page, 'the message page');
await olive.page.screenshot({ path: `${shots}/message-phone.png`, fullPage: true });

// 9. The owner turns the link off: the team keeps the message at its own address, the link
//    leads nowhere, and a new link can be made.
await olive.page.setViewportSize({ width: 1024, height: 900 });
await olive.page.emulateMedia({ colorScheme: 'light' });
await olive.page.getByRole('button', { name: 'Turn the link off' }).click();
await olive.page.waitForURL(`${config.base}/m/${config.plan.id}`);
await olive.page.waitForFunction(() => document.getElementById('media')?.readyState >= 1, null, { timeout: 15000 });
check((await olive.page.locator('#sharing-now').innerText()).includes('the link is turned off'), 'without its link the team still opens it, by its id');
await stranger.page.goto(config.plan.page);
check(await stranger.page.getByRole('link', { name: 'Sign in to open it' }).isVisible(), 'the old link leads nowhere');
await olive.page.locator('#sharing summary').click();
await olive.page.getByRole('button', { name: 'Make a link' }).click();
await olive.page.waitForURL(/\/c\//);
check(olive.page.url() !== config.plan.page, `a new link is made (${olive.page.url()})`);
await stranger.page.goto(olive.page.url());
await stranger.page.waitForFunction(() => document.getElementById('media')?.readyState >= 1, null, { timeout: 15000 });
check(stranger.page.url() === olive.page.url() && await stranger.page.locator('#media').count() === 1, 'and the stranger opens the new one');

check(errors.length === 0, `no page errors (${errors.join('; ')})`);
for (const who of [olive, tess, stranger]) await who.context.close();
