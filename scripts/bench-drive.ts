// `npm run bench:drive`: the app's own driving loop end to end, as a user runs it. The production
// build (vite build, then vite preview with the app's headers) in headless Chromium, a fake webcam
// playing a talking-head clip from ../shared at 30 frames/s; one photo, a feed-forward avatar, then driving for
// --seconds. Reports, per backend (the app's `?backend=` override, or its automatic choice) and per
// generator: the frames shown per second, the camera-frame → avatar-frame latency the app measures,
// and the backend the app says it runs. A benchmark, not a test: nothing is asserted.
//
//   npm run bench:drive -- [--backend auto,wasm,webgpu] [--weights warp=/weights/warp/manifest.json,...]
//                          [--seconds 10] [--photo selfie_d8.jpg] [--out reports/bench-drive.json]
//                          [--report docs/BENCH-DRIVE.md]
//
// Every stage runs: decode (the camera's video element) → MediaPipe landmarks (main thread) → crop
// smoothing → landmark adaptation → warp and G (model worker) → canvas.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium.ts';
import { portrait, SHARED } from '../e2e/fixtures.ts';
import { DEFAULT_WEIGHTS, parseWeightsList } from '../src/eval/eval-options.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto,wasm,webgpu' },
    weights: { type: 'string', default: '' },
    seconds: { type: 'string', default: '10' },
    photo: { type: 'string', default: 'selfie_d8.jpg' },
    out: { type: 'string', default: '' },
    report: { type: 'string', default: '' },
    'no-build': { type: 'boolean', default: false },
  },
});
const backends = values.backend.split(',').map((b) => b.trim());
const weights = values.weights ? parseWeightsList(values.weights) : DEFAULT_WEIGHTS.map((w) => ({ ...w }));
const seconds = Number(values.seconds);

/** The fake webcam: 6 s of a talking-head clip at 30 frames/s, 640 px wide (y4m, what Chromium's fake camera plays). */
function webcamClip(): string {
  const out = resolve(REPO_ROOT, 'reports', 'bench-drive-webcam.y4m');
  mkdirSync(dirname(out), { recursive: true });
  if (!existsSync(out)) {
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-y',
      '-i',
      resolve(SHARED, 'data', 'videos', 'livep_d0.mp4'),
      '-t',
      '6',
      '-vf',
      'scale=640:-2,fps=30',
      '-pix_fmt',
      'yuv420p',
      out,
    ]);
  }
  return out;
}

interface DriveResult {
  backend: string;
  generator: string;
  /** The backend the app says it runs (Advanced's "backend-in-use"). */
  inUse: string;
  frames: number;
  seconds: number;
  fps: number;
  /** The app's own latency readout (mean over the last second) at the end. */
  latencyMs: number;
}

async function framesShown(page: Page): Promise<number> {
  return Number(await page.getByTestId('drive-panel').getAttribute('data-frames'));
}

async function drive(page: Page, url: string): Promise<Omit<DriveResult, 'backend' | 'generator'>> {
  await page.goto(url);
  await page.getByTestId('photo-input').setInputFiles(portrait(values.photo));
  await page.locator('[data-testid=photo-card][data-status=ready]').waitFor({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Create avatar' }).click();
  await page.getByTestId('avatar-ready').waitFor({ timeout: 300_000 });
  await page.getByTestId('advanced-toggle').click();
  const inUse = (await page.getByTestId('backend-in-use').getAttribute('data-backend')) ?? '';
  await page.getByRole('button', { name: 'Start webcam' }).click();
  await page.getByTestId('fps').waitFor({ timeout: 120_000 });
  await page.waitForTimeout(2000); // warm-up: first frames compile kernels
  const before = await framesShown(page);
  const started = Date.now();
  await page.waitForTimeout(seconds * 1000);
  const frames = (await framesShown(page)) - before;
  const elapsed = (Date.now() - started) / 1000;
  const latencyText = (await page.getByTestId('latency').textContent()) ?? '';
  await page.getByTestId('drive-panel').getByRole('button', { name: 'Stop' }).click();
  return { inUse, frames, seconds: elapsed, fps: frames / elapsed, latencyMs: Number(latencyText.match(/(\d+)/)?.[1] ?? NaN) };
}

async function main(): Promise<void> {
  if (!values['no-build']) execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const { preview } = await import('vite');
  const server = await preview({ root: REPO_ROOT, logLevel: 'warn', preview: { port: 0, strictPort: false } });
  const base = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:4173/';
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${webcamClip()}`,
    ],
  });
  const browserVersion = browser.version();
  const results: DriveResult[] = [];
  try {
    for (const backend of backends) {
      for (const w of weights) {
        const params = new URLSearchParams({ weights: w.url });
        if (backend !== 'auto') params.set('backend', backend);
        const page = await browser.newPage();
        try {
          const r = await drive(page, `${base}?${params}`);
          const row = { backend, generator: w.label ?? w.url, ...r };
          results.push(row);
          console.log(JSON.stringify(row));
        } finally {
          await page.close();
        }
      }
    }
  } finally {
    await browser.close();
    await new Promise<void>((done) => server.httpServer.close(() => done()));
  }
  const table = [
    '| backend asked | generator | runs on | fps | latency (ms) |',
    '| --- | --- | --- | --- | --- |',
    ...results.map((r) => `| ${r.backend} | ${r.generator} | ${r.inUse} | ${r.fps.toFixed(1)} | ${r.latencyMs} |`),
  ].join('\n');
  console.log(`\n${table}`);
  if (values.report) {
    const command = `npm run bench:drive -- ${process.argv.slice(process.argv.findIndex((a) => a.startsWith('--'))).join(' ')}`;
    const report = `# Benchmark: driving end to end in headless Chromium

Generated by \`npm run bench:drive\`; do not edit by hand. Regenerate with:

\`\`\`
${command}
\`\`\`

- Date: ${new Date().toISOString().slice(0, 10)}; Chromium ${browserVersion}; ${cpus().length} CPU cores, no hardware GPU (WebGPU is SwiftShader)
- The production build, a fake webcam playing 6 s of \`../shared/data/videos/livep_d0.mp4\` at 30 frames/s (640 px), one
  photo (\`${values.photo}\`), a feed-forward avatar, then the app's own loop for ${seconds} s after a 2 s warm-up:
  camera frame → MediaPipe landmarks (main thread) → crop smoothing → landmark adaptation → warp and G (model worker) → canvas,
  pipelined (the next frame's landmarks are found while this one renders; only the newest waits).
- fps: avatar frames shown per second; latency: the app's own readout, mean time from camera frame to avatar frame over the
  last second. "auto" is the app's own choice of backend; the others are \`?backend=\` overrides.

${table}
`;
    const path = resolve(REPO_ROOT, values.report);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, report);
  }
  if (values.out) {
    const out = resolve(REPO_ROOT, values.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), seconds, results }, null, 1));
  }
}

await main();
