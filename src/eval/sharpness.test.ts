import { describe, expect, it } from 'vitest';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { faceBox, laplacianVariance, relativeSharpness } from './sharpness.ts';

/** Grey image from a luma function (0..255). */
function grey(size: number, value: (x: number, y: number) => number): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = value(x, y);
      data.set([v, v, v, 255], (y * size + x) * 4);
    }
  }
  return { width: size, height: size, data };
}

/** Deterministic texture: fine detail at several frequencies. */
const texture = (x: number, y: number) =>
  128 + 60 * Math.sin(x * 1.3 + y * 0.4) + 40 * Math.cos(x * 0.35 - y * 1.7) + 20 * Math.sin((x * y) / 5);

/** 3×3 box blur, edges clamped. */
function blur(image: RgbaImage): RgbaImage {
  const { width: n, data } = image;
  const out = new Uint8ClampedArray(data.length);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      for (let k = 0; k < 4; k++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++)
            sum += data[(Math.min(n - 1, Math.max(0, y + dy)) * n + Math.min(n - 1, Math.max(0, x + dx))) * 4 + k];
        out[(y * n + x) * 4 + k] = sum / 9;
      }
    }
  }
  return { width: n, height: n, data: out };
}

describe('laplacianVariance', () => {
  it('is 0 on flat and linear ramps and grows with fine detail', () => {
    expect(laplacianVariance(grey(16, () => 90))).toBe(0);
    expect(laplacianVariance(grey(16, (x, y) => 3 * x + 5 * y))).toBeCloseTo(0, 12);
    expect(laplacianVariance(grey(16, texture))).toBeGreaterThan(0.001);
  });

  it('only looks inside the box (a valid 3×3 stencil), NaN when too small', () => {
    // Noise outside the box [4, 12)² does not count.
    const img = grey(16, (x, y) => (x >= 4 && x < 12 && y >= 4 && y < 12 ? 100 : (x * 7919 + y * 104729) % 256));
    expect(laplacianVariance(img, { x0: 4, y0: 4, x1: 12, y1: 12 })).toBe(0);
    expect(laplacianVariance(img)).toBeGreaterThan(0);
    expect(laplacianVariance(img, { x0: 4, y0: 4, x1: 7, y1: 7 })).toBeNaN();
  });
});

describe('relativeSharpness', () => {
  const sharp = grey(48, texture);
  const box = { x0: 8, y0: 8, x1: 40, y1: 40 };

  it('is 1 for the ground truth itself and drops when the frame is blurred', () => {
    expect(relativeSharpness(sharp, sharp, box)).toBe(1);
    const once = relativeSharpness(blur(sharp), sharp, box);
    const twice = relativeSharpness(blur(blur(sharp)), sharp, box);
    expect(once).toBeLessThan(0.5);
    expect(twice).toBeLessThan(once);
    // Upsampling a small frame (the paper generator's) is a blur too: nearest-neighbour ×2 of a half-size image.
    const half = grey(24, (x, y) => texture(2 * x, 2 * y));
    const blocky = grey(48, (x, y) => half.data[(Math.floor(y / 2) * 24 + Math.floor(x / 2)) * 4]);
    expect(relativeSharpness(blur(blocky), sharp, box)).toBeLessThan(1);
  });

  it('refuses frames of another size', () => {
    expect(() => relativeSharpness(grey(8, texture), sharp, box)).toThrow(/8×8/);
  });
});

describe('faceBox', () => {
  it("is the landmarks' bounding box in whole pixels, clamped to the image", () => {
    const points: Landmarks = [
      { x: 10.4, y: 20.6, z: 0 },
      { x: 30.2, y: 5.1, z: 0 },
      { x: -3, y: 70.5, z: 0 },
    ];
    expect(faceBox(points, 64, 64)).toEqual({ x0: 0, y0: 5, x1: 31, y1: 64 });
  });
});
