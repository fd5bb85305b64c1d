// Builds the painting demo's bundled driving track: a talking-head clip from ../shared run through
// the project's own landmark pipeline (MediaPipe VIDEO mode in Chromium, smoothed face crop), stored
// as landmarks in crop coordinates. Only numbers derived by our code ship; no frame of the video does.
// Run: node -e "import('vite').then((v) => v.runnerImport('./scripts/make-demo-track.ts'))" -- [--video NAME] [--seconds 6]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CropSmoother, cropTransformFromBox, faceCropBox, mapLandmarksToCrop } from '../src/landmarks/crop.ts';
import { encodeTrack, type DemoTrackMeta } from '../src/landmarks/track.ts';
import type { Point } from '../src/landmarks/types.ts';
import { openLabSession } from './lab-page.ts';

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

const lab = await openLabSession();
try {
  const page = await lab.newLabPage(async (p) => {
    await p.route('**/__frames/*', (route) =>
      route.fulfill({ contentType: 'image/jpeg', body: readFileSync(join(frames, route.request().url().split('/').pop()!)) }),
    );
  });
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
  await lab.close();
  rmSync(frames, { recursive: true, force: true });
}
