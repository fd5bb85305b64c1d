// `npm run bench`: how fast the app's model worker is on this machine, in headless Chromium:
// driving ms/frame and fine-tuning time for T = 1, 8, 32 photos, per backend and per generator
// (default both shipped ones, labelled as in `npm run eval`), with the backend and GPU adapter
// printed (for WASM: SIMD and threads). A benchmark, not a test: nothing is asserted. Each --backend
// runs by name (webgpu, wasm, webgl, cpu), not by the app's automatic choice.
//
//   npm run bench -- [--weights warp=/weights/warp/manifest.json,paper=/weights/paper/manifest.json]
//                    [--backend cpu,wasm,webgl,webgpu] [--ft-backend wasm] [--frames 20] [--ft-steps 2]
//                    [--T 1,8,32] [--content-size N] [--no-content-loss] [--ft-preset quick|balanced|best]
//                    [--out reports/bench.json] [--report docs/BENCH.md]
//
// With `cpu` among the backends, every other backend's first frames are compared with the CPU's
// (same generator, photos, landmarks): the largest and mean byte difference. --ft-backend limits
// the fine-tuning timing to some backends (default: all benched), e.g. where a step takes minutes.
//
// Photos and driving landmarks are 256 px crops (WARP_DISPLAY_SIZE), as the app's. Beside the render
// time, the warp of warp-guided avatars is timed on its own per frame at 256 px: picking the nearest
// photo and computing the grid in JS, then sampling the photo on the backend (lab page main thread,
// same backend; window.lab.evaluation.warpCost). A warp-guided frame also warps at G's resolution,
// (r / 256)² of those pixels, which is not timed apart. Where the weights have a mouth generator,
// each timed frame is rendered again without its pass (RenderOptions.skipMouth, interleaved): the
// pass's cost is the difference of the two medians.
//
// Fine-tuning is timed over --ft-steps steps (after one warm-up step) and extrapolated to the step
// counts of the app's presets; on a GPU, raise --ft-steps to time whole presets. --ft-steps 0 times
// driving only (a fine-tuning step of the default network takes minutes on a CPU-only machine).
// --ft-preset P also runs preset P whole, end to end, before those steps: a fresh avatar's set-up
// (createAvatar) plus all of P's steps at that T, starting with the worker's first fine-tuning
// (which loads the content-loss networks), as a user's first fine-tuning after making the avatar.
// --content-size N runs the content loss's networks at N px instead of perceptual.json's
// contentLoss.inputSize (for measuring; the app uses the file's); --no-content-loss fine-tunes
// without it (what the rest of a step costs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_WEIGHTS, EVAL_DISPLAY_SIZE, parseWeightsList, resolveWeightLabels } from '../src/eval/eval-options.ts';
import type { EvalFace } from '../src/lab/evaluate.ts';
import { computeFaceCrop, mapLandmarksToCrop } from '../src/landmarks/crop.ts';
import { interOcularDistance } from '../src/landmarks/expression.ts';
import { loadRealFaceFixture } from '../src/landmarks/real-face-fixture.ts';
import { FINE_TUNE_PRESETS, fineTuneSteps, type FineTunePreset } from '../src/nn/finetune-schedule.ts';
import { CONTENT_INPUT_SIZE } from '../src/nn/perceptual.ts';
import { BACKEND_NAMES, isBackendName, type BackendName } from '../src/nn/backend.ts';
import type { ModelInfo } from '../src/workers/avatar-protocol.ts';
import { openLabSession, pageEvaluationApi } from './lab-page.ts';

const { values: opts } = parseArgs({
  // node -e drops the script's own name: every remaining argument is ours.
  args: process.argv.slice(1).filter((a) => a !== '--'),
  options: {
    weights: { type: 'string', default: '' },
    backend: { type: 'string', default: 'webgpu,wasm,webgl' },
    'ft-backend': { type: 'string', default: '' },
    frames: { type: 'string', default: '20' },
    'ft-steps': { type: 'string', default: '2' },
    T: { type: 'string', default: '1,8,32' },
    'content-size': { type: 'string', default: '' },
    'ft-preset': { type: 'string', default: '' },
    'no-content-loss': { type: 'boolean', default: false },
    out: { type: 'string', default: '' },
    report: { type: 'string', default: '' },
  },
  strict: true,
});

const list = (text: string) =>
  text
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
const count = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`bench: --${name} must be a whole number, got "${text}"`);
  return n;
};
const weights = opts.weights ? parseWeightsList(opts.weights) : DEFAULT_WEIGHTS.map((w) => ({ ...w }));
const backends = list(opts.backend);
const ftBackends = opts['ft-backend'] ? list(opts['ft-backend']) : backends;
const unknownBackend = [...backends, ...ftBackends].find((b) => !isBackendName(b));
if (unknownBackend !== undefined) throw new Error(`bench: unknown backend "${unknownBackend}" (use ${BACKEND_NAMES.join(', ')})`);
const frames = count('frames', opts.frames);
const ftSteps = count('ft-steps', opts['ft-steps']);
const Ts = list(opts.T).map((t) => count('T', t));
const contentSize = opts['content-size'] ? count('content-size', opts['content-size']) : CONTENT_INPUT_SIZE;
const useContentLoss = !opts['no-content-loss'];
const ftPreset = (opts['ft-preset'] || null) as FineTunePreset | null;
if (ftPreset !== null && !FINE_TUNE_PRESETS.includes(ftPreset))
  throw new Error(`bench: --ft-preset takes ${FINE_TUNE_PRESETS.join(', ')}, got "${ftPreset}"`);
const outJson = opts.out;
const reportPath = opts.report;
/** Frames rendered on the CPU backend (when benched) are the reference every backend's are compared with. */
const REFERENCE_BACKEND = 'cpu';
/** How far the timed drivers open the mouth (outer-eye-corner distances): wide, as a shout. */
const DRIVER_OPENING = 0.3;

/** The first frames of each row compared with the CPU's (the CPU renders a frame in seconds). */
const COMPARED_FRAMES = 3;

/**
 * A face for timing: the committed real landmarks in a crop (their lips closed), over a smooth
 * synthetic image; `opening` parts the lips by that many outer-eye-corner distances (drivers: so a
 * mouth generator's pass, which runs only on mouths opened wider than the photo's, is timed).
 */
function syntheticFace(size: number, wobble: number, opening = 0): EvalFace {
  const fixture = loadRealFaceFixture();
  const crop = computeFaceCrop(fixture.landmarks, size);
  const mapped = mapLandmarksToCrop(fixture.landmarks, crop);
  const midline = (mapped[13].y + mapped[14].y) / 2;
  const part = opening * interOcularDistance(mapped);
  const points = mapped.map((p, i) => ({
    x: p.x + wobble * Math.sin(i * 0.7),
    y: p.y + wobble * Math.cos(i * 1.3) + (p.y > midline ? part : 0),
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

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

const size = EVAL_DISPLAY_SIZE;
const lab = await openLabSession();
const chromiumVersion = lab.browser.version();
const results: Record<string, unknown>[] = [];

/** A preset run whole (--ft-preset): a fresh avatar's set-up plus every step. */
interface WholePresetTiming {
  preset: FineTunePreset;
  steps: number;
  setupMs: number;
  fineTuneMs: number;
  seconds: number;
}
const renderedFrames = new Map<string, Buffer[]>();
try {
  for (const backend of backends) {
    const page = await lab.newLabPage();
    const api = pageEvaluationApi(page);
    // One model worker per generator, as in `npm run eval`.
    const infos: ModelInfo[] = [];
    for (const [i, choice] of weights.entries())
      infos.push(await api.initAvatar({ weightsUrl: choice.url, backends: [backend as BackendName], contentSize }, `g${i}`));
    if (infos.some((info) => info.backend !== backend)) {
      console.log(`bench: ${backend} unavailable here (got ${infos.map((info) => info.backend).join(', ')}); skipped`);
      await page.close();
      continue;
    }
    const labels = resolveWeightLabels(
      weights,
      infos.map((info) => info.generator),
    );
    // The warp's own cost per T (it depends on the photos, not on G): JS grid + sampling at 256 px.
    const warpCost = new Map<number, { jsMs: number; sampleMs: number }>();
    for (const T of Ts) {
      const photos = Array.from({ length: T }, (_, i) => syntheticFace(size, i * 0.3));
      const drivers = Array.from({ length: frames }, (_, f) => syntheticFace(size, Math.sin(f / 3), DRIVER_OPENING).landmarks);
      const cost = await api.warpCost(photos, drivers, backend as BackendName);
      warpCost.set(T, { jsMs: median(cost.jsMs), sampleMs: median(cost.sampleMs) });
    }
    for (const [g, info] of infos.entries()) {
      const worker = `g${g}`;
      const label = labels[g];
      console.log(
        `bench: ${backend}${info.detail ? ` (${info.detail})` : ''}, ${label}: weights ${weights[g].url} (${info.generator} generator, ${info.configName}, G at ${info.resolution} px, frames at ${info.frameSize} px)`,
      );
      for (const T of Ts) {
        const photos = Array.from({ length: T }, (_, i) => syntheticFace(size, i * 0.3));
        const setup = await api.createAvatar(photos, worker);
        // The first frame compiles shaders / uploads weights: reported apart, left out of the median.
        const first = await api.render(photos[0].landmarks, size, worker);
        const times: number[] = [];
        // With a mouth generator, each frame is also rendered without its pass (interleaved, so both
        // see the same machine load): the pass's cost is the difference of the medians.
        const timesWithoutMouth: number[] = [];
        const shown: Buffer[] = [];
        for (let f = 0; f < frames; f++) {
          const driver = syntheticFace(size, Math.sin(f / 3), DRIVER_OPENING).landmarks;
          const frame = await api.render(driver, size, worker);
          times.push(frame.ms);
          if (f < COMPARED_FRAMES) shown.push(Buffer.from(frame.image.rgbaBase64, 'base64'));
          if (info.mouthResolution !== undefined) timesWithoutMouth.push((await api.render(driver, size, worker, { skipMouth: true })).ms);
        }
        const perFrame = median(times);
        const mouthPassMs = timesWithoutMouth.length > 0 ? perFrame - median(timesWithoutMouth) : null;
        const timesFt = ftSteps > 0 && ftBackends.includes(backend);
        // The whole preset, end to end: a fresh avatar's set-up plus every step (the first fine-tuning
        // of this worker, so it includes loading the content-loss networks and compiling).
        let wholePreset: WholePresetTiming | null = null;
        if (ftPreset !== null && ftBackends.includes(backend)) {
          const presetSteps = fineTuneSteps(ftPreset, T);
          const started = performance.now();
          const fresh = await api.createAvatar(photos, worker);
          const run = await api.fineTune(presetSteps, useContentLoss, worker);
          const seconds = (performance.now() - started) / 1000;
          if (run.stepsDone !== presetSteps || run.usedContentLoss !== useContentLoss)
            throw new Error(`bench: preset ${ftPreset} ran ${run.stepsDone}/${presetSteps} steps, content loss ${run.usedContentLoss}`);
          wholePreset = { preset: ftPreset, steps: presetSteps, setupMs: fresh.ms, fineTuneMs: run.ms, seconds };
          console.log(
            `  T=${String(T).padStart(2)}: ${ftPreset} preset end to end (${presetSteps} steps, content loss ${useContentLoss ? `at ${contentSize} px` : 'off'}): ${seconds.toFixed(1)} s (set-up ${(fresh.ms / 1000).toFixed(1)} s + fine-tuning ${(run.ms / 1000).toFixed(1)} s)`,
          );
        }
        const warm = timesFt ? await api.fineTune(1, useContentLoss, worker) : null;
        const timed = timesFt ? await api.fineTune(ftSteps, useContentLoss, worker) : null;
        const msPerStep = timed ? timed.ms / Math.max(1, timed.stepsDone) : NaN;
        const presets = Object.fromEntries(
          FINE_TUNE_PRESETS.map((p) => [p, { steps: fineTuneSteps(p, T), seconds: (fineTuneSteps(p, T) * msPerStep) / 1000 }]),
        );
        const warp = info.generator === 'warp' ? warpCost.get(T)! : null;
        const row = {
          backend,
          adapter: info.detail ?? info.adapter ?? null,
          generator: label,
          kind: info.generator,
          weights: weights[g].url,
          config: info.configName,
          resolution: info.resolution,
          frameSize: info.frameSize,
          T,
          ffSetupMs: setup.ms,
          firstFrameMs: first.ms,
          msPerFrameMedian: perFrame,
          fps: 1000 / perFrame,
          warpGridJsMs: warp?.jsMs ?? null,
          warpSampleMs: warp?.sampleMs ?? null,
          mouthResolution: info.mouthResolution ?? null,
          mouthPassMs,
          ftWarmupStepMs: warm?.ms ?? null,
          ftMsPerStep: timed ? msPerStep : null,
          ftStepsTimed: timed?.stepsDone ?? 0,
          ftContentLoss: timed?.usedContentLoss ?? null,
          contentSize,
          ftWholePreset: wholePreset,
          ftPresetSeconds: presets,
        };
        results.push(row);
        renderedFrames.set(`${backend}|${label}|${T}`, shown);
        console.log(
          `  T=${String(T).padStart(2)}: FF setup ${setup.ms.toFixed(0)} ms · first frame ${first.ms.toFixed(0)} ms · ${perFrame.toFixed(1)} ms/frame (median of ${frames}, ${(1000 / perFrame).toFixed(1)} fps)` +
            (warp ? ` of which the 256 px warp ≈ ${warp.jsMs.toFixed(1)} ms grid (JS) + ${warp.sampleMs.toFixed(1)} ms sampling` : '') +
            (mouthPassMs !== null ? ` and the ${info.mouthResolution} px mouth pass ≈ ${mouthPassMs.toFixed(1)} ms` : '') +
            ' · ' +
            (timed
              ? `FT ${msPerStep.toFixed(0)} ms/step → quick ${presets.quick.seconds.toFixed(0)} s, balanced ${presets.balanced.seconds.toFixed(0)} s, best ${presets.best.seconds.toFixed(0)} s`
              : `FT not timed (${ftSteps > 0 ? 'not in --ft-backend' : '--ft-steps 0'})`),
        );
      }
    }
    await page.close();
  }
} finally {
  await lab.close();
}
// Frames against the CPU backend's (same generator, photos and landmarks): max and mean absolute
// difference over RGB bytes, in 1/255 steps.
for (const row of results) {
  const reference = renderedFrames.get(`${REFERENCE_BACKEND}|${row.generator}|${row.T}`);
  const mine = renderedFrames.get(`${row.backend}|${row.generator}|${row.T}`);
  if (!reference || !mine || row.backend === REFERENCE_BACKEND) continue;
  let max = 0;
  let sum = 0;
  let n = 0;
  for (let f = 0; f < Math.min(reference.length, mine.length); f++) {
    for (let i = 0; i < mine[f].length; i++) {
      if (i % 4 === 3) continue;
      const d = Math.abs(mine[f][i] - reference[f][i]);
      max = Math.max(max, d);
      sum += d;
      n++;
    }
  }
  row.vsCpuMaxAbs = n ? max : null;
  row.vsCpuMeanAbs = n ? sum / n : null;
  if (n)
    console.log(`bench: ${row.backend} ${row.generator} T=${row.T} vs CPU frames: max |Δ| ${max}/255, mean ${(sum / n).toFixed(3)}/255`);
}
const meta = {
  date: new Date().toISOString(),
  chromium: chromiumVersion,
  cpuCount: (await import('node:os')).cpus().length,
  weights,
  frames,
  ftSteps,
  ftPreset,
  contentSize,
  useContentLoss,
  cropSize: size,
};
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
    `npm run bench -- ${process.argv
      .slice(1)
      .filter((a) => a !== '--')
      .join(' ')}`,
    '```',
    '',
    `- Date: ${meta.date.slice(0, 10)}; Chromium ${meta.chromium}; ${meta.cpuCount} CPU cores`,
    `- Generators: ${[...new Map(results.map((r) => [r.generator, r])).values()].map((r) => `**${r.generator}** \`${r.weights}\` (${r.kind === 'warp' ? 'warp-guided' : "the paper's"}, preset \`${r.config}\`, G at ${r.resolution} px, frames at ${r.frameSize} px)`).join('; ') || 'none measured'}`,
    `- Photos and driving landmarks: ${size} px crops, as the app's; the photos' lips are closed and the drivers open the mouth by ${DRIVER_OPENING} outer-eye-corner distances, so a mouth generator's pass (run only on mouths opened wider than the photo's) is in every timed frame.`,
    '- On WebGPU and WebGL, tf.js queues GPU work and returns: "FF setup" is mostly the queueing, and the embedder\'s real cost lands in the first frame (with shader compilation).',
    `- Driving: median of ${frames} frames after a first (warm-up) frame. Fine-tuning: ${ftSteps > 0 ? `${ftSteps} timed step(s) after one warm-up step (content loss ${useContentLoss ? `on, its networks at ${contentSize} px` : 'off'}), extrapolated to the app's presets, on ${ftBackends.join(', ')}` : 'not timed (--ft-steps 0)'}.`,
    ...results
      .filter((r) => r.ftWholePreset)
      .map((r) => {
        const w = r.ftWholePreset as WholePresetTiming;
        return `- The "${w.preset}" preset run whole on ${r.backend}, ${r.generator}, T = ${r.T} (${w.steps} steps, content loss ${useContentLoss ? `at ${contentSize} px` : 'off'}): ${w.seconds.toFixed(0)} s end to end (avatar set-up ${(w.setupMs / 1000).toFixed(1)} s, fine-tuning ${(w.fineTuneMs / 1000).toFixed(1)} s).`;
      }),
    `- "vs CPU": the first ${COMPARED_FRAMES} frames against the CPU backend's for the same generator, photos and landmarks (when \`cpu\` is benched): largest and mean absolute difference of the RGB bytes, in 1/255.`,
    `- Warp (warp-guided rows): its own cost per frame at ${size} px, part of "ms / frame": the nearest photo and the grid in JS, and sampling the photo as the model worker does (\`sampleWarpGrid\`: one JS loop on WASM and the CPU, four gathers and a read-back on a GPU); medians of ${frames} frames after a warm-up, on the lab page's main thread with the same backend. The warp at G's resolution is not timed apart.`,
    `- Mouth pass (rows whose weights have a mouth generator): each timed frame is rendered again without the mouth generator's pass (the same driver, interleaved); the column is the difference of the two medians, part of "ms / frame".`,
    '',
    '| backend (adapter; WASM: SIMD, threads) | generator | T | FF setup (ms) | first frame (ms) | ms / frame | warp grid, JS (ms) | warp sampling (ms) | mouth pass (ms) | fps | vs CPU, max / mean (1/255) | FT ms / step | quick (s) | balanced (s) | best (s) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((r) => {
      const p = r.ftPresetSeconds as Record<string, { seconds: number; steps: number }>;
      const f = (v: unknown, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');
      return `| ${r.backend}${r.adapter ? ` (${r.adapter})` : ''} | ${r.generator} (${r.frameSize} px) | ${r.T} | ${f(r.ffSetupMs)} | ${f(r.firstFrameMs)} | ${f(r.msPerFrameMedian, 1)} | ${f(r.warpGridJsMs, 1)} | ${f(r.warpSampleMs, 1)} | ${r.mouthPassMs === null ? '–' : `${f(r.mouthPassMs, 1)} (${r.mouthResolution} px)`} | ${f(r.fps, 2)} | ${typeof r.vsCpuMaxAbs === 'number' ? `${r.vsCpuMaxAbs} / ${f(r.vsCpuMeanAbs, 2)}` : '–'} | ${f(r.ftMsPerStep)} | ${f(p.quick.seconds)} (${p.quick.steps}) | ${f(p.balanced.seconds)} (${p.balanced.steps}) | ${f(p.best.seconds)} (${p.best.steps}) |`;
    }),
    '',
  ];
  mkdirSync(dirname(resolve(reportPath)), { recursive: true });
  writeFileSync(reportPath, lines.join('\n'));
  console.log(`bench: report → ${reportPath}`);
}
