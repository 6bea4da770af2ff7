// A team gets in by itself: the setup link the server printed makes the first admin; an invite
// made on the members page is opened by a browser in another time zone; the members page shows
// local times and the hours everyone shares; a removed member is out at once while their clip
// stays; a password change ends the other sessions.
import { launch, check } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const base = config.base;
const errors = [];

async function browser(timezoneId) {
  const context = await launch({ timezoneId });
  const page = await context.newPage();
  page.on('pageerror', e => errors.push(e.message));
  page.on('dialog', d => d.accept());
  return { context, page };
}

// Every day a working day, so the shared window exists whatever day the suite runs.
async function fillHours(page, start, end) {
  for (const day of ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) {
    await page.locator(`input[name=day_${day}]`).check();
    await page.locator(`input[name=start_${day}]`).fill(start);
    await page.locator(`input[name=end_${day}]`).fill(end);
  }
}

async function join(invite, zone, name, email, hours) {
  const who = await browser(zone);
  await who.page.goto(invite);
  const prefilled = await who.page.locator('input[name=time_zone]').inputValue();
  check(prefilled === zone, `the join form takes the browser's time zone (${prefilled})`);
  await who.page.getByLabel('Your name').fill(name);
  await who.page.getByLabel('Email').fill(email);
  await who.page.getByLabel('Password').fill(config.password);
  await fillHours(who.page, ...hours);
  await who.page.getByRole('button', { name: 'Join' }).click();
  await who.page.waitForURL(`${base}/`);
  check((await who.page.locator('.byline').innerText()).includes(name), `${name} is signed in after joining`);
  return who;
}

async function makeInvite(page) {
  await page.goto(`${base}/members`);
  await page.getByRole('button', { name: 'Create invite link' }).click();
  await page.locator('#invite-url').waitFor({ state: 'visible' });
  return page.locator('#invite-url').inputValue();
}

const hhmm = (date, timeZone) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);

// 1. The setup link from the server's output: the first admin, signed in.
const ada = await browser('Europe/Berlin');
await ada.page.goto(config.setupUrl);
check(await ada.page.locator('input[name=time_zone]').inputValue() === 'Europe/Berlin', 'the setup form takes the browser\'s time zone');
await ada.page.getByLabel('Workspace').fill('Acme');
await ada.page.getByLabel('Your name').fill('Ada');
await ada.page.getByLabel('Email').fill('ada@example.com');
await ada.page.getByLabel('Password').fill(config.password);
await fillHours(ada.page, '09:00', '17:00');
await ada.page.getByRole('button', { name: 'Create the workspace' }).click();
await ada.page.waitForURL(`${base}/`);
check((await ada.page.locator('.byline').innerText()).includes('Ada'), 'the first admin is signed in');
const reuse = await ada.page.request.get(config.setupUrl);
check(reuse.status() === 404, `the setup link is a 404 afterwards (${reuse.status()})`);

// 2. Invites, opened in browsers in Manila and São Paulo.
const nia = await join(await makeInvite(ada.page), 'Asia/Manila', 'Nia', 'nia@example.com', ['14:00', '22:00']);
const sam = await join(await makeInvite(ada.page), 'America/Sao_Paulo', 'Sam', 'sam@example.com', ['07:00', '15:00']);

// 3. The members page: local times, and the hours all three share in Ada's time
//    (10:00–14:00 UTC: Berlin 09–17, Manila 14–22 = 06–14 UTC, São Paulo 07–15 = 10–18 UTC).
await ada.page.goto(`${base}/members`);
const row = name => ada.page.locator('tr[data-member]', { hasText: name });
const shownManila = await row('Nia').locator('td.time').innerText();
const now = new Date();
const manilaNow = [hhmm(now, 'Asia/Manila'), hhmm(new Date(now - 60000), 'Asia/Manila')];
check(manilaNow.includes(shownManila), `Nia's local time is Manila's (${shownManila}, expected ${manilaNow[0]})`);
check((await row('Nia').innerText()).includes('Asia/Manila'), 'Nia shows with her time zone');
const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(now).split('-').map(Number);
const from = hhmm(new Date(Date.UTC(day[0], day[1] - 1, day[2], 10, 0)), 'Europe/Berlin');
const until = hhmm(new Date(Date.UTC(day[0], day[1] - 1, day[2], 14, 0)), 'Europe/Berlin');
const summary = await ada.page.locator('#shared-hours').innerText();
check(summary === `Everyone is around ${from}–${until} your time.`, `the shared hours in Ada's time: "${summary}"`);
check(await ada.page.locator('.timeline .track').count() === 3, 'the timeline has a row per member');
check(await ada.page.locator('.timeline rect.shared').count() === 3, 'the shared hours are drawn in every row');
await ada.page.screenshot({ path: `${config.artifacts}/members.png`, fullPage: true });

// 4. Nia has a clip and an API token; removed, she is out at once, her clip stays.
const clipId = await nia.page.evaluate(async (bytes) => {
  const csrf = document.querySelector('meta[name=csrf-token]').content;
  const body = Uint8Array.from(atob(bytes), c => c.charCodeAt(0));
  const r = await fetch('/api/v1/clips?title=From%20Nia', { method: 'POST', headers: { 'X-CSRF-Token': csrf }, body });
  return (await r.json()).id;
}, config.clipBase64);
check(typeof clipId === 'string', 'Nia uploaded a clip');
const niaToken = await nia.page.evaluate(async (password) => {
  const r = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'nia@example.com', password, kind: 'api' }) });
  return (await r.json()).token;
}, config.password);
await ada.page.goto(`${base}/members`);
await row('Nia').getByRole('button', { name: 'Remove' }).click();
await ada.page.waitForFunction(() => !document.body.innerText.includes('Nia'));
const niaSession = await nia.page.evaluate(() => fetch('/api/v1/me').then(r => r.status));
check(niaSession === 401, `Nia's session answers 401 at once (${niaSession})`);
const niaApi = await nia.page.evaluate(t => fetch('/api/v1/me', { headers: { Authorization: `Bearer ${t}` } }).then(r => r.status), niaToken);
check(niaApi === 401, `Nia's API token answers 401 at once (${niaApi})`);
const media = await ada.page.evaluate(id => fetch(`/api/v1/clips/${id}/media`).then(r => r.status), clipId);
check(media === 200, `Nia's clip stays playable to the team (${media})`);

// 5. A password change ends Ada's other session (a second browser), not this one.
const elsewhere = await browser('Europe/Berlin');
await elsewhere.page.goto(`${base}/login`);
await elsewhere.page.getByLabel('Email').fill('ada@example.com');
await elsewhere.page.getByLabel('Password').fill(config.password);
await elsewhere.page.getByRole('button', { name: 'Sign in' }).click();
await elsewhere.page.waitForURL(`${base}/`);
await ada.page.goto(`${base}/settings`);
await ada.page.getByLabel('Current password').fill(config.password);
await ada.page.getByLabel('New password').fill('a brand new passphrase');
await ada.page.getByRole('button', { name: 'Change password' }).click();
await ada.page.locator('#password-status', { hasText: 'Password changed' }).waitFor();
const other = await elsewhere.page.evaluate(() => fetch('/api/v1/me').then(r => r.status));
check(other === 401, `the other session ends (${other})`);
const here = await ada.page.evaluate(() => fetch('/api/v1/me').then(r => r.status));
check(here === 200, `this session stays (${here})`);

// 6. The profile: a new name and zone, saved.
await ada.page.getByLabel('Your name').fill('Ada L.');
await ada.page.locator('input[name=time_zone]').fill('Europe/Lisbon');
await ada.page.getByRole('button', { name: 'Save', exact: true }).click();
await ada.page.locator('#profile-status', { hasText: 'Saved.' }).waitFor();
const me = await ada.page.evaluate(() => fetch('/api/v1/me').then(r => r.json()));
check(me.display_name === 'Ada L.' && me.time_zone === 'Europe/Lisbon', `the profile is saved (${me.display_name}, ${me.time_zone})`);

// 7. Webhooks, for admins: added with its secret shown once, listed, removed.
await ada.page.getByLabel('Endpoint URL').fill('https://93.184.216.34/hooks/offbeat');
await ada.page.getByRole('button', { name: 'Add webhook' }).click();
await ada.page.locator('#webhook-status', { hasText: 'Added' }).waitFor();
const secret = await ada.page.locator('#webhook-secret').inputValue();
check(/^whsec_[A-Za-z0-9+/]{43}=$/.test(secret), `the signing secret is shown once (${secret.slice(0, 10)}…)`);
const listed = await ada.page.evaluate(() => fetch('/api/v1/webhooks').then(r => r.json()));
check(listed.webhooks.length === 1 && listed.webhooks[0].format === 'chat', `the webhook is listed as chat (${JSON.stringify(listed)})`);
check(await ada.page.locator('li[data-webhook]').getByText('https://93.184.216.34/hooks/offbeat').count() === 1
  && await ada.page.getByText('No webhooks yet.').count() === 0, 'the page lists it at once, without a reload');
await ada.page.reload();
check(await ada.page.getByText('https://93.184.216.34/hooks/offbeat').count() === 1, 'and after a reload');
await ada.page.locator('li[data-webhook]').getByRole('button', { name: 'Remove' }).click();
await ada.page.locator('#webhook-status', { hasText: 'Removed.' }).waitFor();
const left = await ada.page.evaluate(() => fetch('/api/v1/webhooks').then(r => r.json()));
check(left.webhooks.length === 0, 'removed');
await sam.page.goto(`${base}/settings`);
check(await sam.page.getByRole('heading', { name: 'Webhooks' }).count() === 0, 'members see no webhooks section');

// 8. Done with a thread, and back: Nia's message leaves Ada's inbox and returns.
const inboxHas = () => ada.page.evaluate(id => fetch('/api/v1/inbox').then(r => r.json()).then(b => b.threads.some(t => t.root.id === id)), clipId);
check(await inboxHas(), 'Nia\'s message waits in Ada\'s inbox');
const niaPage = await ada.page.evaluate(id => fetch(`/api/v1/clips/${id}`).then(r => r.json()).then(c => c.page_url), clipId);
await ada.page.goto(niaPage);
await ada.page.getByRole('button', { name: 'Done — out of my inbox' }).click();
await ada.page.getByRole('status').filter({ hasText: 'out of your inbox' }).waitFor();
check(!(await inboxHas()), 'done: out of the inbox');
await ada.page.getByRole('button', { name: 'Mark unheard' }).click();
await ada.page.getByRole('status').filter({ hasText: 'Back in your inbox' }).waitFor();
check(await inboxHas(), 'unheard: back in the inbox');

check(errors.length === 0, `no script errors (${errors.join('; ')})`);
for (const b of [ada, nia, sam, elsewhere]) await b.context.close();
