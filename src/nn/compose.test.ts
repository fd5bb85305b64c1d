// composeWarpGuided (compose.ts) against the tensor path it replaces on CPU-memory backends:
// resizeBilinear (half-pixel centres) of α and Δ, warp + α↑·Δ↑, toRgbaBytes; and displacePositions
// (a learned flow moving the warp's positions) against warp.ts displace on the positions as an image.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeWarpGuided, displacePositions } from './compose.ts';
import { toRgbaBytes } from './ff.ts';
import { displace } from '../landmarks/warp.ts';
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

  it("displacePositions reads the warp's positions at p + flow↑(p), as displace does on the model backend", () => {
    const size = 32;
    const low = 8;
    const random = (n: number, seed: number, lo: number, hi: number) =>
      Float32Array.from({ length: n }, (_, i) => lo + ((((Math.sin(i * 12.9898 + seed) * 43758.5453) % 1) + 1) % 1) * (hi - lo));
    // A smooth, non-affine position field (a warp's grid), in crop pixels.
    const positions = Float32Array.from({ length: size * size * 2 }, (_, k) => {
      const p = Math.floor(k / 2);
      const x = (p % size) + 0.5;
      const y = Math.floor(p / size) + 0.5;
      return k % 2 === 0 ? x + 2 * Math.sin(y * 0.2) : y + 1.5 * Math.cos(x * 0.15);
    });
    expect(displacePositions(positions, size, new Float32Array(low * low * 2), low)).toEqual(positions);
    const flow = random(low * low * 2, 4, -0.05, 0.05);
    const expected = tf.tidy(() => {
      const up = tf.image.resizeBilinear(tf.tensor4d(flow, [1, low, low, 2]), [size, size], false, true);
      return displace(tf.tensor4d(positions, [1, size, size, 2]), up).dataSync();
    });
    const got = displacePositions(positions, size, flow, low);
    let worst = 0;
    let moved = 0;
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - expected[i]));
      if (Math.abs(got[i] - positions[i]) > 0.1) moved++;
    }
    expect(worst).toBeLessThan(1e-3);
    expect(moved / got.length).toBeGreaterThan(0.3);
    // A flow of one pixel to the right: pixel i reads the positions of pixel i + 1 (the last column its own).
    const right = Float32Array.from({ length: low * low * 2 }, (_, k) => (k % 2 === 0 ? 1 / size : 0));
    const shifted = displacePositions(positions, size, right, low);
    for (const [x, y] of [
      [3, 5],
      [30, 17],
      [31, 9],
    ]) {
      const from = 2 * (y * size + Math.min(x + 1, size - 1));
      expect(shifted[2 * (y * size + x)]).toBeCloseTo(positions[from], 4);
      expect(shifted[2 * (y * size + x) + 1]).toBeCloseTo(positions[from + 1], 4);
    }
    expect(() => displacePositions(positions, size, new Float32Array(5), low)).toThrow(/flow has 5/);
    expect(() => displacePositions(new Float32Array(7), size, flow, low)).toThrow(/7 position values/);
  });

  it('refuses arrays of the wrong length', () => {
    expect(() => composeWarpGuided(new Float32Array(10), 32, new Float32Array(64), new Float32Array(192), 8)).toThrow(/warp values/);
    expect(() => composeWarpGuided(new Float32Array(32 * 32 * 3), 32, new Float32Array(63), new Float32Array(192), 8)).toThrow(/α has 63/);
  });
});
