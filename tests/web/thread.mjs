// The thread in real Chromium, with a fake microphone: Tess reacts at a moment and Ada's
// open page marks it on the waveform without a reload; Ada answers Tess's voice reply at
// 0:05 by voice from the page; who heard each reply shows under it; a take cancelled
// mid-recording leaves a link that says so; every page fits a phone (390 px, light and dark,
// axe-core clean); the app installs (manifest, service worker). Screenshots to config.artifacts.
import { readFileSync } from 'node:fs';
import { launch, check, recordedFor, auditWidths } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const axeSource = readFileSync(config.axe, 'utf8');
const errors = [];

async function open(email, options = {}) {
  const context = await launch(options);
  const page = await context.newPage();
  page.on('pageerror', e => errors.push(String(e)));
  page.on('dialog', d => d.accept());
  if (email) {
    await page.goto(`${config.base}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(config.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${config.base}/`);
  }
  return { context, page };
}

const audit = (page, name, what) => auditWidths(page, { axeSource, artifacts: config.artifacts, name, what });

// Ada watches her message's page; Tess opens it on a phone.
const ada = await open(config.ada.email, { fakeAudio: config.speechWav });
await ada.page.goto(config.plan.page);
await ada.page.evaluate(() => { window.notReloaded = true; });
const tess = await open(config.tess.email, { phone: true });
await tess.page.goto(config.plan.page);

// 1. Tess reacts 👍 at 0:02 of the message, with a tap.
await tess.page.evaluate(async () => {
  const m = document.getElementById('media');
  if (m.readyState < 1) await new Promise(r => m.addEventListener('loadedmetadata', r, { once: true }));
  await new Promise(r => { m.addEventListener('seeked', r, { once: true }); m.currentTime = 2; });
});
const thumbs = tess.page.locator('#message-reactions').getByRole('button', { name: 'React 👍' });
await thumbs.tap();
await tess.page.locator('#message-reactions button.reaction[data-emoji="👍"][aria-pressed=true]').waitFor({ timeout: 10000 });
check(true, 'Tess reacted 👍 with a tap on a phone');
// Ada's open page shows it, on the waveform and in the list of moments, without a reload.
await ada.page.waitForFunction(
  () => document.querySelector('canvas.waveform')?.dataset.reactionMarks === '1', null, { timeout: 30000 });
const moment = await ada.page.locator('.reaction-moments button').first().innerText();
check(/👍 0:0[12] · Tess/.test(moment), `Ada sees Tess's 👍 at its moment: "${moment}"`);
check(await ada.page.evaluate(() => window.notReloaded === true), 'without a reload');
const label = await ada.page.locator('#message-reactions button.reaction[data-emoji="👍"]').getAttribute('aria-label');
check(label === '👍 1: Tess Teammate', `the count says who: "${label}"`);
await ada.page.screenshot({ path: `${config.artifacts}/reaction-on-waveform.png`, fullPage: true });
// Taken back: gone from Ada's page too.
await tess.page.locator('#message-reactions button.reaction[data-emoji="👍"]').tap();
await ada.page.waitForFunction(
  () => document.querySelector('canvas.waveform')?.dataset.reactionMarks === '0'
    && !document.querySelector('#message-reactions [data-at-ms]'), null, { timeout: 30000 });
check(true, 'a reaction taken back leaves Ada\'s page without a reload');

// 2. Ada hears Tess's voice reply (so Tess sees "Heard by Ada" under it), reacts 🎉 to it,
// and answers it at 0:05 by voice, from the page.
const replyItem = ada.page.locator(`#r-${config.tessReply}`);
await replyItem.waitFor();
await ada.page.evaluate(async id => {
  const a = document.getElementById(`m-${id}`);
  a.muted = true;
  await a.play();
  await new Promise(r => setTimeout(r, 400));
  a.pause();
}, config.tessReply);
await replyItem.getByRole('button', { name: 'React 🎉' }).click();
await replyItem.locator('button[data-emoji="🎉"] .count').waitFor({ timeout: 15000 });
check(true, 'a reaction on a reply shows its count under it');
await tess.page.locator(`#r-${config.tessReply} .seen`).waitFor({ timeout: 30000 });
const heard = await tess.page.locator(`#r-${config.tessReply} .seen`).innerText();
check(heard === 'Heard by Ada Admin', `Tess sees who heard her reply, under it: "${heard}"`);
const duration = await ada.page.locator(`#r-${config.tessReply} .duration`).innerText();
check(duration !== '0:00', `the reply's player shows its length (${duration})`);

await replyItem.getByRole('button', { name: 'Reply' }).click();
await ada.page.evaluate(async id => {
  const a = document.getElementById(`m-${id}`);
  if (a.readyState < 1) await new Promise(r => a.addEventListener('loadedmetadata', r, { once: true }));
  await new Promise(r => { a.addEventListener('seeked', r, { once: true }); a.currentTime = 5; });
}, config.tessReply);
await ada.page.locator('input[name=at_moment]').check();
const heading = await ada.page.locator('#record-heading').innerText();
check(heading === 'Or answer Tess Teammate at 0:05 by voice, camera or screen', `the record button answers the same reply and moment: "${heading}"`);
const before = await ada.page.locator('ol.conversation > li').count();
const record = ada.page.locator('offbeat-record');
await record.getByRole('button', { name: /Voice/ }).click();
await recordedFor(ada.page, 2);
await record.getByRole('button', { name: /Stop/ }).click();
await ada.page.waitForFunction(n => document.querySelectorAll('ol.conversation > li').length > n, before, { timeout: 60000 });
const answered = await ada.page.locator('ol.conversation > li').last().locator('.byline').innerText();
check(/answering Tess Teammate/.test(answered) && /at 0:05/.test(answered), `the voice reply answers Tess at 0:05: "${answered}"`);

// 3. Cancel mid-take: the link (shown from the start) then says so.
await ada.page.goto(`${config.base}/`);
const dashRecord = ada.page.locator('offbeat-record');
await dashRecord.getByRole('button', { name: /Voice/ }).click();
await ada.page.waitForFunction(
  () => document.querySelector('offbeat-record').shadowRoot.querySelector('a.link')?.href, null, { timeout: 15000 });
const cancelledLink = await dashRecord.locator('a.link').getAttribute('href');
await recordedFor(ada.page, 2);
await tess.page.goto(cancelledLink);
check(await tess.page.getByText('is recording this message').isVisible(), 'the link says "recording…" while it is recorded');
await dashRecord.getByRole('button', { name: /Cancel/ }).click();
await ada.page.waitForFunction(
  () => /Cancelled/.test(document.querySelector('offbeat-record').shadowRoot.querySelector('.status').textContent), null, { timeout: 15000 });
check(await dashRecord.locator('.done').isHidden(), 'the cancelled take shows no link to share');
await tess.page.goto(cancelledLink);
const cancelled = await tess.page.locator('main').innerText();
check(/This recording was cancelled/.test(cancelled) && /Ada Admin cancelled it/.test(cancelled), `its link says it was cancelled: "${cancelled.split('\n')[0]}"`);
const kept = await ada.page.evaluate(() => new Promise(ok => {
  const r = indexedDB.open('offbeat-outbox', 1);
  r.onsuccess = () => { const q = r.result.transaction('takes').objectStore('takes').count(); q.onsuccess = () => ok(q.result); };
}));
check(kept === 0, `the browser kept nothing of it (${kept} takes in its outbox)`);

// 4. Every page fits a phone, light and dark, and passes axe-core.
await ada.page.goto(`${config.base}/`);
await audit(ada.page, 'phone-dashboard', 'the dashboard');
await ada.page.goto(config.plan.page);
await ada.page.locator('#message-reactions').waitFor();
await audit(ada.page, 'phone-message', 'the message page with reactions');
await ada.page.goto(`${config.base}/members`);
check(await ada.page.getByRole('button', { name: 'Take admin' }).count() === 0, 'the only admin is not offered to step down');
await audit(ada.page, 'phone-members', 'the members page');
await ada.page.goto(`${config.base}/settings`);
await audit(ada.page, 'phone-settings', 'the settings page');
const stranger = await open(null);
await stranger.page.goto(config.publicPage);
await stranger.page.locator('#media').waitFor();
await audit(stranger.page, 'phone-public', 'the public page');

// 5. The app installs: a manifest with icons, a service worker that keeps the shell.
const manifest = await ada.page.evaluate(async () => {
  const href = document.querySelector('link[rel=manifest]').href;
  const m = await (await fetch(href)).json();
  const icons = await Promise.all(m.icons.map(async i => (await fetch(i.src)).status));
  return { name: m.name, display: m.display, icons, sizes: m.icons.map(i => i.sizes) };
});
check(manifest.name === 'Offbeat' && manifest.display === 'standalone', `the manifest names the app (${JSON.stringify(manifest)})`);
check(manifest.icons.every(s => s === 200) && manifest.sizes.includes('512x512'), 'its icons load');
const worker = await ada.page.evaluate(async () => {
  const ready = await Promise.race([navigator.serviceWorker.ready, new Promise(r => setTimeout(() => r(null), 15000))]);
  return ready ? { scope: ready.scope, state: ready.active?.state } : null;
});
check(worker?.scope === `${config.base}/` && worker.state === 'activated', `the service worker runs for the whole site (${JSON.stringify(worker)})`);
await ada.page.reload();
const shell = await ada.page.evaluate(async () => {
  const names = await caches.keys();
  const kept = [];
  for (const n of names) for (const r of await (await caches.open(n)).keys()) kept.push(new URL(r.url).pathname);
  return { controlled: !!navigator.serviceWorker.controller, kept };
});
check(shell.controlled && shell.kept.includes('/assets/page.css') && shell.kept.includes('/offline'), `it keeps the shell (${shell.kept.join(', ')})`);
const favicon = await ada.page.evaluate(async () => (await fetch('/favicon.ico')).headers.get('content-type'));
check(favicon === 'image/x-icon', `/favicon.ico is an icon (${favicon})`);

check(errors.length === 0, `no script errors (${errors.join('; ')})`);
for (const who of [ada, tess, stranger]) await who.context.close();
