/**
 * Composites for the eval's `--composites` rows: one picture inside the face oval (the ground truth's
 * landmarks, contours.ts FACE_OVAL), another outside, with a soft edge. They answer where a metric's
 * distance lies: the real face on the warp's background is what a perfect face generator could reach
 * with the warp around it; the warp's face on the real background is what knowing the background
 * would give; a generator's face on the warp's background splits its gains into the face and the rest.
 */
import { FACE_OVAL } from '../landmarks/contours.ts';
import { polygonMask } from '../landmarks/mouth-region.ts';
import type { Point, RgbaImage } from '../landmarks/types.ts';

/** Half-width of the soft edge (polygonMask's feather), in pixels of the image: the weight goes 0 → 1 over twice this. */
export const COMPOSITE_FEATHER = 2;

/** `inside` within the face oval of `points` (pixels of these square images), `outside` elsewhere, with
 * polygonMask's soft edge; opaque. */
export function compositeFace(inside: RgbaImage, outside: RgbaImage, points: readonly Point[]): RgbaImage {
  const { width, height } = inside;
  if (outside.width !== width || outside.height !== height) {
    throw new Error(`compositeFace: sizes differ (${width}×${height} vs ${outside.width}×${outside.height})`);
  }
  if (width !== height) throw new Error(`compositeFace: eval crops are square, not ${width}×${height}`);
  const weights = polygonMask(
    FACE_OVAL.map((i) => points[i]),
    width,
    COMPOSITE_FEATHER,
  );
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const w = weights[p];
    for (let c = 0; c < 3; c++) data[p * 4 + c] = w * inside.data[p * 4 + c] + (1 - w) * outside.data[p * 4 + c];
    data[p * 4 + 3] = 255;
  }
  return { width, height, data };
}
