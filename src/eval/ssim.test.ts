import { describe, expect, it } from 'vitest';
import { gaussianWindow1d, lumaOf, ssim } from './ssim.ts';
import type { RgbaImage } from '../landmarks/types.ts';
import { seededRandom } from '../util/random.ts';

function imageFrom(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const [r, g, b] = rgb(x, y);
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
      data[i + 3] = 255;
    }
  }
  return { width, height, data };
}

// The same two 16×14 images are built in the Python cross-check below; keep the formulas in sync.
const patternA = (x: number, y: number): [number, number, number] => [(x * 37 + y * 11) & 255, (x * y * 7 + 3) & 255, (255 - x * 5) & 255];
const patternB = (x: number, y: number): [number, number, number] => [
  (x * 13 + y * 29 + 40) & 255,
  (x * x + y * 3) & 255,
  (y * 17 + x) & 255,
];
const patternANudged = (x: number, y: number): [number, number, number] => {
  const nudge = (((x * 7 + y * 3) % 11) - 5) * 4;
  return patternA(x, y).map((v) => v + nudge) as [number, number, number]; // clamped by Uint8ClampedArray
};

function smoothImage(width: number, height: number): RgbaImage {
  return imageFrom(width, height, (x, y) => [128 + 100 * Math.sin(x / 5), 128 + 90 * Math.cos(y / 7), 128 + 60 * Math.sin((x + y) / 9)]);
}

function withNoise(image: RgbaImage, amplitude: number, seed: number): RgbaImage {
  const random = seededRandom(seed);
  const data = new Uint8ClampedArray(image.data);
  for (let i = 0; i < data.length; i++) {
    if (i % 4 !== 3) data[i] += Math.round((random() * 2 - 1) * amplitude);
  }
  return { ...image, data };
}

describe('gaussianWindow1d', () => {
  it('is normalised, symmetric and peaks in the middle', () => {
    const w = gaussianWindow1d();
    expect(w.length).toBe(11);
    expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    for (let i = 0; i < 11; i++) expect(w[i]).toBeCloseTo(w[10 - i], 15);
    expect(Math.max(...w)).toBe(w[5]);
  });
});

describe('lumaOf', () => {
  it('uses BT.601 weights on [0, 1] values and ignores alpha', () => {
    const image: RgbaImage = { width: 2, height: 1, data: new Uint8ClampedArray([255, 0, 0, 0, 0, 255, 255, 17]) };
    const luma = lumaOf(image);
    expect(luma[0]).toBeCloseTo(0.299, 12);
    expect(luma[1]).toBeCloseTo(0.587 + 0.114, 12);
  });
});

describe('ssim', () => {
  it('is 1 for identical images', () => {
    const image = smoothImage(32, 24);
    expect(ssim(image, image)).toBeCloseTo(1, 12);
  });

  it('is symmetric', () => {
    const a = smoothImage(32, 24);
    const b = withNoise(a, 40, 1);
    expect(ssim(a, b)).toBeCloseTo(ssim(b, a), 12);
  });

  it('drops as noise grows', () => {
    const a = smoothImage(40, 40);
    const mild = ssim(a, withNoise(a, 10, 2));
    const strong = ssim(a, withNoise(a, 60, 2));
    expect(mild).toBeLessThan(1);
    expect(strong).toBeLessThan(mild);
  });

  it('drops for a constant brightness shift (the luminance term)', () => {
    const a = smoothImage(32, 32);
    const shifted = imageFrom(32, 32, (x, y) => {
      const i = (y * 32 + x) * 4;
      return [a.data[i] - 25, a.data[i + 1] - 25, a.data[i + 2] - 25];
    });
    const score = ssim(a, shifted);
    expect(score).toBeLessThan(1);
    expect(score).toBeGreaterThan(0.9); // structure is untouched, only the means differ
  });

  it('matches the Python trainer on fixed images', () => {
    // Obtained by running `_gaussian_window` and `ssim` from train/talking_heads/evaluate_heldout.py
    // (extracted with ast, fed through the file's own `to_tensor`) under /usr/bin/python3 with
    // Debian's torch, float32, on these 16×14 patterns. Torch works in float32 and we in float64,
    // hence the 1e-5 tolerance (float64 torch gives 0.047472730041805224 for the first pair).
    const a = imageFrom(16, 14, patternA);
    expect(ssim(a, imageFrom(16, 14, patternB))).toBeCloseTo(0.04747234657406807, 5);
    expect(ssim(a, imageFrom(16, 14, patternANudged))).toBeCloseTo(0.9719624519348145, 5);
  });

  it('weighted by a mask, matches the trainer’s weighted_ssim and sees only the windows it covers', () => {
    // train/talking_heads/image_metrics.py weighted_ssim on the same 16×14 patterns, weights
    // ((x + 2y) mod 5) / 4, float32 torch (hence 1e-5).
    const weights = Float32Array.from({ length: 16 * 14 }, (_, p) => (((p % 16) + 2 * Math.floor(p / 16)) % 5) / 4);
    const a = imageFrom(16, 14, patternA);
    expect(ssim(a, imageFrom(16, 14, patternB), weights)).toBeCloseTo(0.05811077356338501, 5);
    expect(ssim(a, imageFrom(16, 14, patternANudged), weights)).toBeCloseTo(0.9722997546195984, 5);
    // Uniform weights give the plain mean; a mask on the untouched left half ignores noise on the right.
    const smooth = smoothImage(40, 30);
    const noisy = withNoise(smooth, 60, 3);
    const halfNoisy = { ...smooth, data: new Uint8ClampedArray(smooth.data) };
    for (let p = 0; p < 40 * 30; p++) if (p % 40 >= 20) for (let c = 0; c < 3; c++) halfNoisy.data[p * 4 + c] = noisy.data[p * 4 + c];
    expect(ssim(smooth, halfNoisy, new Float32Array(40 * 30).fill(1))).toBeCloseTo(ssim(smooth, halfNoisy), 12);
    const left = Float32Array.from({ length: 40 * 30 }, (_, p) => (p % 40 < 10 ? 1 : 0)); // windows reach x ≤ 14
    expect(ssim(smooth, halfNoisy, left)).toBeCloseTo(1, 9);
    expect(ssim(smooth, halfNoisy, new Float32Array(40 * 30))).toBeNaN();
  });

  it('rejects mismatched or too-small images, and weights of another size', () => {
    expect(() => ssim(smoothImage(20, 20), smoothImage(20, 21))).toThrow(/sizes differ/);
    expect(() => ssim(smoothImage(10, 20), smoothImage(10, 20))).toThrow(/at least 11×11/);
    expect(() => ssim(smoothImage(20, 20), smoothImage(20, 20), new Float32Array(10))).toThrow(/weights/);
  });
});
