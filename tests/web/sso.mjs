// Single sign-on in Chromium against a real OpenID Provider (tests/web/oidc_provider.mjs):
// a member signs in as themselves (and is still found after changing their email at the
// provider), a newcomer from an allowed domain joins through the first-run form, an invitation
// followed by single sign-on joins, an outsider and an unverified address are refused; a
// tampered state, a replayed callback, a replayed code and forged ID tokens (wrong nonce,
// another audience, another key) are each refused; then `recorder login`'s approval page is
// allowed by a member who signs in there through the provider, and a token is made in settings.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { auditWidths, check } from './browser.mjs';

const config = JSON.parse(process.env.OFFBEAT_WEB_TEST);
const { base, provider, label } = config;
const errors = [];
const axeSource = readFileSync(config.axe, 'utf8');
const audit = (page, name, what) => auditWidths(page, { axeSource, artifacts: config.artifacts, name, what });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});

// A browser of its own: no session here or at the provider.
async function fresh(timezoneId = 'Europe/Berlin', viewport = { width: 1024, height: 900 }) {
  // No service worker: Playwright's routing (the tampering below) does not see what one serves.
  const context = await browser.newContext({ timezoneId, viewport, serviceWorkers: 'block' });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  return page;
}

// At the provider's development interaction: any login (which names the claims), then consent.
async function atProvider(page, login) {
  await page.waitForURL((url) => url.href.startsWith(provider), { timeout: 15000 }).catch(async (e) => {
    console.error(`not at the provider: ${page.url()}\n${await page.locator('body').innerText().catch(() => '')}`);
    throw e;
  });
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password will do');
  await page.locator('button[type=submit]').click();
  const consent = page.locator('button[type=submit]', { hasText: 'Continue' });
  const back = page.waitForURL((url) => url.href.startsWith(base), { timeout: 15000 });
  const asked = consent.waitFor({ timeout: 15000 }).then(() => 'consent');
  if ((await Promise.race([back.then(() => 'back'), asked])) === 'consent') {
    await consent.click();
    await page.waitForURL((url) => url.href.startsWith(base), { timeout: 15000 }).catch(async (e) => {
      console.error(`not back from the provider: ${page.url()}\n${await page.locator('body').innerText().catch(() => '')}`);
      throw e;
    });
  }
  await page.waitForLoadState();
}

// Sets an account's claims at the provider (as its admin would); signing in names its sub.
async function account(sub, email, { name, verified } = {}) {
  const query = new URLSearchParams({ sub, email, ...(name ? { name } : {}), ...(verified ? { verified } : {}) });
  const answer = await fetch(`${provider}/test/account?${query}`);
  if (!answer.ok) throw new Error(`the provider did not take ${sub}: ${answer.status}`);
}
await account('ann-at-provider', 'ann@acme.test', { name: 'Ann Provider' });
await account('cy-at-provider', 'cy@acme.test', { name: 'Cy Newman' });
await account('dee-at-provider', 'dee@partner.test', { name: 'Dee Partner' });
await account('eve-at-provider', 'eve@elsewhere.test');
await account('uv-at-provider', 'uv@acme.test', { verified: 'no' });

async function signInWith(page, login) {
  await page.goto(`${base}/login`);
  await page.getByRole('link', { name: label }).click();
  await atProvider(page, login);
}

// Changes the query the provider sends the browser back with, as an attacker in the middle
// would. Playwright does not route the hops of a redirect, so the chain that starts at Offbeat's
// start route (and at each form posted to the provider) is followed here instead; where it
// ends, the browser is sent (the callback with `change` made to its query).
async function tamperOnTheWayBack(page, change) {
  const follow = async (route) => {
    let response = await route.fetch({ maxRedirects: 0 });
    let at = route.request().url();
    for (let hop = 0; hop < 10; hop++) {
      const location = response.headers().location;
      if (!location) break;
      const next = new URL(location, at);
      if (next.href.startsWith(`${base}/auth/oidc/callback`)) {
        change(next.searchParams);
        return route.fulfill({ status: 303, headers: { location: next.href } });
      }
      at = next.href;
      response = await page.context().request.get(at, { maxRedirects: 0 });
    }
    return route.fulfill({ status: 303, headers: { location: at } });
  };
  await page.route(`${base}/auth/oidc/start**`, follow);
  await page.route(`${provider}/**`, (route) => (route.request().method() === 'POST' ? follow(route) : route.continue()));
}

async function me(page) {
  return page.evaluate(async () => {
    const answer = await fetch('/api/v1/me');
    return answer.ok ? answer.json() : { status: answer.status };
  });
}

async function refusedWith(page, words, what) {
  const text = await page.locator('main').innerText();
  check(text.includes('Not signed in') && text.includes(words), `${what} is refused, saying why ("${words}")`);
  check((await me(page)).status === 401, `${what} leaves nobody signed in`);
}

// The login page: the single sign-on button above the password form.
{
  const page = await fresh();
  await page.goto(`${base}/login`);
  const button = await page.getByRole('link', { name: label }).boundingBox();
  const password = await page.getByLabel('Password').boundingBox();
  check(button && password && button.y < password.y, 'the single sign-on button comes above the password form');
  await audit(page, 'sso-login', 'the sign-in page with single sign-on');
  await page.context().close();
}

// An existing member signs in as themselves, and is linked by the provider's `sub`.
let ann;
{
  const page = await fresh();
  await signInWith(page, 'ann-at-provider');
  check(page.url() === `${base}/`, `an existing member lands on the dashboard (${page.url()})`);
  ann = await me(page);
  check(ann.email === 'ann@acme.test' && ann.display_name === 'Ann Member', 'signed in as the existing account, name kept');
  await page.context().close();
}
{
  const page = await fresh();
  await account('ann-at-provider', 'ann.renamed@acme.test', { name: 'Ann Provider' });
  await signInWith(page, 'ann-at-provider');
  const again = await me(page);
  check(again.id === ann.id, 'after an email change at the provider, the same sub finds the same member');
  await page.context().close();
}

// A new verified address in an allowed domain joins, with the browser's time zone.
{
  const page = await fresh('America/Sao_Paulo', { width: 390, height: 844 });
  await signInWith(page, 'cy-at-provider');
  check((await page.locator('h1').innerText()).startsWith('Join Default'), 'a newcomer gets the first-run form');
  check((await page.getByLabel('Your name').inputValue()) === 'Cy Newman', "the name comes from the provider's claim");
  check((await page.locator('input[name=time_zone]').inputValue()) === 'America/Sao_Paulo', "the time zone from the browser");
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390, `the first-run form fits a phone (${wide} px wide)`);
  await audit(page, 'sso-welcome', 'the first-run form');
  await page.getByRole('button', { name: 'Join' }).click();
  await page.waitForURL(`${base}/`);
  const cy = await me(page);
  check(cy.email === 'cy@acme.test' && cy.time_zone === 'America/Sao_Paulo' && !cy.is_admin, 'the newcomer joined as a member');
  await page.goto(`${base}/settings`);
  check((await page.locator('main').innerText()).includes('you have no password here'), 'settings say a single sign-on account has no password');
  check((await page.locator('#password-form').count()) === 0, 'and ask for none');
  // An admin removes Cy in Offbeat: their session ends at once, and the provider's word no
  // longer gets them in.
  const removed = await fetch(`${base}/api/v1/members/${cy.id}`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${config.adminToken}` },
  });
  check(removed.status === 204, `an admin removes the newcomer (${removed.status})`);
  check((await me(page)).status === 401, "the removed member's session ended at once");
  const again = await fresh();
  await signInWith(again, 'cy-at-provider');
  await refusedWith(again, 'admin removed you', 'a removed member signing in through the provider');
  await again.context().close();
  await page.context().close();
}

// An invitation followed by single sign-on joins with the invitation's terms.
{
  const page = await fresh('Asia/Manila');
  await page.goto(config.invite);
  await page.getByRole('link', { name: label }).click();
  await atProvider(page, 'dee-at-provider');
  await page.getByRole('button', { name: 'Join' }).click();
  await page.waitForURL(`${base}/`);
  const dee = await me(page);
  check(dee.email === 'dee@partner.test' && dee.time_zone === 'Asia/Manila', 'an invitation followed by single sign-on joins');
  await page.context().close();
}

// Whoever may not join is refused, saying why.
{
  const page = await fresh();
  await signInWith(page, 'eve-at-provider');
  await refusedWith(page, 'join only with an invitation', 'an address outside the allowed domains');
  await page.context().close();
}
{
  const page = await fresh();
  await signInWith(page, 'uv-at-provider');
  await refusedWith(page, 'has not verified', 'an unverified email');
  await page.context().close();
}

// A tampered state.
{
  const page = await fresh();
  await tamperOnTheWayBack(page, (query) => query.set('state', 'tampered-state'));
  await signInWith(page, 'ann-at-provider');
  await refusedWith(page, 'did not come back the way it left', 'a tampered state');
  await page.context().close();
}

// A replayed callback, then a replayed code under a fresh state.
{
  const page = await fresh();
  let callback;
  page.on('request', (request) => {
    if (request.url().startsWith(`${base}/auth/oidc/callback`)) callback ??= request.url();
  });
  await signInWith(page, 'ann-at-provider');
  check(page.url() === `${base}/` && callback, 'signed in, the callback seen');
  await page.context().clearCookies({ name: 'offbeat_session' });
  await page.goto(callback);
  await refusedWith(page, 'expired or was already used', 'a replayed callback');
  const code = new URL(callback).searchParams.get('code');
  await tamperOnTheWayBack(page, (query) => query.set('code', code));
  await page.goto(`${base}/auth/oidc/start`);
  // The provider may ask to sign in again (its session is its own business).
  if (page.url().startsWith(provider)) await atProvider(page, 'ann-at-provider');
  check(page.url().startsWith(`${base}/auth/oidc/callback`), `back with the old code (${page.url()}: ${await page.locator('body').innerText()})`);
  await refusedWith(page, 'could not be trusted', 'a replayed code');
  await page.context().close();
}

// Forged ID tokens.
for (const mischief of ['nonce', 'audience', 'key']) {
  await fetch(`${provider}/test/mischief?mode=${mischief}`);
  const page = await fresh();
  await signInWith(page, 'ann-at-provider');
  await refusedWith(page, 'could not be trusted', `an ID token with ${mischief === 'key' ? 'another key' : `another ${mischief}`}`);
  await page.context().close();
}
await fetch(`${provider}/test/mischief?mode=none`);
{
  const page = await fresh();
  await signInWith(page, 'ann-at-provider');
  check((await me(page)).id === ann.id, 'an honest sign-in works again after the forgeries');
  await page.context().close();
}

// `recorder login`: its approval page, reached signed out, signs in through the provider.
if (config.recorderUrl) {
  const page = await fresh();
  await page.goto(config.recorderUrl);
  check(page.url().startsWith(`${base}/login?next=`), 'the approval page asks to sign in first');
  await page.getByRole('link', { name: label }).click();
  await atProvider(page, 'ann-at-provider');
  check(page.url().startsWith(`${base}/auth/recorder?`), `back at the approval page after signing in (${page.url()})`);
  const asks = await page.locator('main').innerText();
  check(asks.includes('Ann Member') && asks.includes('recorder on'), 'it says who the recorder will act as');
  await audit(page, 'recorder-approval', 'the recorder approval page');
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((url) => url.href.startsWith('http://127.0.0.1:') && url.pathname === '/callback', { timeout: 15000 });
  check((await page.locator('body').innerText()).includes('go back to the terminal'), 'the recorder received the answer');
  await page.context().close();
}

// Settings: the recorder's token is listed; a token made there (for a machine with no browser)
// is shown once.
{
  const page = await fresh();
  await signInWith(page, 'ann-at-provider');
  let listed = '';
  for (let tries = 0; tries < 50 && !listed.includes('recorder on'); tries++) {
    await page.goto(`${base}/settings`);
    listed = await page.locator('ul.tokens').innerText();
    if (!listed.includes('recorder on')) await page.waitForTimeout(200);
  }
  check(!config.recorderUrl || listed.includes('recorder on'), "the recorder's own token is listed in settings");
  await page.getByLabel('What it is for').fill('recorder on the studio Mac');
  await page.getByRole('button', { name: 'Make a token' }).click();
  await page.locator('#token-made:not([hidden])').waitFor();
  const secret = await page.locator('#token-secret').inputValue();
  check(/^[0-9a-f]{64}$/.test(secret), 'a new token is shown once');
  check((await page.locator('ul.tokens').innerText()).includes('recorder on the studio Mac'), 'and listed');
  writeFileSync(config.tokenFile, secret);
  await page.context().close();
}

await browser.close();
check(errors.length === 0, `no script errors (${errors.join('; ')})`);
