// The record-and-share button in a real browser with a fake microphone and camera:
// a voice reply recorded on the playback page, and a camera message from the dashboard.
import { launch, check, signIn } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const context = await launch({ fakeAudio: config.speechWav });
const page = await context.newPage();
page.on('dialog', d => d.dismiss());

// Sign in through the sign-in page.
await signIn(page, config.base, config.email, config.password);
check((await page.locator('.welcome').innerText()).includes('Signed in as'), 'signed in to the dashboard');
await page.screenshot({ path: `${config.artifacts}/dashboard.png`, fullPage: true });

// A voice reply, recorded with the button on the playback page.
await page.goto(config.pageUrl);
const button = page.locator('offbeat-record').getByRole('button', { name: /Voice/ });
await button.click();
await page.locator('offbeat-record').getByRole('timer').waitFor();
await page.waitForTimeout(4000); // the fake microphone plays the speech file once
await page.locator('offbeat-record').getByRole('button', { name: /Stop/ }).click();
await page.waitForSelector('.thread article audio', { timeout: 30000 });
check(await page.locator('.thread article').count() === 1, 'the reply appears in the thread (without a reload)');
check(await page.locator('offbeat-record .done').isHidden() && !(await page.locator('offbeat-record').locator('a.link').getAttribute('href')),
  'a reply shows no link to share');
const played = await page.evaluate(async () => {
  const a = document.querySelector('.thread article audio');
  a.muted = true;
  await a.play();
  await new Promise(r => setTimeout(r, 700));
  return { time: a.currentTime, duration: a.duration };
});
check(played.time > 0.2, `the reply plays (${played.time.toFixed(2)} s in)`);
// Its transcript: the snippet shows once whisper is done.
let snippet = '';
for (let i = 0; i < 60 && !/budget/i.test(snippet); i++) {
  await page.waitForTimeout(1000);
  await page.reload();
  snippet = await page.locator('.thread article p:not(.byline)').first().innerText().catch(() => '');
}
check(/budget/i.test(snippet), `the reply's transcript shows the spoken words: "${snippet}"`);
await page.screenshot({ path: `${config.artifacts}/playback-with-reply.png`, fullPage: true });

// The dashboard's search opens the page at the matching moment.
await page.goto(`${config.base}/?q=Thursday`);
const hit = page.locator('.results a').first();
const href = await hit.getAttribute('href');
const t = Number(new URL(href).searchParams.get('t'));
check(t > 1, `the search result points at the moment "Thursday" is said (${t} s)`);
await hit.click();
await page.waitForFunction(() => document.getElementById('media').readyState >= 1, null, { timeout: 10000 });
await page.waitForTimeout(200);
const opened = await page.evaluate(() => document.getElementById('media').currentTime);
check(Math.abs(opened - t) < 0.3, `the page opened at that moment (${opened.toFixed(2)} s)`);

// A camera-and-mic message from the dashboard: its link, then its page plays it.
// Its title is typed while recording: the button sets it once the take is stored.
await page.goto(`${config.base}/`);
await page.evaluate(() => { window.notReloaded = true; });
await page.locator('offbeat-record').getByRole('button', { name: /Camera/ }).click();
await page.locator('offbeat-record').getByRole('timer').waitFor();
await page.locator('offbeat-record').getByLabel('Title').fill('Camera hello');
await page.waitForTimeout(3500);
await page.locator('offbeat-record').getByRole('button', { name: /Stop/ }).click();
// The link shows from the start; once stopped, the clip behind it becomes final.
await page.waitForFunction(
  () => /Ready to share/.test(document.querySelector('offbeat-record').shadowRoot.querySelector('.status').textContent),
  null, { timeout: 30000 });
const link = page.locator('offbeat-record').locator('a.link');
const url = await link.getAttribute('href');
check(url.startsWith(`${config.base}/c/`), `the button shows the share link ${url}`);
check(await page.locator('offbeat-record').getByRole('button', { name: 'Copy link' }).isVisible(), 'with a copy button');

// The dashboard lists it without a reload.
await page.locator('#mine').getByRole('link', { name: 'Camera hello' }).waitFor({ timeout: 30000 });
check(await page.evaluate(() => window.notReloaded === true), 'the new message appears in "Your messages" without a reload');

await page.goto(url);
await page.waitForFunction(() => document.getElementById('media').readyState >= 1, null, { timeout: 15000 });
check(await page.locator('h1').innerText() === 'Camera hello', 'the message has the title typed while recording');
const video = await page.evaluate(() => {
  const v = document.getElementById('media');
  return { tag: v.tagName, duration: v.duration, poster: v.poster };
});
check(video.tag === 'VIDEO', 'the page plays it as video');
check(Number.isFinite(video.duration) && video.duration > 2.5 && video.duration < 6, `its duration is known (${video.duration.toFixed(2)} s)`);
check(video.poster.includes('/poster'), 'with the poster taken while recording');
const seeked = await page.evaluate(async () => {
  const v = document.getElementById('media');
  const target = v.duration / 2;
  await new Promise(resolve => { v.addEventListener('seeked', resolve, { once: true }); v.currentTime = target; });
  return { target, at: v.currentTime };
});
check(Math.abs(seeked.at - seeked.target) < 0.3, `seeking to the middle works (${seeked.at.toFixed(2)} of ${seeked.target.toFixed(2)} s)`);
const frame = await page.evaluate(() => document.getElementById('media').videoWidth);
check(frame > 0, `video frames decode (${frame} px wide)`);

await context.close();
