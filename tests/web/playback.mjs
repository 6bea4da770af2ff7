// The playback page in a real browser: transcript lines seek, speed changes (and is
// remembered), the waveform seeks, hostile text stays text, pressing play (and only that) is
// hearing. Screenshots go to $ARTIFACTS.
import { launch, check } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const context = await launch();
const page = await context.newPage();
let dialogs = 0;
page.on('dialog', async d => { dialogs++; await d.dismiss(); });
const errors = [];
page.on('pageerror', e => errors.push(String(e)));

await page.goto(config.url);
await page.waitForFunction(() => document.getElementById('media').readyState >= 1, null, { timeout: 15000 });
const duration = await page.evaluate(() => document.getElementById('media').duration);
check(Math.abs(duration * 1000 - config.durationMs) < 300, `the player knows the duration (${duration.toFixed(2)} s)`);

// A transcript line seeks to its segment's start.
const lines = page.locator('.transcript [data-start-ms]');
check((await lines.count()) === config.segments, `the transcript shows ${config.segments} segments`);
const line = lines.nth(config.segments - 1);
const start = Number(await line.getAttribute('data-start-ms')) / 1000;
await line.click();
await page.waitForFunction(s => Math.abs(document.getElementById('media').currentTime - s) < 0.35, start, { timeout: 5000 });
const after = await page.evaluate(() => document.getElementById('media').currentTime);
check(Math.abs(after - start) < 0.35, `clicking the last line seeks to ${start.toFixed(2)} s (at ${after.toFixed(2)} s)`);
await page.evaluate(() => document.getElementById('media').pause());

// Speed: 1.5× applies, and is remembered on the next visit.
await page.getByRole('button', { name: 'Speed 1.5×' }).click();
check(await page.evaluate(() => document.getElementById('media').playbackRate) === 1.5, 'the speed control sets 1.5×');
check(await page.getByRole('button', { name: 'Speed 1.5×' }).getAttribute('aria-pressed') === 'true', 'the pressed speed is announced');

// The waveform: a click at the middle seeks to the middle.
const wave = page.locator('canvas.waveform');
await page.waitForFunction(() => document.querySelector('canvas.waveform').getAttribute('aria-valuemax') !== null);
const box = await wave.boundingBox();
await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
const mid = await page.evaluate(() => document.getElementById('media').currentTime);
check(Math.abs(mid - duration / 2) < 0.35, `a click at the waveform's middle seeks to ${mid.toFixed(2)} s of ${duration.toFixed(2)} s`);

// Keyboard: space plays, arrows skip.
await page.locator('h1').click();
await page.keyboard.press('ArrowLeft');
const back = await page.evaluate(() => document.getElementById('media').currentTime);
check(back < mid - 4 || back === 0, `ArrowLeft skips back (${back.toFixed(2)} s)`);

await page.screenshot({ path: `${config.artifacts}/playback-page.png`, fullPage: true });
// At phone width nothing overflows sideways.
await page.setViewportSize({ width: 390, height: 844 });
const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
check(overflow <= 0, `usable at phone width (no sideways scrolling: ${overflow} px)`);
await page.screenshot({ path: `${config.artifacts}/playback-page-phone.png`, fullPage: true });
await page.setViewportSize({ width: 1024, height: 900 });
await page.reload();
await page.waitForFunction(() => document.getElementById('media').readyState >= 1);
check(await page.evaluate(() => document.getElementById('media').playbackRate) === 1.5, 'the speed is remembered on the next visit');

// Hostile text: titles, names, replies and transcript text render as text.
await page.goto(config.hostileUrl);
await page.waitForLoadState('load');
await page.waitForTimeout(300);
check(dialogs === 0, 'no dialog fired on the hostile page');
const injected = await page.evaluate(() => document.querySelectorAll('main script, main img, main iframe, main b, main [onerror]').length);
check(injected === 0, 'no element was injected from user text');
const text = await page.evaluate(() => document.body.innerText);
for (const payload of config.payloads) check(text.includes(payload), `shown literally: ${payload}`);
check(errors.length === 0, `no page errors (${errors.join('; ')})`);
await page.screenshot({ path: `${config.artifacts}/hostile-page.png`, fullPage: true });

// Hearing is playing: a member's page load (the player preloads the media) is no receipt;
// pressing play is, and the player reports it once.
const member = await context.newPage();
member.on('pageerror', e => errors.push(String(e)));
await member.goto(`${new URL(config.url).origin}/login`);
await member.getByLabel('Email').fill(config.memberEmail);
await member.getByLabel('Password').fill(config.password);
await member.getByRole('button', { name: 'Sign in' }).click();
await member.waitForURL(/\/$/);
await member.goto(config.url);
await member.waitForFunction(() => document.getElementById('media').readyState >= 1, null, { timeout: 15000 });
const listeners = () => member.evaluate(id => fetch(`/api/v1/threads/${id}`)
  .then(r => r.json()).then(t => t.root.seen_by.map(s => s.user_id)), config.clipId);
check((await listeners()).length === 0, 'loading the page (and its preload) is not hearing it');
await member.evaluate(() => document.getElementById('media').play());
let heard = [];
for (let i = 0; i < 50 && heard.length === 0; i++) {
  await member.waitForTimeout(100);
  heard = await listeners();
}
check(heard.length === 1 && heard[0] === config.memberId, `pressing play is: heard by ${JSON.stringify(heard)}`);

// Replying from the web at a moment, then to a reply.
await member.evaluate(() => { const m = document.getElementById('media'); m.pause(); m.currentTime = 1.4; });
await member.waitForFunction(() => document.getElementById('moment').textContent === '0:01');
await member.getByLabel('Reply', { exact: true }).fill('right here');
await member.getByRole('checkbox', { name: /at the moment playing/ }).check();
await member.getByRole('button', { name: 'Send reply' }).click();
await member.waitForLoadState('load');
await member.getByRole('button', { name: 'at 0:01' }).first().waitFor();
const thread = () => member.evaluate(id => fetch(`/api/v1/threads/${id}`).then(r => r.json()), config.clipId);
let replies = (await thread()).root.replies;
const first = replies.find(r => r.text === 'right here');
check(first && first.anchor_ms >= 1000 && first.anchor_ms < 2000, `a reply at the moment playing (${first?.anchor_ms} ms)`);
await member.locator(`#r-${first.reply_id}`).getByRole('button', { name: 'Reply', exact: true }).click();
check(await member.locator('#replying-to').isVisible(), 'the form says which reply it answers');
await member.getByLabel('Reply', { exact: true }).fill('and an answer to it');
await member.getByRole('button', { name: 'Send reply' }).click();
await member.waitForLoadState('load');
await member.getByText('and an answer to it').waitFor();
replies = (await thread()).root.replies;
const nested = replies.find(r => r.reply_id === first.reply_id)?.replies ?? [];
check(nested.some(r => r.text === 'and an answer to it' && r.parent_id === first.reply_id), 'a reply to a reply, nested under it');
check(errors.length === 0, `no page errors (${errors.join('; ')})`);

await context.close();
