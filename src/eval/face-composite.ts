/**
 * The face oval as the eval uses it (the ground truth's landmarks, contours.ts FACE_OVAL, as a soft
 * polygon): the weights of the face SSIM, and the `--composites` rows.
 *
 * Face SSIM weights the SSIM map by the oval with the trainer's edge (background.py face_oval_mask:
 * polygonMask's default feather), so it reads as the held-out report's ssim_face: the part of the
 * frame that the landmarks and the photo determine, without the hold-out frame's background.
 *
 * Composites: one picture inside the face oval, another outside, with a soft edge. They answer where a metric's
 * distance lies: the real face on the warp's background is what a perfect face generator could reach
 * with the warp around it; the warp's face on the real background is what knowing the background
 * would give; a generator's face on the warp's background splits its gains into the face and the rest.
 */
import { FACE_OVAL } from '../landmarks/contours.ts';
import { polygonMask } from '../landmarks/mouth-region.ts';
import type { Point, RgbaImage } from '../landmarks/types.ts';

/** Half-width of the soft edge (polygonMask's feather), in pixels of the image: the weight goes 0 → 1 over twice this. */
export const COMPOSITE_FEATHER = 2;

/** Per pixel of a square image of side `size`, how much it lies inside the face oval of `points` (its pixels). */
export function faceOvalWeights(points: readonly Point[], size: number, feather?: number): Float32Array {
  return polygonMask(
    FACE_OVAL.map((i) => points[i]),
    size,
    feather,
  );
}

/** `inside` within the face oval of `points` (pixels of these square images), `outside` elsewhere, with
 * polygonMask's soft edge; opaque. */
export function compositeFace(inside: RgbaImage, outside: RgbaImage, points: readonly Point[]): RgbaImage {
  const { width, height } = inside;
  if (outside.width !== width || outside.height !== height) {
    throw new Error(`compositeFace: sizes differ (${width}×${height} vs ${outside.width}×${outside.height})`);
  }
  if (width !== height) throw new Error(`compositeFace: eval crops are square, not ${width}×${height}`);
  const weights = faceOvalWeights(points, width, COMPOSITE_FEATHER);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const w = weights[p];
    for (let c = 0; c < 3; c++) data[p * 4 + c] = w * inside.data[p * 4 + c] + (1 - w) * outside.data[p * 4 + c];
    data[p * 4 + 3] = 255;
  }
  return { width, height, data };
}
