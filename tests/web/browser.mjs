// Launches Debian's Chromium headless with fake media devices (see ../shared/TESTING-MEDIA.md).
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function launch({ fakeAudio, timezoneId } = {}) {
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
    viewport: { width: 1024, height: 900 },
    timezoneId,
  });
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
