// A message's summary in a real browser: its owner opens the page before the summary exists and
// it appears by itself (no reload), marked as generated on this server; the chapters seek the
// player; the page with its summary passes axe-core's A/AA rules at desktop and phone widths,
// light and dark, without scrolling sideways; the owner rewrites the summary and the page says
// it is theirs now. Screenshots go to config.artifacts.
import { readFileSync } from 'node:fs';
import { launch, check, auditWidths, signIn } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const axeSource = readFileSync(config.axe, 'utf8');
const context = await launch();
const page = await context.newPage();
page.on('dialog', d => d.accept());
page.on('console', m => { if (m.type() === 'error') console.log(`browser console: ${m.text()}`); });
page.on('pageerror', e => console.log(`page error: ${e.message}`));

await signIn(page, config.base, config.email, config.password);

await page.goto(config.pageUrl);
await page.evaluate(() => { window.notReloaded = true; });
const before = await page.locator('#summary').innerText();
check(!before.includes('Generated on this server'), `no summary yet when the page opens ("${before.trim().split('\n').pop()}")`);
const again = page.getByRole('button', { name: 'Summarise again' });
check(await again.count() === 0, 'nothing to summarise again before there is a summary');

// The summary arrives while the page is open.
const text = page.locator('#summary .summary-text');
await text.waitFor({ timeout: 300000 });
check(await page.evaluate(() => window.notReloaded === true), 'the summary appeared without a reload');
const byline = await page.locator('#summary .byline').innerText();
check(byline.startsWith('Generated on this server'), `it says where it comes from: "${byline}"`);
check((await text.innerText()).length > 20, `a summary: "${await text.innerText()}"`);
check(await again.count() === 1, 'its owner may ask for it again');

// The chapters seek the player.
const chapters = page.locator('#summary .chapters button');
const count = await chapters.count();
check(count >= 2, `${count} chapters: ${(await chapters.allInnerTexts()).join(' / ')}`);
const second = chapters.nth(1);
const startMs = Number(await second.getAttribute('data-start-ms'));
await second.click();
await page.waitForFunction(at => {
  const media = document.querySelector('audio, video');
  return media && Math.abs(media.currentTime - at) < 1.5;
}, startMs / 1000, { timeout: 10000 });
const at = await page.evaluate(() => document.querySelector('audio, video').currentTime);
check(Math.abs(at - startMs / 1000) < 1.5, `the second chapter seeks the player to ${(startMs / 1000).toFixed(1)} s (at ${at.toFixed(1)} s)`);

// Accessible and fitting, with the summary shown.
await auditWidths(page, { axeSource, artifacts: config.artifacts, name: 'summary', what: 'the page with its summary' });

// The owner writes their own: the page says so, and keeps it.
await page.getByText('Edit the summary').click();
await page.locator('#summary-form textarea[name=summary]').fill(config.ownSummary);
await page.getByRole('button', { name: 'Save the summary' }).click();
await page.locator('#summary .byline', { hasText: "Written by the message's owner." }).waitFor({ timeout: 15000 });
check(await text.innerText() === config.ownSummary, `the owner's summary is shown: "${await text.innerText()}"`);
check(await page.evaluate(() => window.notReloaded === true), 'still without a reload');

await context.close();
