// TS ↔ PyTorch parity: the twin under train/ exports random (non-trivial) tiny weights in the
// project's weights format plus its outputs of E, G and D on fixed inputs; the TF.js networks load
// those weights and must reproduce every output within 1e-3 relative (max |Δ| / max |expected|).
// Runs for the paper's generator (tiny) and the warp-guided one (tiny-warp: random warped images and
// masks as G's extra inputs, a random output head, and α and Δ compared besides the frames; with
// encoder skips; with the learned flow, tiny-warp-flow: the flow too, and the gradients through it;
// with the α border, tiny-warp-border; with the mouth generator, tiny-warp-mouth: its box, lips, crop,
// α, Δ and the refined frame, on the tensor path and on the values path the WASM backend takes; with its
// α confined to the grown outer lips, tiny-warp-mouth-region; with G narrower than E and D, tiny-warp-narrow).
//
// Needs a Python with torch and numpy: $PYTHON, default /usr/bin/python3 (Debian python3-torch).
// Without it the test fails with the reason, except when SKIP_PARITY=1 (local machines).
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPreset, usesWarp } from './config.ts';
import { createDiscriminator, type Discriminator } from './discriminator.ts';
import { createEmbedder, type Embedder } from './embedder.ts';
import { computeEmbedding, createRenderer } from './ff.ts';
import { createGenerator, type Generator, type GeneratorInputs } from './generator.ts';
import { cropPositions, lipMasks, mouthBox, openingGate } from '../landmarks/mouth-region.ts';
import { sampleBilinearPixels } from '../landmarks/warp.ts';
import { refineMouth, refineMouthValues } from './mouth.ts';
import { MOUTH_PREFIX } from './plan.ts';
import type { ParamEntry, ParamRegistry } from './params.ts';
import { powerIterate } from './spectral-norm.ts';
import { useCpuBackend } from './testing.ts';
import type { NamedWeights } from './weights-format.ts';
import { quantizeToFloat16 } from './weights-io-float16.ts';
import { loadWeightsFromFile } from './weights-io-node.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const TOLERANCE = 1e-3;
const PRESETS = [
  'tiny',
  'tiny-warp',
  'tiny-warp-skips',
  'tiny-warp-flow',
  'tiny-warp-border',
  'tiny-warp-mouth',
  'tiny-warp-mouth-region',
  'tiny-warp-narrow',
] as const;

interface FixtureIndex {
  readonly config: string;
  readonly generatorInput: string;
  readonly weights: string;
  readonly weightsFloat16: string;
  readonly appWeights: string;
  readonly videoIndices: number[];
  readonly features: string[];
  readonly arrays: Record<string, { file: string; shape: number[] }>;
}

/** Runs the twin's exporter; throws with the reason (no Python, no torch, exporter error) on failure. */
function exportFixture(folder: string, preset: string): void {
  const run = spawnSync(PYTHON, ['-m', 'train.talking_heads.export_parity', '--config', preset, '--out', folder], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const howToFix =
    'Install python3-torch (Debian) or point PYTHON at an interpreter that has torch and numpy; ' +
    'SKIP_PARITY=1 skips this test on machines without them.';
  if (run.error) throw new Error(`The parity test cannot run ${PYTHON}: ${run.error.message}. ${howToFix}`);
  const missing = /No module named '(torch|numpy)'/.exec(run.stderr);
  if (missing) throw new Error(`The parity test needs ${missing[1]} in ${PYTHON}. ${howToFix}`);
  if (run.status !== 0) throw new Error(`export_parity failed (status ${run.status}):\n${run.stderr}`);
}

const skipRequested = process.env.SKIP_PARITY === '1';
if (skipRequested) console.warn('src/nn/parity.test.ts skipped: SKIP_PARITY=1');

/** max |actual − expected| / max |expected|. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxDiff / maxRef;
}

function namesAndShapes(registries: readonly ParamRegistry[]): Map<string, number[]> {
  return new Map(registries.flatMap((r) => r.list().map((e) => [e.name, [...e.variable.shape]] as [string, number[]])));
}

describe.skipIf(skipRequested).each(PRESETS)('TS ↔ PyTorch parity (%s preset)', (preset) => {
  const warp = usesWarp(loadPreset(preset));
  let folder: string;
  let index: FixtureIndex;
  let weights: NamedWeights;
  let E: Embedder;
  let G: Generator;
  let D: Discriminator;

  const fixture = (name: string): tf.Tensor => {
    const entry = index.arrays[name];
    if (entry === undefined) throw new Error(`parity fixture has no array "${name}"`);
    const bytes = readFileSync(join(folder, entry.file));
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return tf.tensor(values, entry.shape);
  };

  /** G's inputs of the fixture: landmark images and, warp-guided, the warped images and masks. */
  const generatorInputs = (): GeneratorInputs => {
    const landmarks = fixture('landmarks') as tf.Tensor4D;
    if (!warp) return { landmarks };
    return { landmarks, warped: fixture('warped') as tf.Tensor4D, mask: fixture('mask') as tf.Tensor4D };
  };

  /** The first sample of every input. */
  const firstSample = (inputs: GeneratorInputs): GeneratorInputs => {
    const first = (t: tf.Tensor4D): tf.Tensor4D => tf.slice(t, [0, 0, 0, 0], [1, -1, -1, -1]);
    return {
      landmarks: first(inputs.landmarks),
      ...(inputs.warped && inputs.mask && { warped: first(inputs.warped), mask: first(inputs.mask) }),
    };
  };

  const expectClose = (actual: tf.Tensor, expectedName: string): void => {
    const expected = fixture(expectedName);
    expect(actual.shape, expectedName).toEqual(expected.shape);
    const expectedValues = expected.dataSync();
    // A fixture of zeros would make any implementation "agree".
    expect(Math.max(...Array.from(expectedValues, Math.abs)), `${expectedName} is non-trivial`).toBeGreaterThan(1e-3);
    expect(relativeError(actual.dataSync(), expectedValues), expectedName).toBeLessThan(TOLERANCE);
    expected.dispose();
  };

  /** Compares tf.variableGrads output with the fixture's "grad:<name>" arrays. */
  const expectGradientsClose = (entries: readonly ParamEntry[], grads: tf.NamedTensorMap): void => {
    const expected = new Map(entries.map((e) => [e.name, fixture(`grad:${e.name}`)]));
    const largest = Math.max(...[...expected.values()].map((t) => tf.max(tf.abs(t)).dataSync()[0]));
    for (const entry of entries) {
      const want = expected.get(entry.name)!;
      const got = grads[entry.variable.name];
      expect(got.shape, entry.name).toEqual(want.shape);
      // A bias followed by an instance norm (or the attention key bias, which softmax ignores) has
      // an exactly zero true gradient, so both sides return rounding noise: errors are measured
      // against at least 1e-3 of the network's largest gradient.
      const scale = Math.max(tf.max(tf.abs(want)).dataSync()[0], 1e-3 * largest);
      const maxDiff = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0];
      expect(maxDiff / scale, `grad:${entry.name}`).toBeLessThan(TOLERANCE);
    }
    tf.dispose([...expected.values()]);
  };

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'nn-parity-'));
    exportFixture(folder, preset);
    index = JSON.parse(readFileSync(join(folder, 'index.json'), 'utf8')) as FixtureIndex;
    expect(index.generatorInput).toBe(warp ? 'landmarks+warp' : 'landmarks');
    weights = await loadWeightsFromFile(join(folder, index.weights));

    await useCpuBackend();
    const config = loadPreset(preset);
    E = createEmbedder(config);
    G = createGenerator(config);
    D = createDiscriminator(config);
    // Loaded here rather than in a test so that any test can run alone (vitest -t).
    for (const registry of [E.params, G.params, D.params]) {
      const present = registry.list().filter((e) => weights.has(e.name));
      tf.tidy(() =>
        registry.assign(new Map(present.map((e) => [e.name, tf.tensor(weights.get(e.name)!.data, [...weights.get(e.name)!.shape])]))),
      );
    }
  }, 180_000);

  afterAll(() => {
    E?.dispose();
    G?.dispose();
    D?.dispose();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('has the same parameter names and shapes as the PyTorch state dicts', () => {
    const ts = namesAndShapes([E.params, G.params, D.params]);
    const torch = new Map([...weights].map(([name, w]) => [name, [...w.shape]]));
    expect([...torch.keys()].sort()).toEqual([...ts.keys()].sort());
    for (const [name, shape] of ts) expect(torch.get(name), name).toEqual(shape);
  });

  it('loaded non-trivial weights (attention γ away from its initial 0, warp-guided head not zero)', () => {
    expect(E.params.get('embedder/attention/gamma').dataSync()[0]).not.toBe(0);
    expect(G.params.get('generator/attention_up/gamma').dataSync()[0]).not.toBe(0);
    if (warp) {
      for (const name of ['generator/output/conv/kernel', 'generator/output/conv/bias']) {
        expect(Math.max(...Array.from(G.params.get(name).dataSync(), Math.abs)), name).toBeGreaterThan(0.1);
      }
    }
  });

  it('E: per-frame embeddings and ê', () => {
    const frames = fixture('frames') as tf.Tensor4D;
    const landmarks = fixture('landmarks') as tf.Tensor4D;
    expectClose(E.embed(frames, landmarks), 'embeddings');
    expectClose(computeEmbedding(E, frames, landmarks), 'e_hat');
  });

  it('G: ψ = P ê, frames (and α, Δ) from a shared ψ and from per-sample ψ, frozen renderer', () => {
    const inputs = generatorInputs();
    expectClose(G.psiFromEmbedding(fixture('e_hat')), 'psi');
    expectClose(G.psiFromEmbedding(fixture('embeddings')), 'psi_per_sample');
    const psi = fixture('psi') as tf.Tensor2D;
    const out = G.render(psi, inputs);
    expectClose(out.frame, 'generated');
    if (warp) {
      expectClose(out.alpha as tf.Tensor, 'alpha');
      expectClose(out.delta as tf.Tensor, 'delta');
      if (index.arrays.flow) expectClose(out.flow as tf.Tensor, 'flow');
      else expect(out.flow).toBeUndefined();
    } else {
      expect([out.alpha, out.delta]).toEqual([undefined, undefined]);
    }
    expectClose(G.render(fixture('psi_per_sample') as tf.Tensor2D, inputs).frame, 'generated_per_sample');

    const renderer = createRenderer(G, psi);
    const first = renderer.renderOutput(firstSample(inputs));
    const expectedFirst = tf.slice(fixture('generated'), [0, 0, 0, 0], [1, -1, -1, -1]);
    expect(relativeError(first.frame.dataSync(), expectedFirst.dataSync())).toBeLessThan(TOLERANCE);
    if (warp) {
      const expectedAlpha = tf.slice(fixture('alpha'), [0, 0, 0, 0], [1, -1, -1, -1]);
      expect(relativeError((first.alpha as tf.Tensor).dataSync(), expectedAlpha.dataSync())).toBeLessThan(TOLERANCE);
    }
    renderer.dispose();
  });

  it('the mouth generator: ψ_m, box, lips, crop, α, Δ and the refined frame (or none in either twin)', () => {
    if (loadPreset(preset).mouth === undefined) {
      // A preset without one: neither twin builds a mouth generator or exports its pass.
      expect(G.mouth).toBeUndefined();
      expect(Object.keys(index.arrays).filter((name) => name.startsWith('mouth_'))).toEqual([]);
      return;
    }
    const mouth = G.mouth!;
    const psi = mouth.psiFromEmbedding(fixture('e_hat'));
    expectClose(psi, 'mouth_psi');
    const size = mouth.config.resolution;
    const frames = fixture('mouth_frames') as tf.Tensor4D;
    const frameSize = frames.shape[1];
    const allPoints = fixture('mouth_points').arraySync() as number[][][];
    const allSources = fixture('mouth_source_points').arraySync() as number[][][];
    const boxes = fixture('mouth_box').arraySync() as number[][];
    const crops: tf.Tensor4D[] = [];
    const lips: tf.Tensor4D[] = [];
    const refined: tf.Tensor4D[] = [];
    const valuesPath: tf.Tensor4D[] = [];
    const gates: number[] = [];
    allPoints.forEach((rows, b) => {
      const points = rows.map(([x, y]) => ({ x, y }));
      const box = mouthBox(points, mouth.pad);
      expect(Math.max(...[box.x, box.y, box.side].map((v, k) => Math.abs(v - boxes[b][k])))).toBeLessThan(1e-4);
      const frame = tf.slice(frames, [b, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      const values = frame.dataSync() as Float32Array;
      crops.push(tf.tensor4d(sampleBilinearPixels(values, frameSize, 3, cropPositions(box, size)), [1, size, size, 3]));
      lips.push(tf.tensor4d(lipMasks(points, box, size), [1, size, size, 2]));
      const pass = { generator: mouth, psi };
      const sourcePoints = allSources[b].map(([x, y]) => ({ x, y }));
      const gate = openingGate(points, sourcePoints, mouth.openingRamp);
      gates.push(gate);
      refined.push(refineMouth(pass, frame, points, sourcePoints));
      const copy = Float32Array.from(values);
      refineMouthValues(pass, copy, frameSize, points, sourcePoints);
      valuesPath.push(tf.tensor4d(copy, [1, frameSize, frameSize, 3]));
    });
    const crop = tf.concat(crops) as tf.Tensor4D;
    const lip = tf.concat(lips) as tf.Tensor4D;
    expectClose(lip, 'mouth_lips');
    expectClose(crop, 'mouth_crop');
    const out = mouth.render(tf.tile(psi, [2, 1]) as tf.Tensor2D, { landmarks: lip, warped: crop });
    expectClose(out.alpha as tf.Tensor, 'mouth_alpha');
    expectClose(out.delta as tf.Tensor, 'mouth_delta');
    expectClose(tf.concat(refined), 'mouth_refined');
    expectClose(tf.concat(valuesPath), 'mouth_refined');
    // The fixture's two mouths sit inside and past the ramp (so both the scaling and the plain pass
    // are compared), and the mouth changed the frame (else the comparison says nothing about the paste).
    if (mouth.openingRamp) {
      expect(gates[0]).toBeGreaterThan(0.1);
      expect(gates[0]).toBeLessThan(0.9);
      expect(gates[1]).toBe(1);
    }
    expect(tf.max(tf.abs(tf.sub(tf.concat(refined), frames))).dataSync()[0]).toBeGreaterThan(0.05);
  });

  it('D: W_i + w0, realism scores, V and every feature map', () => {
    expectClose(D.videoProjection(index.videoIndices), 'projection');
    const out = D.score(fixture('frames') as tf.Tensor4D, fixture('landmarks') as tf.Tensor4D, fixture('projection'));
    expectClose(out.realism, 'realism');
    expectClose(out.v, 'v');
    expect(out.features.length).toBe(index.features.length);
    out.features.forEach((feature, i) => expectClose(feature, index.features[i]));
  });

  // Batch 2 on purpose: tf.js 4.22's CPU ResizeNearestNeighborGrad reads dy with the input's batch
  // stride, so up-sampling gradients are wrong for every sample after the first unless
  // layers/ops.ts avoids that kernel.
  it('G training step: gradients of every reached weight and of ψ, u after one power iteration', () => {
    const psi = fixture('psi') as tf.Tensor2D;
    const inputs = generatorInputs();
    const lossWeights = fixture('loss_weights');
    const loss = (p: tf.Tensor2D): tf.Scalar => tf.sum(tf.mul(G.render(p, inputs).frame, lossWeights));
    const reached = G.params.list().filter((e) => index.arrays[`grad:${e.name}`] !== undefined);
    // Every trainable G weight but P (not on the path from ψ to the frame) and the mouth generator's
    // (it works on the shown frame, after G) gets a gradient.
    const mouthWeights = G.params
      .list()
      .filter((e) => e.trainable && e.name.startsWith(`${MOUTH_PREFIX}/`))
      .map((e) => e.name);
    expect(mouthWeights.length > 0).toBe(G.mouth !== undefined);
    expect(
      G.params
        .list()
        .filter((e) => e.trainable && index.arrays[`grad:${e.name}`] === undefined)
        .map((e) => e.name),
    ).toEqual(['generator/projection/kernel', ...mouthWeights]);
    const { grads } = tf.variableGrads(
      () => loss(psi),
      reached.map((e) => e.variable),
    );
    expectGradientsClose(reached, grads);
    expectClose(tf.grad((p: tf.Tensor) => loss(p as tf.Tensor2D))(psi), 'psi_grad');

    const stepped = G.params.clone();
    powerIterate(stepped);
    const uNames = stepped.list().filter((e) => e.name.endsWith('_u'));
    expect(uNames.length).toBe(Object.keys(index.arrays).filter((k) => k.startsWith('u_after_step:')).length);
    for (const entry of uNames) expectClose(entry.variable, `u_after_step:${entry.name}`);
    stepped.dispose();
  });

  it('D update: gradients of Σ r for every parameter (V, W, w0, b)', () => {
    const frames = fixture('frames') as tf.Tensor4D;
    const landmarks = fixture('landmarks') as tf.Tensor4D;
    const entries = D.params.list().filter((e) => e.trainable);
    expect(entries.filter((e) => index.arrays[`grad:${e.name}`] === undefined).map((e) => e.name)).toEqual([]);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(D.score(frames, landmarks, D.videoProjection(index.videoIndices)).realism) as tf.Scalar,
      entries.map((e) => e.variable),
    );
    expect(value.dataSync()[0]).toBeCloseTo(tf.sum(fixture('realism')).dataSync()[0], 4);
    expectGradientsClose(entries, grads);
  });

  it('loads the app export (float16 kernels, no W) into networks built like the app builds them', async () => {
    const app = await loadWeightsFromFile(join(folder, index.appWeights));
    const config = loadPreset(preset);
    const [appE, appG, appD] = [createEmbedder(config), createGenerator(config), createDiscriminator(config, 0)];
    try {
      const registries = [appE.params, appG.params, appD.params];
      expect([...app.keys()].sort()).toEqual([...namesAndShapes(registries).keys()].sort());
      for (const registry of registries) {
        tf.tidy(() =>
          registry.assign(new Map(registry.list().map((e) => [e.name, tf.tensor(app.get(e.name)!.data, [...app.get(e.name)!.shape])]))),
        );
      }
      // float16 kernels: a looser bound than the float32 parity, still far below any real divergence.
      const frames = appG.render(fixture('psi') as tf.Tensor2D, generatorInputs()).frame;
      const expected = fixture('generated');
      expect(relativeError(frames.dataSync(), expected.dataSync())).toBeLessThan(2e-2);
    } finally {
      for (const net of [appE, appG, appD]) net.dispose();
    }
  });

  it('reads the float16 export as the TS float16 rounding of the float32 weights', async () => {
    const halves = await loadWeightsFromFile(join(folder, index.weightsFloat16));
    expect([...halves.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, full] of weights) {
      expect(Array.from(halves.get(name)!.data), name).toEqual(Array.from(quantizeToFloat16(full.data)));
    }
  });
});
