/**
 * Sharpness of a generated frame relative to the real one: the variance of the 3×3 Laplacian
 * ([0 1 0; 1 −4 1; 0 1 0]) of BT.601 luma, output ÷ ground truth, as evaluate_heldout.py's sharpness
 * but measured inside the face box only (the ground truth's landmark bounding box), so a blurry
 * generator cannot hide behind SSIM and a sharp background does not count. 1.0: as much fine
 * detail as the real frame; a network that blurs scores below 1 (and below the warp, which
 * reuses the photo's pixels); above 1 means more high-frequency content than the real frame
 * (noise, ringing, aliasing).
 */
import { boundingBox } from '../landmarks/geometry.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { lumaOf } from './ssim.ts';

/** Whole pixels [x0, x1) × [y0, y1). */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The landmarks' bounding box in whole pixels, clamped to the image (continuous pixel coordinates). */
export function faceBox(points: Landmarks, width: number, height: number): PixelBox {
  const { minX, minY, maxX, maxY } = boundingBox(points);
  return {
    x0: Math.max(0, Math.floor(minX)),
    y0: Math.max(0, Math.floor(minY)),
    x1: Math.min(width, Math.ceil(maxX)),
    y1: Math.min(height, Math.ceil(maxY)),
  };
}

/**
 * Variance (unbiased, as torch's .var) of the Laplacian of luma in [0, 1] at the pixels of `box`
 * (default the whole image) whose 3×3 neighbourhood lies inside it ('valid', like evaluate_heldout.py's
 * conv2d). NaN when fewer than two pixels qualify.
 */
export function laplacianVariance(image: RgbaImage, box: PixelBox = { x0: 0, y0: 0, x1: image.width, y1: image.height }): number {
  const { width } = image;
  const luma = lumaOf(image);
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (let y = box.y0 + 1; y < box.y1 - 1; y++) {
    for (let x = box.x0 + 1; x < box.x1 - 1; x++) {
      const p = y * width + x;
      const value = luma[p - width] + luma[p + width] + luma[p - 1] + luma[p + 1] - 4 * luma[p];
      n++;
      sum += value;
      sumSq += value * value;
    }
  }
  if (n < 2) return NaN;
  const mean = sum / n;
  return Math.max(0, (sumSq - n * mean * mean) / (n - 1));
}

/** Output ÷ ground truth Laplacian variance inside the box (the ground truth's floored at 1e-8, as the trainer's). */
export function relativeSharpness(output: RgbaImage, truth: RgbaImage, box: PixelBox): number {
  if (output.width !== truth.width || output.height !== truth.height) {
    throw new Error(`relativeSharpness: output is ${output.width}×${output.height}, ground truth ${truth.width}×${truth.height}`);
  }
  return laplacianVariance(output, box) / Math.max(laplacianVariance(truth, box), 1e-8);
}
