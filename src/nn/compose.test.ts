// composeWarpGuided (compose.ts) against the tensor path it replaces on CPU-memory backends:
// resizeBilinear (half-pixel centres) of α and Δ, warp + α↑·Δ↑, toRgbaBytes.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeWarpGuided } from './compose.ts';
import { toRgbaBytes } from './ff.ts';
import { useCpuBackend } from './testing.ts';

describe('composeWarpGuided', () => {
  beforeAll(async () => {
    await useCpuBackend();
  });

  it('gives the bytes of warp + α↑·Δ↑ through tf.image.resizeBilinear, within 1/255', () => {
    const size = 32;
    const low = 8;
    const random = (n: number, seed: number, lo: number, hi: number) =>
      Float32Array.from({ length: n }, (_, i) => lo + ((((Math.sin(i * 12.9898 + seed) * 43758.5453) % 1) + 1) % 1) * (hi - lo));
    const warped = random(size * size * 3, 1, -1, 1);
    const alpha = random(low * low, 2, 0, 1);
    const delta = random(low * low * 3, 3, -2, 2);
    const expected = tf.tidy(() => {
      const up = (t: tf.Tensor4D) => tf.image.resizeBilinear(t, [size, size], false, true);
      const frame = tf.add(
        tf.tensor4d(warped, [1, size, size, 3]),
        tf.mul(up(tf.tensor4d(alpha, [1, low, low, 1])), up(tf.tensor4d(delta, [1, low, low, 3]))),
      );
      return toRgbaBytes(frame as tf.Tensor4D).dataSync();
    });
    const got = composeWarpGuided(warped, size, alpha, delta, low);
    expect([got.width, got.height]).toEqual([size, size]);
    let worst = 0;
    let differ = 0;
    for (let i = 0; i < got.data.length; i++) {
      const d = Math.abs(got.data[i] - expected[i]);
      worst = Math.max(worst, d);
      if (d > 0) differ++;
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(differ / got.data.length).toBeLessThan(0.01);
    // Zero Δ gives the warp's own bytes.
    const plain = composeWarpGuided(warped, size, alpha, new Float32Array(low * low * 3), low);
    expect(plain.data).toEqual(new Uint8ClampedArray(tf.tidy(() => toRgbaBytes(tf.tensor4d(warped, [1, size, size, 3])).dataSync())));
  });

  it('refuses arrays of the wrong length', () => {
    expect(() => composeWarpGuided(new Float32Array(10), 32, new Float32Array(64), new Float32Array(192), 8)).toThrow(/warp values/);
    expect(() => composeWarpGuided(new Float32Array(32 * 32 * 3), 32, new Float32Array(63), new Float32Array(192), 8)).toThrow(/α has 63/);
  });
});
