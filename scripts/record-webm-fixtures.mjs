// Records the WebM fixtures in tests/fixtures with real headless Chromium and MediaRecorder:
// the fake microphone plays tests/fixtures/speech48k.wav, the fake camera its test pattern.
// Run once (needs `apt-get install chromium` and `npm install playwright-core`):
//   node scripts/record-webm-fixtures.mjs
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const fixtures = resolve(import.meta.dirname, '../tests/fixtures');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${fixtures}/speech48k.wav%noloop`,
  ],
});
const page = await browser.newPage();
// getUserMedia needs a secure context: serve a blank page at http://127.0.0.1.
await page.route('http://127.0.0.1/', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>rec</title>' }));
await page.goto('http://127.0.0.1/');

async function record(constraints, mimeType, ms) {
  return page.evaluate(async ({ constraints, mimeType, ms }) => {
    const stream = await navigator.mediaDevices.getUserMedia(constraints);
    const recorder = new MediaRecorder(stream, { mimeType, audioBitsPerSecond: 32000, videoBitsPerSecond: 250000 });
    const chunks = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((r) => (recorder.onstop = r));
    recorder.start(1000); // timeslices, as the record button uses
    await new Promise((r) => setTimeout(r, ms));
    recorder.stop();
    await stopped;
    stream.getTracks().forEach((t) => t.stop());
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary);
  }, { constraints, mimeType, ms });
}

const audioOnly = { audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } };
writeFileSync(`${fixtures}/chromium-audio.webm`, Buffer.from(await record(audioOnly, 'audio/webm;codecs=opus', 3500), 'base64'));
writeFileSync(`${fixtures}/chromium-video.webm`, Buffer.from(await record({ ...audioOnly, video: true }, 'video/webm;codecs=vp8,opus', 3500), 'base64'));
await browser.close();
console.log('wrote chromium-audio.webm and chromium-video.webm');
