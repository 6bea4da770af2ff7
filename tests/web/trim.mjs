// Trimming a message in a real browser, on a phone: the owner opens the Trim panel, sets the
// start at the playhead and types the end, plays the part kept (it stops at the end), trims;
// the page then plays the cut and says what was cut, with Undo and Keep; Undo brings the
// original back; a second trim is kept for good. The page with the panel open passes axe-core
// at desktop and phone widths without scrolling sideways. Screenshots go to config.artifacts.
import { readFileSync } from 'node:fs';
import { launch, check, auditWidths, signIn } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const axeSource = readFileSync(config.axe, 'utf8');
const context = await launch({ phone: true });
const page = await context.newPage();
page.on('dialog', d => d.accept());
page.on('console', m => { if (m.type() === 'error') console.log(`browser console: ${m.text()}`); });
page.on('pageerror', e => console.log(`page error: ${e.message}`));

await signIn(page, config.base, config.email, config.password);
await page.goto(config.pageUrl);

const media = page.locator('#media');
const duration = async () => page.evaluate(() => document.getElementById('media').duration);
await page.waitForFunction(() => document.getElementById('media').readyState >= 1);
const original = await duration();

await page.getByRole('button', { name: 'Trim', exact: true }).click();
check(await page.locator('#trim').isVisible(), 'the Trim panel opens');
await auditWidths(page, { axeSource, artifacts: config.artifacts, name: 'trim', what: 'the page with the Trim panel open' });

// The start at the playhead (1.0 s), the end typed; a slip is explained, not sent.
await media.evaluate(m => { m.currentTime = 1.0; });
await page.waitForFunction(() => Math.abs(document.getElementById('media').currentTime - 1.0) < 0.05);
await page.getByRole('button', { name: 'Start at playhead' }).click();
check(await page.locator('#trim-start').inputValue() === '0:01.0', `the start is the playhead (${await page.locator('#trim-start').inputValue()})`);
await page.locator('#trim-end').fill('0:01.2');
check((await page.locator('#trim .status').innerText()).includes('half a second'), 'too short a part is explained');
const endSecs = Math.floor(original * 10 - 10) / 10;
await page.locator('#trim-end').fill(`0:0${endSecs.toFixed(1)}`);
check(await page.locator('#trim .status').innerText() === '', 'a good part clears the message');

// The preview plays from the start and stops at the end.
await page.getByRole('button', { name: 'Play the part kept' }).click();
await page.waitForFunction(() => document.getElementById('media').paused === false, null, { timeout: 10000 });
await page.waitForFunction(() => document.getElementById('media').paused === true, null, { timeout: 20000 });
const stoppedAt = await media.evaluate(m => m.currentTime);
check(Math.abs(stoppedAt - endSecs) < 0.5, `the preview stopped at the end (${stoppedAt.toFixed(2)} s of ${endSecs})`);

// Trim: the page reloads with the cut playing and a note saying what was cut.
await page.getByRole('button', { name: 'Trim', exact: true }).last().click();
await page.locator('.trimmed').waitFor({ timeout: 20000 });
const note = await page.locator('.trimmed').innerText();
check(note.includes('0:01 cut from the start'), `the note says what was cut ("${note.split('\n')[0]}")`);
await page.waitForFunction(() => document.getElementById('media').readyState >= 1);
const cut = await duration();
check(Math.abs(cut - (endSecs - 1.0)) < 0.15, `the page plays the cut: ${cut.toFixed(2)} s of ${original.toFixed(2)} s`);
await page.screenshot({ path: `${config.artifacts}/trim-done-390.png`, fullPage: true });

// Undo: the original is back.
await page.getByRole('button', { name: 'Undo trim' }).click();
await page.waitForFunction(() => !document.querySelector('.trimmed'), null, { timeout: 20000 });
await page.waitForFunction(() => document.getElementById('media').readyState >= 1);
check(Math.abs(await duration() - original) < 0.05, 'Undo brings the original back');

// Trim again and keep it: the note no longer offers Undo.
await page.getByRole('button', { name: 'Trim', exact: true }).first().click();
await page.locator('#trim-start').fill('0:00.5');
await page.getByRole('button', { name: 'Trim', exact: true }).last().click();
await page.locator('.trimmed').waitFor({ timeout: 20000 });
await page.getByRole('button', { name: /Keep trimmed/ }).click();
await page.waitForFunction(() => !document.getElementById('trim-undo') && document.querySelector('.trimmed'), null, { timeout: 20000 });
check((await page.locator('.trimmed').innerText()).includes('part of the recording its owner kept'), 'kept for good: no Undo any more');

await context.close();
