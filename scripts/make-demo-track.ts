// Builds the painting demo's bundled driving track: a talking-head clip from ../shared run through
// the project's own landmark pipeline (MediaPipe VIDEO mode in Chromium, smoothed face crop), stored
// as landmarks in crop coordinates. Only numbers derived by our code ship; no frame of the video does.
// Run: node -e "import('vite').then((v) => v.runnerImport('./scripts/make-demo-track.ts'))" -- [--video NAME] [--seconds 6]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium.ts';
import { CropSmoother, cropTransformFromBox, faceCropBox, mapLandmarksToCrop } from '../src/landmarks/crop.ts';
import { encodeTrack, type DemoTrackMeta } from '../src/landmarks/track.ts';
import type { Point } from '../src/landmarks/types.ts';

const { values } = parseArgs({
  options: { video: { type: 'string', default: 'livep_d3.mp4' }, seconds: { type: 'string', default: '6' } },
  allowPositionals: true,
});
const video = values.video;
const seconds = Number(values.seconds);
const FPS = 15;
const ROOT = resolve(import.meta.dirname ?? '.', '..');
const source = resolve(ROOT, '..', 'shared', 'data', 'videos', video);

const frames = mkdtempSync(join(tmpdir(), 'demo-track-'));
execFileSync('ffmpeg', [
  '-loglevel',
  'error',
  '-i',
  source,
  '-t',
  String(seconds),
  '-vf',
  `fps=${FPS}`,
  '-q:v',
  '3',
  join(frames, '%04d.jpg'),
]);
const files = readdirSync(frames)
  .filter((f) => f.endsWith('.jpg'))
  .sort();

const port = await new Promise<number>((res) => {
  const s = createNetServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => res(p));
  });
});
const { createServer } = await import('vite');
const server = await createServer({ root: ROOT, logLevel: 'warn', server: { host: '127.0.0.1', port, strictPort: true } });
await server.listen();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
try {
  const page = await browser.newPage();
  await page.route('**/__frames/*', (route) =>
    route.fulfill({ contentType: 'image/jpeg', body: readFileSync(join(frames, route.request().url().split('/').pop()!)) }),
  );
  await page.goto(`http://127.0.0.1:${port}/lab.html`);
  await page.waitForFunction(() => document.documentElement.dataset.labReady === 'true', undefined, { timeout: 120_000 });
  const smoother = new CropSmoother();
  const track: Point[][] = [];
  for (const [i, file] of files.entries()) {
    const found = await page.evaluate(
      (url) =>
        (window as unknown as { lab: { detect(u: string, o: object): Promise<{ landmarks?: Point[] }> } }).lab.detect(url, {
          mode: 'VIDEO',
        }),
      `/__frames/${file}`,
    );
    if (!found.landmarks) continue; // a frame without a face is left out of the track
    const crop = cropTransformFromBox(smoother.update(faceCropBox(found.landmarks), (i * 1000) / FPS), 1);
    track.push(mapLandmarksToCrop(found.landmarks, crop));
  }
  const meta: DemoTrackMeta = {
    fps: FPS,
    frames: track.length,
    source: `${video} (first ${seconds} s), landmarks by the project's pipeline`,
  };
  const out = resolve(ROOT, 'public', 'demo');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'track.json'), JSON.stringify(meta, null, 1));
  writeFileSync(join(out, 'track.bin'), encodeTrack(track));
  console.log(`demo track: ${track.length} of ${files.length} frames → public/demo/`);
} finally {
  await browser.close();
  await server.close();
  rmSync(frames, { recursive: true, force: true });
}
