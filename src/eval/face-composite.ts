/**
 * Composites for the eval's `--composites` rows: one picture inside the face oval (the ground truth's
 * landmarks, contours.ts FACE_OVAL), another outside, with a soft edge. They answer where a metric's
 * distance lies: the real face on the warp's background is what a perfect face generator could reach
 * with the warp around it; the warp's face on the real background is what knowing the background
 * would give; a generator's face on the warp's background splits its gains into the face and the rest.
 */
import { FACE_OVAL } from '../landmarks/contours.ts';
import type { Point, RgbaImage } from '../landmarks/types.ts';

/** Half-width of the soft edge, in pixels of the image: the mask goes 0 → 1 over twice this. */
export const COMPOSITE_FEATHER = 2;

/**
 * Per pixel, the weight of the inside picture: 0.5 + the signed distance (positive inside, even-odd
 * rule) from the pixel centre to the polygon's edges ÷ (2 · feather), clamped to [0, 1].
 */
export function polygonWeights(polygon: readonly Point[], width: number, height: number, feather = COMPOSITE_FEATHER): Float32Array {
  const weights = new Float32Array(width * height);
  const n = polygon.length;
  for (let y = 0; y < height; y++) {
    const py = y + 0.5;
    for (let x = 0; x < width; x++) {
      const px = x + 0.5;
      let inside = false;
      let nearest = Infinity;
      for (let k = 0; k < n; k++) {
        const a = polygon[k];
        const b = polygon[(k + 1) % n];
        if (a.y > py !== b.y > py && px < a.x + ((py - a.y) * (b.x - a.x)) / (b.y - a.y)) inside = !inside;
        const ex = b.x - a.x;
        const ey = b.y - a.y;
        const t = Math.min(1, Math.max(0, ((px - a.x) * ex + (py - a.y) * ey) / Math.max(ex * ex + ey * ey, 1e-12)));
        nearest = Math.min(nearest, Math.hypot(px - a.x - t * ex, py - a.y - t * ey));
      }
      const signed = inside ? nearest : -nearest;
      weights[y * width + x] = Math.min(1, Math.max(0, 0.5 + signed / (2 * feather)));
    }
  }
  return weights;
}

/** `inside` within the face oval of `points` (pixels of these images), `outside` elsewhere; opaque. */
export function compositeFace(inside: RgbaImage, outside: RgbaImage, points: readonly Point[]): RgbaImage {
  const { width, height } = inside;
  if (outside.width !== width || outside.height !== height) {
    throw new Error(`compositeFace: sizes differ (${width}×${height} vs ${outside.width}×${outside.height})`);
  }
  const weights = polygonWeights(
    FACE_OVAL.map((i) => points[i]),
    width,
    height,
  );
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const w = weights[p];
    for (let c = 0; c < 3; c++) data[p * 4 + c] = w * inside.data[p * 4 + c] + (1 - w) * outside.data[p * 4 + c];
    data[p * 4 + 3] = 255;
  }
  return { width, height, data };
}
