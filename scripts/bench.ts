// `npm run bench`: how fast the app's model worker is on this machine, in headless Chromium:
// driving ms/frame and fine-tuning time for T = 1, 8, 32 photos, per backend, with the backend and
// GPU adapter printed. A benchmark, not a test: nothing is asserted.
//
//   npm run bench -- [--weights /weights/paper/manifest.json] [--backend webgpu,webgl]
//                    [--frames 20] [--ft-steps 2] [--T 1,8,32] [--out reports/bench.json] [--report docs/BENCH.md]
//
// Fine-tuning is timed over --ft-steps steps (after one warm-up step) and extrapolated to the step
// counts of the app's presets; on a GPU, raise --ft-steps to time whole presets. --ft-steps 0 times
// driving only (a fine-tuning step of the default network takes minutes on a CPU-only machine).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { EvalFace } from '../src/lab/evaluate.ts';
import { computeFaceCrop, mapLandmarksToCrop } from '../src/landmarks/crop.ts';
import { loadRealFaceFixture } from '../src/landmarks/realFaceFixture.ts';
import { FINE_TUNE_PRESETS, fineTuneSteps } from '../src/nn/finetune-schedule.ts';
import type { BackendName } from '../src/nn/backend.ts';
import { openLabSession, pageEvaluationApi } from './lab-page.ts';

function arg(name: string, fallback: string): string {
  const argv = process.argv;
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const weights = arg('weights', '/weights/paper/manifest.json');
const backends = arg('backend', 'webgpu,webgl').split(',') as BackendName[];
const frames = Number(arg('frames', '20'));
const ftSteps = Number(arg('ft-steps', '2'));
const Ts = arg('T', '1,8,32').split(',').map(Number);
const outJson = arg('out', '');
const reportPath = arg('report', '');

/** A face for timing: the committed real landmarks in a crop, over a smooth synthetic image. */
function syntheticFace(size: number, wobble: number): EvalFace {
  const fixture = loadRealFaceFixture();
  const crop = computeFaceCrop(fixture.landmarks, size);
  const points = mapLandmarksToCrop(fixture.landmarks, crop).map((p, i) => ({
    x: p.x + wobble * Math.sin(i * 0.7),
    y: p.y + wobble * Math.cos(i * 1.3),
    z: p.z,
  }));
  const data = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 4;
      data[o] = (x * 255) / size;
      data[o + 1] = (y * 255) / size;
      data[o + 2] = 128 + 100 * Math.sin((x + y + wobble * 10) / 9);
      data[o + 3] = 255;
    }
  }
  return { image: { width: size, height: size, rgbaBase64: data.toString('base64') }, landmarks: points.flatMap((p) => [p.x, p.y, p.z]) };
}

const lab = await openLabSession();
const chromiumVersion = lab.browser.version();
const results: Record<string, unknown>[] = [];
try {
  for (const backend of backends) {
    const page = await lab.newLabPage();
    const api = pageEvaluationApi(page);
    const info = await api.initAvatar({ weightsUrl: weights, backends: [backend] });
    if (info.backend !== backend) {
      console.log(`bench: ${backend} unavailable here (got ${info.backend}); skipped`);
      await page.close();
      continue;
    }
    const size = info.resolution;
    console.log(`bench: ${backend}${info.adapter ? ` (${info.adapter})` : ''}, weights ${weights} (${info.configName}, ${size} px)`);
    for (const T of Ts) {
      const photos = Array.from({ length: T }, (_, i) => syntheticFace(size, i * 0.3));
      const setup = await api.createAvatar(photos);
      // The first frame compiles shaders / uploads weights: reported apart, left out of the mean.
      const first = await api.render(photos[0].landmarks, size);
      const times: number[] = [];
      for (let f = 0; f < frames; f++) times.push((await api.render(syntheticFace(size, Math.sin(f / 3)).landmarks, size)).ms);
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)];
      const warm = ftSteps > 0 ? await api.fineTune(1, true) : null;
      const timed = ftSteps > 0 ? await api.fineTune(ftSteps, true) : null;
      const msPerStep = timed ? timed.ms / Math.max(1, timed.stepsDone) : NaN;
      const presets = Object.fromEntries(FINE_TUNE_PRESETS.map((p) => [p, { steps: fineTuneSteps(p, T), seconds: (fineTuneSteps(p, T) * msPerStep) / 1000 }]));
      const row = {
        backend,
        adapter: info.adapter ?? null,
        config: info.configName,
        resolution: size,
        T,
        ffSetupMs: setup.ms,
        firstFrameMs: first.ms,
        msPerFrameMedian: median,
        fps: 1000 / median,
        ftWarmupStepMs: warm?.ms ?? null,
        ftMsPerStep: timed ? msPerStep : null,
        ftStepsTimed: timed?.stepsDone ?? 0,
        ftContentLoss: timed?.usedContentLoss ?? null,
        ftPresetSeconds: presets,
      };
      results.push(row);
      console.log(
        `  T=${String(T).padStart(2)}: FF setup ${setup.ms.toFixed(0)} ms · first frame ${first.ms.toFixed(0)} ms · ${median.toFixed(1)} ms/frame (median of ${frames}, ${(1000 / median).toFixed(1)} fps) · ` +
          (timed
            ? `FT ${msPerStep.toFixed(0)} ms/step → quick ${presets.quick.seconds.toFixed(0)} s, balanced ${presets.balanced.seconds.toFixed(0)} s, best ${presets.best.seconds.toFixed(0)} s`
            : 'FT not timed (--ft-steps 0)'),
      );
    }
    await page.close();
  }
} finally {
  await lab.close();
}
const meta = { date: new Date().toISOString(), chromium: chromiumVersion, cpuCount: (await import('node:os')).cpus().length, weights, frames, ftSteps };
if (outJson) {
  mkdirSync(dirname(resolve(outJson)), { recursive: true });
  writeFileSync(outJson, JSON.stringify({ ...meta, results }, null, 1));
}
if (reportPath) {
  const lines = [
    '# Benchmark: the model worker in headless Chromium',
    '',
    'Generated by `npm run bench`; do not edit by hand. Regenerate with:',
    '',
    '```',
    `npm run bench -- ${process.argv.slice(1).join(' ')}`,
    '```',
    '',
    `- Date: ${meta.date.slice(0, 10)}; Chromium ${meta.chromium}; ${meta.cpuCount} CPU cores; weights \`${weights}\``,
    '- On WebGPU and WebGL, tf.js queues GPU work and returns: "FF setup" is mostly the queueing, and the embedder\'s real cost lands in the first frame (with shader compilation).',
    `- Driving: median of ${frames} frames after a first (warm-up) frame. Fine-tuning: ${ftSteps > 0 ? `${ftSteps} timed step(s) after one warm-up step (content loss on), extrapolated to the app's presets` : 'not timed (--ft-steps 0)'}.`,
    '',
    '| backend (adapter) | T | FF setup (ms) | first frame (ms) | ms / frame | fps | FT ms / step | quick (s) | balanced (s) | best (s) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((r) => {
      const p = r.ftPresetSeconds as Record<string, { seconds: number; steps: number }>;
      const f = (v: unknown, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');
      return `| ${r.backend}${r.adapter ? ` (${r.adapter})` : ''} | ${r.T} | ${f(r.ffSetupMs)} | ${f(r.firstFrameMs)} | ${f(r.msPerFrameMedian, 1)} | ${f(r.fps, 2)} | ${f(r.ftMsPerStep)} | ${f(p.quick.seconds)} (${p.quick.steps}) | ${f(p.balanced.seconds)} (${p.balanced.steps}) | ${f(p.best.seconds)} (${p.best.steps}) |`;
    }),
    '',
  ];
  mkdirSync(dirname(resolve(reportPath)), { recursive: true });
  writeFileSync(reportPath, lines.join('\n'));
  console.log(`bench: report → ${reportPath}`);
}
