/**
 * Converts a landmark image into the networks' input layout: HWC float RGB scaled to [-1, 1], the same
 * convention as the face images (x / 127.5 - 1), so black background maps to -1. Alpha is dropped.
 */
import type { RgbaImage } from './types.ts';

export function landmarkImageToTensorData(image: RgbaImage): Float32Array {
  const pixels = image.width * image.height;
  if (image.data.length !== pixels * 4) {
    throw new Error(`landmarkImageToTensorData: expected ${pixels * 4} RGBA bytes, got ${image.data.length}`);
  }
  const out = new Float32Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    out[i * 3] = image.data[i * 4] / 127.5 - 1;
    out[i * 3 + 1] = image.data[i * 4 + 1] / 127.5 - 1;
    out[i * 3 + 2] = image.data[i * 4 + 2] / 127.5 - 1;
  }
  return out;
}
