import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { RgbaImage } from '../landmarks/types.ts';
import { resizeBilinear, resizeForComparison } from './resize.ts';

function image(width: number, height: number, value: (x: number, y: number, k: number) => number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let k = 0; k < 4; k++) data[(y * width + x) * 4 + k] = value(x, y, k);
  return { width, height, data };
}

const red = (img: RgbaImage) => Array.from({ length: img.width * img.height }, (_, p) => img.data[p * 4]);

describe('resizeBilinear', () => {
  it('samples at half-pixel centres, clamped to the edge pixels', () => {
    // 2 → 4: output pixels sample x = −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    const out = resizeBilinear(
      image(2, 1, (x) => x * 100),
      4,
      1,
    );
    expect(red(out)).toEqual([0, 25, 75, 100]);
  });

  it('interpolates in both axes and every channel', () => {
    const out = resizeBilinear(
      image(2, 2, (x, y, k) => (k === 3 ? 255 : 40 * x + 80 * y + k)),
      4,
      4,
    );
    expect(out.width).toBe(4);
    expect(out.height).toBe(4);
    const at = (x: number, y: number) => Array.from(out.data.subarray((y * 4 + x) * 4, (y * 4 + x) * 4 + 4));
    expect(at(0, 0)).toEqual([0, 1, 2, 255]);
    expect(at(1, 1)).toEqual([30, 31, 32, 255]); // 40·0.25 + 80·0.25
    expect(at(3, 3)).toEqual([120, 121, 122, 255]);
  });

  it('matches tf.image.resizeBilinear with half-pixel centres (what the warp-guided avatar upsamples with)', () => {
    const src = image(7, 5, (x, y, k) => (x * 37 + y * 91 + k * 53 + x * y * 13) % 256);
    const out = resizeBilinear(src, 16, 12);
    const reference = tf.tidy(() => {
      const t = tf.tensor4d(Float32Array.from(src.data), [1, 5, 7, 4]);
      return tf.image.resizeBilinear(t, [12, 16], false, true).dataSync();
    });
    let worst = 0;
    reference.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - out.data[i]))));
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3); // rounding to bytes only
  });

  it('returns a same-sized image untouched and refuses bad sizes', () => {
    const src = image(3, 3, () => 7);
    expect(resizeBilinear(src, 3, 3)).toBe(src);
    expect(() => resizeBilinear(src, 0, 3)).toThrow(/positive integers/);
  });
});

describe('resizeForComparison', () => {
  it('upsamples bilinearly, shrinks by area average, and keeps the right size as is', () => {
    const small = image(2, 2, (x) => x * 100);
    expect(red(resizeForComparison(small, 4))).toEqual([0, 25, 75, 100, 0, 25, 75, 100, 0, 25, 75, 100, 0, 25, 75, 100]);
    const checker = image(4, 4, (x, y) => ((x + y) % 2 ? 200 : 0));
    expect(red(resizeForComparison(checker, 2))).toEqual([100, 100, 100, 100]);
    expect(resizeForComparison(checker, 4)).toBe(checker);
    expect(() =>
      resizeForComparison(
        image(8, 2, () => 0),
        4,
      ),
    ).toThrow(/cannot bring/);
  });
});
