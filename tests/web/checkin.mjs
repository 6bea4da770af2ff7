// A check-in in a real browser with a fake microphone: Manu opens the stand-up from the card on
// the dashboard, answers by voice with the record button, and watches the round fill in (Dani's
// written answer, the round closing, the transcript of his own) without reloading; the round
// page passes axe-core's A/AA rules at desktop and phone widths, light and dark, and fits a
// phone without scrolling sideways. Screenshots go to config.artifacts.
import { readFileSync } from 'node:fs';
import { launch, check, recordedFor, auditWidths, signIn } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const axeSource = readFileSync(config.axe, 'utf8');
const context = await launch({ fakeAudio: config.speechWav, timezoneId: 'Asia/Manila' });
const page = await context.newPage();
page.on('dialog', d => d.dismiss());

// The round page: accessible at desktop and phone widths, in both colour schemes, and nothing
// sticks out sideways on a phone.
const audit = (state) => auditWidths(page, {
  axeSource, artifacts: config.artifacts, name: `checkin-round-${state}`, what: `the ${state} round page`,
});

await signIn(page, config.base, config.manu.email, config.password);

// The dashboard asks for the stand-up, with when it is due.
const card = page.locator('#checkins').getByRole('link', { name: /^Stand-up — due by / });
await card.waitFor({ timeout: 30000 });
check(await card.count() === 1, `the dashboard shows one card: "${await card.innerText()}"`);
await page.screenshot({ path: `${config.artifacts}/checkin-dashboard.png`, fullPage: true });
await card.click();
await page.waitForURL(`${config.base}/checkins/rounds/${config.roundId}`);
const questions = await page.locator('ol.questions li').allInnerTexts();
check(questions.join('|') === 'What did you do yesterday?|What is in your way?', `the round page asks the questions (${questions.join(' / ')})`);
check(await page.locator('.people').getByText('Dani Davao — asked').count() === 1, 'Dani is still to answer');
await audit('open');

// Manu answers by voice: the answer appears, and he is answered, without a reload.
await page.evaluate(() => { window.notReloaded = true; });
await page.locator('offbeat-record').getByRole('button', { name: /Voice/ }).click();
await page.locator('offbeat-record').getByRole('timer').waitFor();
await recordedFor(page, 4);
await page.locator('offbeat-record').getByRole('button', { name: /Stop/ }).click();
await page.waitForSelector('#conversation article audio', { timeout: 30000 });
check(await page.locator('#conversation article').count() === 1, 'the voice answer appears in the round');
await page.locator('.people').getByText('Manu Manila — answered').waitFor({ timeout: 30000 });
check(true, 'Manu shows as answered');

// Dani answers in writing elsewhere: it arrives, and with everyone answered the round closes.
const sent = await fetch(`${config.base}/api/v1/checkins/rounds/${config.roundId}/answers`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${config.dani.token}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ text: 'Reviewing the migration today; nothing in my way.' }),
});
check(sent.status === 201, `Dani's answer is taken (${sent.status})`);
await page.locator('#conversation').getByText('Reviewing the migration today').waitFor({ timeout: 45000 });
check(true, "Dani's written answer appears in the round");
await page.locator('#round-state').getByText(/^Closed · 2 of 2 answered$/).waitFor({ timeout: 45000 });
check(true, 'the round shows itself closed, 2 of 2 answered');
// The voice answer's words, once transcribed, show under its player.
await page.locator('#conversation article').filter({ has: page.locator('audio') }).getByText(/budget/i)
  .waitFor({ timeout: 120000 });
check(true, 'the voice answer shows its transcript');
check(await page.evaluate(() => window.notReloaded === true), 'all of it without a reload');

// The round page, closed, passes the same audit.
await audit('closed');
await context.close();

// The lead makes a check-in on /checkins with the form, then changes it on its page.
const lead = await launch({ timezoneId: 'Europe/Berlin' });
const leadPage = await lead.newPage();
await signIn(leadPage, config.base, config.lead.email, config.password);
await leadPage.getByRole('navigation').getByRole('link', { name: 'Check-ins' }).click();
await leadPage.waitForURL(`${config.base}/checkins`);
const make = leadPage.locator('form.checkin-form');
await make.getByLabel('Title').fill('Retro');
await make.getByLabel('Question 1').fill('What went well this week?');
await make.getByLabel('Question 2').fill('What would you change?');
await make.getByLabel('Question 3').fill('');
for (const day of ['mon', 'tue', 'wed', 'thu']) await make.getByLabel(day, { exact: true }).uncheck();
await make.getByLabel(/at the start of their working hours/).check();
await make.getByLabel('These people:').check();
await make.getByLabel('Manu Manila').check();
await make.getByLabel('Bea Berlin').uncheck();
await make.getByRole('button', { name: 'Make the check-in' }).click();
await leadPage.waitForURL(/\/checkins\/[0-9a-f]{32}$/);
const schedule = await leadPage.locator('p.byline').innerText();
check(schedule.startsWith('Asks Manu Manila at the start of their working day on Fri; 4 hours to answer.'), `the new check-in's page says what it does: "${schedule}"`);
check((await leadPage.locator('ol.questions li').allInnerTexts()).join('|') === 'What went well this week?|What would you change?', 'with its two questions');
await leadPage.getByText('Change the check-in').click();
const change = leadPage.locator('form.checkin-form');
check(await change.getByLabel('Title').inputValue() === 'Retro' && await change.getByLabel('fri', { exact: true }).isChecked(), 'the change form starts from the check-in as it is');
await change.getByLabel('Question 2').fill('What should we stop doing?');
await change.getByLabel('mon', { exact: true }).check();
await change.getByLabel('Dani Davao').check();
await change.getByRole('button', { name: 'Save the changes' }).click();
await leadPage.locator('ol.questions li', { hasText: 'What should we stop doing?' }).waitFor({ timeout: 15000 });
const changed = await leadPage.locator('p.byline').innerText();
check(changed.startsWith('Asks Dani Davao, Manu Manila at the start of their working day on Mon, Fri;'), `the change is saved: "${changed}"`);
await leadPage.screenshot({ path: `${config.artifacts}/checkin-page.png`, fullPage: true });
await lead.close();
