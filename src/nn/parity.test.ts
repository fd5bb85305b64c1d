// TS ↔ PyTorch parity: the twin under train/ exports random (non-trivial) tiny weights in the
// project's weights format plus its outputs of E, G and D on fixed inputs; the TF.js networks load
// those weights and must reproduce every output within 1e-3 relative (max |Δ| / max |expected|).
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
import { loadPreset } from './config.ts';
import { createDiscriminator, type Discriminator } from './discriminator.ts';
import { createEmbedder, type Embedder } from './embedder.ts';
import { computeEmbedding, createRenderer } from './ff.ts';
import { createGenerator, type Generator } from './generator.ts';
import type { ParamRegistry } from './params.ts';
import { useCpuBackend } from './testing.ts';
import type { NamedWeights } from './weights-format.ts';
import { quantizeToFloat16 } from './weights-io-float16.ts';
import { loadWeightsFromFile } from './weights-io-node.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const TOLERANCE = 1e-3;
const PRESET = 'tiny';

interface FixtureIndex {
  readonly config: string;
  readonly weights: string;
  readonly weightsFloat16: string;
  readonly videoIndices: number[];
  readonly features: string[];
  readonly arrays: Record<string, { file: string; shape: number[] }>;
}

/** Runs the twin's exporter; throws with the reason (no Python, no torch, exporter error) on failure. */
function exportFixture(folder: string): void {
  const run = spawnSync(PYTHON, ['-m', 'train.talking_heads.export_parity', '--config', PRESET, '--out', folder], {
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

describe.skipIf(skipRequested)('TS ↔ PyTorch parity (tiny preset)', () => {
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

  const expectClose = (actual: tf.Tensor, expectedName: string): void => {
    const expected = fixture(expectedName);
    expect(actual.shape, expectedName).toEqual(expected.shape);
    const expectedValues = expected.dataSync();
    // A fixture of zeros would make any implementation "agree".
    expect(Math.max(...Array.from(expectedValues, Math.abs)), `${expectedName} is non-trivial`).toBeGreaterThan(1e-3);
    expect(relativeError(actual.dataSync(), expectedValues), expectedName).toBeLessThan(TOLERANCE);
    expected.dispose();
  };

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'nn-parity-'));
    exportFixture(folder);
    index = JSON.parse(readFileSync(join(folder, 'index.json'), 'utf8')) as FixtureIndex;
    weights = await loadWeightsFromFile(join(folder, index.weights));

    await useCpuBackend();
    const config = loadPreset(PRESET);
    E = createEmbedder(config);
    G = createGenerator(config);
    D = createDiscriminator(config);
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

  it('loads the exported weights into E, G and D', () => {
    for (const registry of [E.params, G.params, D.params]) {
      const values = new Map(registry.list().map((e) => [e.name, tf.tensor(weights.get(e.name)!.data, [...weights.get(e.name)!.shape])]));
      registry.assign(values);
      for (const t of values.values()) t.dispose();
    }
    // The fixture exercises every term: attention γ away from its initial 0.
    expect(E.params.get('embedder/attention/gamma').dataSync()[0]).not.toBe(0);
    expect(G.params.get('generator/attention_up/gamma').dataSync()[0]).not.toBe(0);
  });

  it('E: per-frame embeddings and ê', () => {
    const frames = fixture('frames') as tf.Tensor4D;
    const landmarks = fixture('landmarks') as tf.Tensor4D;
    expectClose(E.embed(frames, landmarks), 'embeddings');
    expectClose(computeEmbedding(E, frames, landmarks), 'e_hat');
  });

  it('G: ψ = P ê, frames from a shared ψ and from per-sample ψ, frozen renderer', () => {
    const landmarks = fixture('landmarks') as tf.Tensor4D;
    expectClose(G.psiFromEmbedding(fixture('e_hat')), 'psi');
    expectClose(G.psiFromEmbedding(fixture('embeddings')), 'psi_per_sample');
    const psi = fixture('psi') as tf.Tensor2D;
    expectClose(G.render(psi, landmarks), 'generated');
    expectClose(G.render(fixture('psi_per_sample') as tf.Tensor2D, landmarks), 'generated_per_sample');

    const renderer = createRenderer(G, psi);
    const first = renderer.render(tf.slice(landmarks, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D);
    const expectedFirst = tf.slice(fixture('generated'), [0, 0, 0, 0], [1, -1, -1, -1]);
    expect(relativeError(first.dataSync(), expectedFirst.dataSync())).toBeLessThan(TOLERANCE);
    renderer.dispose();
  });

  it('D: W_i + w0, realism scores, V and every feature map', () => {
    expectClose(D.videoProjection(index.videoIndices), 'projection');
    const out = D.score(fixture('frames') as tf.Tensor4D, fixture('landmarks') as tf.Tensor4D, fixture('projection'));
    expectClose(out.realism, 'realism');
    expectClose(out.v, 'v');
    expect(out.features.length).toBe(index.features.length);
    out.features.forEach((feature, i) => expectClose(feature, index.features[i]));
  });

  it('reads the float16 export as the TS float16 rounding of the float32 weights', async () => {
    const halves = await loadWeightsFromFile(join(folder, index.weightsFloat16));
    expect([...halves.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, full] of weights) {
      expect(Array.from(halves.get(name)!.data), name).toEqual(Array.from(quantizeToFloat16(full.data)));
    }
  });
});
