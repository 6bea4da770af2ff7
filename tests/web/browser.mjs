// Launches Debian's Chromium headless with fake media devices (see ../shared/TESTING-MEDIA.md).
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `phone`: a 390 × 844 touch screen, as a phone's browser is.
export async function launch({ fakeAudio, timezoneId, phone } = {}) {
  const args = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  ];
  if (fakeAudio) args.push(`--use-file-for-fake-audio-capture=${fakeAudio}%noloop`);
  const dir = mkdtempSync(join(tmpdir(), 'offbeat-chromium-'));
  return chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args,
    viewport: phone ? { width: 390, height: 844 } : { width: 1024, height: 900 },
    ...(phone ? { hasTouch: true, isMobile: true, deviceScaleFactor: 3 } : {}),
    timezoneId,
  });
}

// Signs `page` in through the sign-in page of the server at `base`, and waits for the dashboard.
export async function signIn(page, base, email, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/`);
}

export function check(condition, message) {
  if (!condition) {
    console.error(`FAILED: ${message}`);
    process.exit(1);
  }
  console.log(`ok: ${message}`);
}

// Waits until the record button in `page` has recorded at least `seconds`, by its own timer:
// what the take holds, whatever the machine's pace (a fixed sleep would only guess).
export async function recordedFor(page, seconds) {
  await page.waitForFunction(min => {
    const text = document.querySelector('offbeat-record')?.shadowRoot?.querySelector('.timer')?.textContent || '0:00';
    const [m, s] = text.split(':').map(Number);
    return m * 60 + s >= min;
  }, seconds, { timeout: 30000, polling: 100 });
}

// Audits `page` as it stands at desktop and phone widths, light and dark: no axe-core A/AA
// violation (axeSource: axe.min.js's text), nothing sticking out sideways; a full-page
// screenshot of each to `${artifacts}/${name}-${width}-${scheme}.png`. Leaves the page at
// 1024 px, light.
export async function auditWidths(page, { axeSource, artifacts, name, what }) {
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    for (const colorScheme of ['light', 'dark']) {
      await page.setViewportSize({ width, height });
      await page.emulateMedia({ colorScheme });
      await page.evaluate(axeSource);
      const result = await page.evaluate(() => window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      }));
      const found = result.violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
      check(found.length === 0, `axe-core: no A/AA violation on ${what} at ${width} px, ${colorScheme} (${found.join('; ') || `${result.passes.length} rules pass`})`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      check(overflow <= 0, `nothing sticks out sideways at ${width} px (${overflow} px)`);
      await page.screenshot({ path: `${artifacts}/${name}-${width}-${colorScheme}.png`, fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1024, height: 900 });
  await page.emulateMedia({ colorScheme: 'light' });
}
