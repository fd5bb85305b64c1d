/** RgbaImage ↔ the browser's pixel containers (ImageBitmap, ImageData). Tensors: see nn/ff.ts. */
import type { RgbaImage } from '../landmarks/types.ts';

/** The pixels of a decoded image (main thread or worker: OffscreenCanvas works in both). */
export function bitmapPixels(bitmap: ImageBitmap): RgbaImage {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('2D canvas is unavailable in this browser');
  ctx.drawImage(bitmap, 0, 0);
  const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  return { data, width, height };
}

/** An RgbaImage as ImageData (for putImageData and MediaPipe), on a copy of its bytes. */
export function toImageData(image: RgbaImage): ImageData {
  return new ImageData(new Uint8ClampedArray(image.data), image.width, image.height);
}

/**
 * The image mirrored left to right, as a new bitmap (the caller still owns, and closes, `bitmap`).
 * A whole-pixel reflection with smoothing off: pixel x of a row becomes pixel width − 1 − x, exactly.
 * Training data uses it to add mirrored photos (scripts/prepare-training-set.ts --mirror), which then
 * go through the detector and crop like any other photo.
 */
export function mirroredBitmap(bitmap: ImageBitmap): ImageBitmap {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('2D canvas is unavailable in this browser');
  ctx.imageSmoothingEnabled = false;
  ctx.setTransform(-1, 0, 0, 1, bitmap.width, 0);
  ctx.drawImage(bitmap, 0, 0);
  return canvas.transferToImageBitmap();
}
