// The meta-learning trainer (PyTorch, train/talking_heads/perceptual.py) and the app's fine-tuning
// (this folder) must optimise the same content loss. The Python side dumps its activations and
// loss for fixed images; here TF.js recomputes them from the same images and model files.
//
// Needs the perceptual models (scripts/setup.sh) and a Python with torch: env PYTHON, default
// /usr/bin/python3 (Debian's, which has torch; the pyenv `python3` on PATH does not).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPerceptualNetworksFromDir, missingPerceptualModels } from './perceptual-node.ts';
import {
  CONTENT_INPUT_SIZE,
  PERCEPTUAL_ROLES,
  contentLossConfig,
  perceptualContentLoss,
  perceptualFeatures,
  type PerceptualFeatures,
  type PerceptualNetworks,
} from './perceptual.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
/** Tolerances relative to the TF.js values' magnitude (float32 summation order differs). */
const ACTIVATION_RTOL = 1e-3;
const LOSS_RTOL = 1e-3;

interface DumpedArray {
  readonly file: string;
  readonly shape: number[];
}

/** What train/talking_heads/perceptual_parity.py writes (manifest.json). */
interface ParityDump {
  readonly real: DumpedArray;
  readonly fake: DumpedArray;
  readonly loss: number;
  /** The side ContentLoss() resized to (perceptual.json's contentLoss.inputSize). */
  readonly inputSize: number;
  readonly features: Record<string, (DumpedArray & { layer: string })[]>;
  readonly config: Record<string, { weight: number; layers: string[]; layerWeights: number[] | null }>;
}

const run = promisify(execFile);

/** Why the Python side cannot run here (no interpreter or no torch), or null when it can. */
async function pythonUnavailable(): Promise<string | null> {
  try {
    await run(PYTHON, ['-c', 'import torch, numpy'], { timeout: 60_000 });
    return null;
  } catch (error) {
    return `Python with torch not available at PYTHON=${PYTHON} (${(error as Error).message.split('\n')[0]})`;
  }
}

async function readF32(dir: string, array: DumpedArray): Promise<tf.Tensor> {
  const bytes = await readFile(join(dir, array.file));
  // Copy into an aligned buffer: a Node Buffer may start at an odd offset of a shared pool.
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return tf.tensor(values, array.shape, 'float32');
}

/** max |a − b| / max |b|: the largest error relative to the layer's scale. */
function relativeMaxError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => {
    const error = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0];
    const scale = tf.max(tf.abs(expected)).dataSync()[0];
    return error / Math.max(scale, 1e-12);
  });
}

const modelsMissing = missingPerceptualModels();

const suiteName = 'PyTorch port of the perceptual networks matches TF.js';

describe.skipIf(modelsMissing !== null)(modelsMissing ? `${suiteName} (skipped: ${modelsMissing})` : suiteName, () => {
  let networks: PerceptualNetworks | undefined;
  let dumpDir: string | undefined;
  let dump: ParityDump | undefined;
  let skipReason: string | null = null;
  let real: tf.Tensor4D;
  let fake: tf.Tensor4D;
  let tfFeatures: PerceptualFeatures;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    skipReason = await pythonUnavailable();
    if (skipReason) {
      console.warn(`perceptual parity skipped: ${skipReason}`);
      return;
    }
    dumpDir = await mkdtemp(join(tmpdir(), 'perceptual-parity-'));
    // Load the TF.js models while Python computes its side.
    const [loaded] = await Promise.all([
      loadPerceptualNetworksFromDir(),
      run(PYTHON, ['-m', 'train.talking_heads.perceptual_parity', '--out', dumpDir], {
        cwd: REPO_ROOT,
        timeout: 120_000,
      }),
    ]);
    networks = loaded;
    dump = JSON.parse(await readFile(join(dumpDir, 'manifest.json'), 'utf8')) as ParityDump;
    real = (await readF32(dumpDir, dump.real)) as tf.Tensor4D;
    fake = (await readF32(dumpDir, dump.fake)) as tf.Tensor4D;
    tfFeatures = perceptualFeatures(networks, real);
  }, 180_000);

  afterAll(async () => {
    networks?.imagenet.dispose();
    networks?.face.dispose();
    if (dumpDir) await rm(dumpDir, { recursive: true, force: true });
  });

  it('uses the same layers, weights and input size as contentLossConfig', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    expect(dump!.inputSize).toBe(CONTENT_INPUT_SIZE);
    for (const role of PERCEPTUAL_ROLES) expect(networks![role].inputSize, role).toBe(CONTENT_INPUT_SIZE);
    for (const role of PERCEPTUAL_ROLES) {
      expect(dump!.config[role].weight, role).toBe(contentLossConfig[role].weight);
      expect(dump!.config[role].layers, role).toEqual([...contentLossConfig[role].layers]);
      expect(dump!.config[role].layerWeights ?? undefined, role).toEqual(contentLossConfig[role].layerWeights);
    }
  });

  it('gives the same activations per layer (max error ≤ 1e-3 of the layer scale)', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    for (const role of PERCEPTUAL_ROLES) {
      const dumped = dump!.features[role];
      expect(dumped.map((f) => f.layer)).toEqual([...contentLossConfig[role].layers]);
      for (const [i, feature] of dumped.entries()) {
        const expected = tfFeatures[role][i];
        expect(feature.shape, `${role} ${feature.layer} shape`).toEqual(expected.shape);
      }
    }
    return Promise.all(
      PERCEPTUAL_ROLES.flatMap((role) =>
        dump!.features[role].map(async (feature, i) => {
          const torchValues = await readF32(dumpDir!, feature);
          const error = relativeMaxError(torchValues, tfFeatures[role][i]);
          torchValues.dispose();
          console.info(`perceptual parity ${role} ${feature.layer}: relative max error ${error.toExponential(2)}`);
          // Non-trivial layers, so a zero-vs-zero comparison can't pass by accident.
          expect(tf.max(tfFeatures[role][i]).dataSync()[0], `${role} ${feature.layer} scale`).toBeGreaterThan(0.1);
          expect(error, `${role} ${feature.layer} relative max error`).toBeLessThanOrEqual(ACTIVATION_RTOL);
        }),
      ),
    );
  });

  it('gives the same content loss for (fake, real)', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const loss = perceptualContentLoss(networks!, tfFeatures, fake).dataSync()[0];
    console.info(`perceptual parity loss: torch ${dump!.loss}, tf.js ${loss}`);
    expect(loss).toBeGreaterThan(0);
    expect(Math.abs(dump!.loss - loss) / loss).toBeLessThanOrEqual(LOSS_RTOL);
  });
});
