// The ops' two forms: while a gradient tape records (training, fine-tuning) they are plain tf.js
// ops; without one (driving, previews, evaluation) the norms run as one fused kernel on the
// CPU-memory backends (norm-kernel.ts), convs with their bias fused, up-sampling as nearest resizing
// and channel concatenation as padded sums there. Both forms must give the same values, on the CPU
// backend and on WASM (its binaries load from node_modules in Node), and the taped form must keep
// its gradients.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend.ts';
import type { WeightSource } from '../spectral-norm.ts';
import { NORM_AFFINE_RELU, normAffineReluValues } from './norm-kernel.ts';
import { adaptiveInstanceNormRelu, batchNormRelu, concatChannels, conv2d, instanceNormRelu, upsampleNearest2 } from './ops.ts';

const random = (shape: number[], seed: number, low = -1, high = 1) => tf.randomUniform(shape, low, high, 'float32', seed);

/** f's values computed while a gradient tape records (the taped form of every op in it). */
function taped(f: () => tf.Tensor): Float32Array {
  let values: Float32Array | undefined;
  tf.grad((z: tf.Tensor) => {
    const y = f();
    values = y.dataSync() as Float32Array;
    return tf.add(z, tf.sum(y));
  })(tf.scalar(0));
  return values!;
}

/** f's values without a tape, and the kernels it ran. */
async function untaped(f: () => tf.Tensor): Promise<{ values: Float32Array; kernels: string[] }> {
  let values: Float32Array | undefined;
  const profile = await tf.profile(() => {
    const y = f();
    values = y.dataSync() as Float32Array;
    return y;
  });
  return { values: values!, kernels: profile.kernels.map((k) => k.name) };
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const weights =
  (named: Record<string, tf.Tensor>): WeightSource =>
  (name) => {
    const w = named[name];
    if (!w) throw new Error(`no weight ${name}`);
    return w;
  };

describe.each(['cpu', 'wasm'] as const)('ops on %s: the untaped forms equal the taped ones', (backend) => {
  beforeAll(async () => {
    await selectBackend([backend]);
    expect(tf.getBackend()).toBe(backend);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('instance norm + γ, β + ReLU runs as the one fused kernel and equals the tf.js ops', async () => {
    // A large mean against the spread, as activations have: the one-pass variance must hold there.
    const x = tf.add(random([2, 6, 5, 8], 1), 30) as tf.Tensor4D;
    const w = weights({ 'n/gamma': random([8], 2, 0.5, 2), 'n/beta': random([8], 3) });
    const fast = await untaped(() => instanceNormRelu(w, 'n', x));
    expect(fast.kernels).toEqual([NORM_AFFINE_RELU]);
    expect(
      maxDifference(
        fast.values,
        taped(() => instanceNormRelu(w, 'n', x)),
      ),
    ).toBeLessThan(2e-5);
    expect(fast.values.some((v) => v === 0) && fast.values.some((v) => v > 0)).toBe(true);
  });

  it('AdaIN + ReLU reads γ and β at their offsets of ψ, one row per sample or one for all', async () => {
    const x = random([2, 4, 4, 6], 4) as tf.Tensor4D;
    for (const rows of [1, 2]) {
      const psi = random([rows, 20], 5 + rows, -2, 2) as tf.Tensor2D;
      const fast = await untaped(() => adaptiveInstanceNormRelu(x, psi, 5));
      expect(fast.kernels).toEqual([NORM_AFFINE_RELU]);
      expect(
        maxDifference(
          fast.values,
          taped(() => adaptiveInstanceNormRelu(x, psi, 5)),
        ),
      ).toBeLessThan(2e-5);
    }
  });

  it("the GPU backends' untaped norm of one sample (moments, tf.batchNorm, ReLU) equals the taped one", () => {
    const x = tf.add(random([1, 5, 4, 6], 13), 10) as tf.Tensor4D;
    const w = weights({ 'n/gamma': random([6], 14, 0.5, 2), 'n/beta': random([6], 15) });
    const gpu = Array.from(tf.tidy(() => batchNormRelu(x, w('n/gamma'), w('n/beta')).dataSync()));
    expect(
      maxDifference(
        gpu,
        taped(() => instanceNormRelu(w, 'n', x)),
      ),
    ).toBeLessThan(2e-5);
    const psi = random([1, 12], 16, -2, 2) as tf.Tensor2D;
    const scale = tf.reshape(tf.slice(psi, [0, 0], [-1, 6]), [1, 1, 1, 6]);
    const bias = tf.reshape(tf.slice(psi, [0, 6], [-1, 6]), [1, 1, 1, 6]);
    const adain = Array.from(tf.tidy(() => batchNormRelu(x, scale, bias).dataSync()));
    expect(
      maxDifference(
        adain,
        taped(() => adaptiveInstanceNormRelu(x, psi, 0)),
      ),
    ).toBeLessThan(2e-5);
    expect(adain.some((v) => v === 0) && adain.some((v) => v > 0)).toBe(true);
    expect(() => batchNormRelu(tf.zeros([2, 2, 2, 6]) as tf.Tensor4D, scale, bias)).toThrow(/one sample/);
  });

  it('keeps the gradients: under a tape the norm is the tf.js ops', () => {
    const x = random([1, 4, 4, 6], 6) as tf.Tensor4D;
    const psi = random([1, 12], 7) as tf.Tensor2D;
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.square(adaptiveInstanceNormRelu(t as tf.Tensor4D, psi, 0))))(x);
    expect(tf.max(tf.abs(dx)).dataSync()[0]).toBeGreaterThan(0);
  });

  it('conv with its bias fused, nearest up-sampling and channel concatenation', async () => {
    const x = random([1, 6, 6, 3], 8) as tf.Tensor4D;
    const w = weights({ 'c/kernel': random([3, 3, 3, 5], 9), 'c/bias': random([5], 10) });
    const conv = await untaped(() => conv2d(w, 'c', x));
    expect(conv.kernels).toContain('FusedConv2D');
    expect(
      maxDifference(
        conv.values,
        taped(() => conv2d(w, 'c', x)),
      ),
    ).toBeLessThan(1e-5);

    const up = await untaped(() => upsampleNearest2(x));
    expect(up.kernels).toContain('ResizeNearestNeighbor');
    expect(up.values).toEqual(taped(() => upsampleNearest2(x)));

    const parts = [x, random([1, 6, 6, 1], 11) as tf.Tensor4D, random([1, 6, 6, 2], 12) as tf.Tensor4D];
    const joined = await untaped(() => concatChannels(parts));
    expect(joined.kernels).not.toContain('Concat');
    expect(joined.values).toEqual(taped(() => concatChannels(parts)));
    expect(joined.values).toEqual(tf.concat(parts, 3).dataSync());
  });
});

describe('normAffineReluValues', () => {
  it('is relu((x − μ)·γ/√(σ² + ε) + β) per sample and channel, or without the ReLU', () => {
    const x = Float32Array.from([1, 10, 3, 20, 5, 30, 7, 40]); // [1, 2, 2, 2]: channel 0 is 1, 3, 5, 7
    const scale = Float32Array.from([9, 2, 1]); // γ at offset 1: 2, 1
    const bias = Float32Array.from([0.5, -1]);
    const out = new Float32Array(8);
    normAffineReluValues(x, [1, 2, 2, 2], scale, [1, 3], bias, [2], { scaleOffset: 1, biasOffset: 0, epsilon: 0, relu: false }, out);
    const z = [-3, -1, 1, 3].map((v) => v / Math.sqrt(5));
    const expected = [0, 1, 2, 3].flatMap((i) => [2 * z[i] + 0.5, z[i] - 1]);
    expect(maxDifference(out, expected)).toBeLessThan(1e-6);
    normAffineReluValues(x, [1, 2, 2, 2], scale, [1, 3], bias, [2], { scaleOffset: 1, biasOffset: 0, epsilon: 0, relu: true }, out);
    expect(
      maxDifference(
        out,
        expected.map((v) => Math.max(0, v)),
      ),
    ).toBeLessThan(1e-6);
  });

  it('refuses γ or β rows that fit neither one sample nor each, and channels past their end', () => {
    const x = new Float32Array(2 * 4 * 3);
    const out = new Float32Array(x.length);
    const attrs = { scaleOffset: 0, biasOffset: 0, epsilon: 1e-5, relu: true };
    expect(() => normAffineReluValues(x, [2, 2, 2, 3], new Float32Array(9), [3, 3], new Float32Array(3), [3], attrs, out)).toThrow(/scale/);
    expect(() =>
      normAffineReluValues(x, [2, 2, 2, 3], new Float32Array(3), [3], new Float32Array(3), [3], { ...attrs, biasOffset: 1 }, out),
    ).toThrow(/past the end/);
  });
});
