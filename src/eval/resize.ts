/**
 * Bringing frames to a common size before they are compared, as evaluate_heldout.py's
 * resize_for_metrics does: bilinear when enlarging (the paper generator's 64 px frames shown at
 * 256 px, roughly as a browser scales a small canvas up), the area average when shrinking.
 *
 * Bilinear uses half-pixel centres (output pixel o samples the source at (o + 0.5) · in / out − 0.5,
 * clamped to the edge pixels): torch's interpolate(align_corners=False) and tf.image.resizeBilinear
 * with halfPixelCenters, which the warp-guided avatar uses to upsample G's α and Δ.
 */
import type { RgbaImage } from '../landmarks/types.ts';
import { resizeForGrid } from './image-grid.ts';

/** Source index pairs and the weight of the second, per output pixel along one axis. */
function bilinearAxis(sourceLength: number, targetLength: number): { lower: Int32Array; upper: Int32Array; t: Float64Array } {
  const lower = new Int32Array(targetLength);
  const upper = new Int32Array(targetLength);
  const t = new Float64Array(targetLength);
  const scale = sourceLength / targetLength;
  for (let o = 0; o < targetLength; o++) {
    const at = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), sourceLength - 1);
    lower[o] = Math.floor(at);
    upper[o] = Math.min(lower[o] + 1, sourceLength - 1);
    t[o] = at - lower[o];
  }
  return { lower, upper, t };
}

/** Bilinear resize of all four channels to width × height (half-pixel centres, edge-clamped, rounded to bytes). */
export function resizeBilinear(image: RgbaImage, width: number, height: number): RgbaImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`resizeBilinear: size must be positive integers, got ${width}×${height}`);
  }
  if (image.width === width && image.height === height) return image;
  const xs = bilinearAxis(image.width, width);
  const ys = bilinearAxis(image.height, height);
  const src = image.data;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const r0 = ys.lower[y] * image.width;
    const r1 = ys.upper[y] * image.width;
    const ty = ys.t[y];
    for (let x = 0; x < width; x++) {
      const tx = xs.t[x];
      const i00 = (r0 + xs.lower[x]) * 4,
        i01 = (r0 + xs.upper[x]) * 4;
      const i10 = (r1 + xs.lower[x]) * 4,
        i11 = (r1 + xs.upper[x]) * 4;
      const o = (y * width + x) * 4;
      for (let k = 0; k < 4; k++) {
        const top = src[i00 + k] + tx * (src[i01 + k] - src[i00 + k]);
        const bottom = src[i10 + k] + tx * (src[i11 + k] - src[i10 + k]);
        data[o + k] = top + ty * (bottom - top); // Uint8ClampedArray rounds and clamps
      }
    }
  }
  return { width, height, data };
}

/** A square frame at `size`: unchanged when it already is, bilinear up, area average down. */
export function resizeForComparison(image: RgbaImage, size: number): RgbaImage {
  if (image.width === size && image.height === size) return image;
  if (image.width < size && image.height < size) return resizeBilinear(image, size, size);
  if (image.width >= size && image.height >= size) return resizeForGrid(image, size, size);
  throw new Error(
    `resizeForComparison: cannot bring a ${image.width}×${image.height} frame to ${size}×${size} (enlarges one side, shrinks the other)`,
  );
}
