// Node's side of the lab page's plain-data images and landmarks (src/lab/evaluate.ts): raw RGBA in
// base64 ↔ RgbaImage, flat x, y, z arrays ↔ points. Shared by the self-reenactment and
// cross-identity loops.
import type { EvalImage } from '../lab/evaluate.ts';
import type { Point, RgbaImage } from '../landmarks/types.ts';

export function toPoints(flat: readonly number[]): Point[] {
  const points: Point[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) points.push({ x: flat[i], y: flat[i + 1], z: flat[i + 2] });
  return points;
}

export function decode(image: EvalImage): RgbaImage {
  const bytes = Buffer.from(image.rgbaBase64, 'base64');
  return { width: image.width, height: image.height, data: new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

export function encode(image: RgbaImage): EvalImage {
  return {
    width: image.width,
    height: image.height,
    rgbaBase64: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength).toString('base64'),
  };
}
