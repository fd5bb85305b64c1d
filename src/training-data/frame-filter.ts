/**
 * Which prepared frames are good enough to train on. A crop that had to be enlarged a lot is a blurry
 * target the generator would learn to reproduce, so frames whose crop square is smaller than
 * size / MAX_CROP_UPSCALE source pixels are dropped. With the crop side at 1.7 × the landmark box
 * (crop.ts), 2× at 128 px means a face box of at least about 38 source pixels; at 256 px, 75 pixels.
 *
 * Crops that reach beyond the source image (YouTube Faces frames are tight face crops) are kept: the
 * resampler fills the outside with black, which the networks learn to ignore. How much of each crop
 * is fill is measured so the trainer or the evaluation can filter further.
 */

export const MAX_CROP_UPSCALE = 2;

export interface CropSquare {
  x0: number;
  y0: number;
  side: number;
}

/** Output pixels per source pixel. */
export function cropUpscale(crop: CropSquare, size: number): number {
  return size / crop.side;
}

/** Fraction of the crop square's area that lies outside the [0, width] × [0, height] source image. */
export function outsideFraction(crop: CropSquare, width: number, height: number): number {
  const overlap = (start: number, length: number, limit: number) => Math.max(0, Math.min(start + length, limit) - Math.max(start, 0));
  const inside = overlap(crop.x0, crop.side, width) * overlap(crop.y0, crop.side, height);
  return 1 - inside / (crop.side * crop.side);
}

export type DropReason = 'no-face' | 'upscale' | 'not-an-image' | 'error';

/** Why a detected face's crop is unusable at `size`, or null to keep it. */
export function cropDropReason(crop: CropSquare, size: number, maxUpscale = MAX_CROP_UPSCALE): DropReason | null {
  return cropUpscale(crop, size) > maxUpscale ? 'upscale' : null;
}
