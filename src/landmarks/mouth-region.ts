/**
 * Where the mouth generator (config.ts MouthConfig) works: a square around the driving mouth, cut
 * from the shown frame, the lips drawn there as soft polygons, and its residual pasted back. This is
 * the TypeScript twin of train/talking_heads/mouth_region.py, whose docstring is the definition; in
 * short, for a frame of side F with landmarks in its pixels (pixel (i, j) centred on (i + 0.5, j + 0.5)):
 *
 * 1. The box: centre c = the mean of the inner lips' corners and midpoints; side
 *    s = max(corner distance, midpoint distance) + 2·pad·(outer-eye-corner distance); axis-aligned.
 * 2. The crop of side R: pixel (i, j) samples the frame at c − s/2 + (i + 0.5, j + 0.5)·s/R, bilinear,
 *    edge-clamped (warp.ts sampleBilinearPixels / sampleWarpGrid).
 * 3. The lips, [inner, outer] at R: per pixel centre, 0.5 + the signed distance (crop pixels, positive
 *    inside by the even-odd rule) to the lip loop, clamped to [0, 1].
 * 4. The paste: the residual r = α·Δ at R gets a ring of zeros (R + 2) and frame pixel x adds r sampled
 *    at (x + 0.5 − (c − s/2))·R/s + 1 (bilinear, edge-clamped: 0 outside the box). Only a square
 *    a little larger than the box can change (pasteWindow); the app samples that square alone.
 * 5. With an opening ramp [lo, hi], r is first scaled by clamp((d − lo) / (hi − lo), 0, 1), d being how
 *    much wider the driving mouth opens than the shown photo's (expression.ts mouthOpening); at 0
 *    nothing changes and the pass is skipped.
 *
 * Geometry is float64 JS math on a few thousand pixels (well under a millisecond), run per driving
 * frame where the render runs (the model worker). The indices come from mouth-region.json, which the
 * landmark image's contours (contours.ts) read too.
 */
import region from './mouth-region.json' with { type: 'json' };
import { mouthOpening } from './expression.ts';
import type { Vec2 } from './geometry.ts';

export const INNER_LIPS: readonly number[] = region.innerLips;
export const OUTER_LIPS: readonly number[] = region.outerLips;

/** The mouth generator's square in frame pixels: centre (x, y) and side. */
export interface MouthBox {
  readonly x: number;
  readonly y: number;
  readonly side: number;
}

const distance = (a: Vec2, b: Vec2) => Math.hypot(a.x - b.x, a.y - b.y);

/** The box around the inner lips of `points` (frame pixels), grown by 2·pad eye-corner distances. */
export function mouthBox(points: readonly Vec2[], pad: number): MouthBox {
  const [right, left] = region.innerCorners.map((i) => points[i]);
  const [upper, lower] = region.innerMidpoints.map((i) => points[i]);
  const [eyeA, eyeB] = region.eyeCorners.map((i) => points[i]);
  if (!right || !left || !upper || !lower || !eyeA || !eyeB) {
    throw new Error(`mouthBox: needs MediaPipe's 478 landmarks, got ${points.length} points`);
  }
  const side = Math.max(distance(left, right), distance(lower, upper)) + 2 * pad * distance(eyeB, eyeA);
  return {
    x: (right.x + left.x + upper.x + lower.x) / 4,
    y: (right.y + left.y + upper.y + lower.y) / 4,
    side: Math.max(side, 1e-3),
  };
}

/**
 * How much of the mouth generator's residual a driving mouth gets: clamp((d − lo) / (hi − lo), 0, 1)
 * for d = the driving mouth's opening (`points`) minus that of the photo warped onto it
 * (`sourcePoints`; openings: mouthOpening, the inner-lip gap ÷ the outer-eye-corner distance, so
 * the two may be in any units): 0 where the warp draws the mouth from the photo's own pixels, 1
 * where it stretches the lips over an opening the photo does not show; 1 without a ramp.
 */
export function openingGate(points: readonly Vec2[], sourcePoints: readonly Vec2[], ramp: readonly [number, number] | undefined): number {
  if (!ramp) return 1;
  const [lo, hi] = ramp;
  return Math.min(Math.max((mouthOpening(points) - mouthOpening(sourcePoints) - lo) / (hi - lo), 0), 1);
}

/** Frame-pixel positions (x, y per crop pixel, row-major) that the R × R crop's pixel centres sample. */
export function cropPositions(box: MouthBox, size: number): Float32Array {
  const positions = new Float32Array(2 * size * size);
  const step = box.side / size;
  const x0 = box.x - box.side / 2;
  const y0 = box.y - box.side / 2;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      positions[2 * (j * size + i)] = x0 + (i + 0.5) * step;
      positions[2 * (j * size + i) + 1] = y0 + (j + 0.5) * step;
    }
  }
  return positions;
}

/**
 * The square of frame pixels that the paste can change: every pixel outside it reads the zero ring
 * (a sample at p in the ringed residual is non-zero only for 0.5 < p < R + 1.5, in x and in y), with a
 * pixel's margin for float32 positions. Clamped into the frame; `side` ≤ F.
 */
export interface PasteWindow {
  readonly x: number;
  readonly y: number;
  readonly side: number;
}

export function pasteWindow(box: MouthBox, frameSize: number, size: number): PasteWindow {
  const reach = (0.5 * box.side) / size; // half a crop pixel, in frame pixels
  const lo = (origin: number) => Math.floor(origin - 0.5 - reach) - 1;
  const hi = (origin: number) => Math.ceil(origin + box.side - 0.5 + reach) + 1;
  const x0 = box.x - box.side / 2;
  const y0 = box.y - box.side / 2;
  const side = Math.min(frameSize, Math.max(hi(x0) - lo(x0), hi(y0) - lo(y0)) + 1);
  const place = (first: number) => Math.min(Math.max(first, 0), frameSize - side);
  return { x: place(lo(x0)), y: place(lo(y0)), side };
}

/**
 * Positions in the zero-ringed residual (R + 2 px) that the frame's pixels read, for the pixels of
 * `window` (row-major; by default the whole F × F frame, whose other pixels read zeros).
 */
export function pastePositions(
  box: MouthBox,
  frameSize: number,
  size: number,
  window: PasteWindow = { x: 0, y: 0, side: frameSize },
): Float32Array {
  const n = window.side;
  const positions = new Float32Array(2 * n * n);
  const scale = size / box.side;
  const x0 = box.x - box.side / 2;
  const y0 = box.y - box.side / 2;
  for (let j = 0; j < n; j++) {
    const y = (window.y + j + 0.5 - y0) * scale + 1;
    for (let i = 0; i < n; i++) {
      positions[2 * (j * n + i)] = (window.x + i + 0.5 - x0) * scale + 1;
      positions[2 * (j * n + i) + 1] = y;
    }
  }
  return positions;
}

/**
 * Soft mask [R × R] of the closed polygon `vertices` (crop pixels): 0.5 + the signed distance from
 * each pixel centre to its edges (positive inside, even-odd rule) ÷ (2 · feather), clamped to [0, 1].
 * The lips' masks use the default feather of ½ (0.5 + the distance); the eval's face composites a
 * wider one.
 *
 * Per driving frame, so computed where it matters: only pixel centres within `feather` of an edge can
 * fall strictly between 0 and 1, so each edge measures the distance to the pixels of its own
 * bounding box grown by 2 · feather (the nearest edge of any centre closer than that is among them), and
 * every other pixel is 0 or 1 by the even-odd rule, counted along its row. Same arithmetic per
 * (pixel, edge) as the plain double loop, so the same values (mouth_region.py polygon_mask is the
 * definition).
 */
export function polygonMask(vertices: readonly Vec2[], size: number, feather = 0.5): Float32Array {
  const n = vertices.length;
  const reach = REACH * 2 * feather;
  const slope = 1 / (2 * feather);
  const nearest = new Float64Array(size * size).fill(Infinity);
  for (let k = 0; k < n; k++) {
    const a = vertices[k];
    const b = vertices[(k + 1) % n];
    const ex = b.x - a.x;
    const ey = b.y - a.y;
    const length2 = Math.max(ex * ex + ey * ey, 1e-12);
    // Pixel centres i + 0.5 within reach of the edge's bounding box.
    const i0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - reach - 0.5));
    const i1 = Math.min(size - 1, Math.ceil(Math.max(a.x, b.x) + reach - 0.5));
    const j0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - reach - 0.5));
    const j1 = Math.min(size - 1, Math.ceil(Math.max(a.y, b.y) + reach - 0.5));
    for (let j = j0; j <= j1; j++) {
      const py = j + 0.5;
      for (let i = i0; i <= i1; i++) {
        const px = i + 0.5;
        const t = Math.min(Math.max(((px - a.x) * ex + (py - a.y) * ey) / length2, 0), 1);
        const d = Math.hypot(px - a.x - t * ex, py - a.y - t * ey);
        if (d < nearest[j * size + i]) nearest[j * size + i] = d;
      }
    }
  }
  const mask = new Float32Array(size * size);
  const crossings: number[] = [];
  for (let j = 0; j < size; j++) {
    const py = j + 0.5;
    crossings.length = 0;
    for (let k = 0; k < n; k++) {
      const a = vertices[k];
      const b = vertices[(k + 1) % n];
      if (a.y > py !== b.y > py) crossings.push(a.x + ((py - a.y) * (b.x - a.x)) / (b.y - a.y));
    }
    for (let i = 0; i < size; i++) {
      const px = i + 0.5;
      let inside = false;
      for (const x of crossings) if (px < x) inside = !inside;
      const d = nearest[j * size + i];
      mask[j * size + i] = d === Infinity ? (inside ? 1 : 0) : Math.min(Math.max(0.5 + (inside ? d : -d) * slope, 0), 1);
    }
  }
  return mask;
}

/** How far (× 2 · feather, pixels) from an edge polygonMask measures distances: past `feather` the mask is 0 or 1. */
const REACH = 1;

/** The inner and outer lips' soft polygons in the box's R × R crop, channel-interleaved [R, R, 2]. */
export function lipMasks(points: readonly Vec2[], box: MouthBox, size: number): Float32Array {
  const scale = size / box.side;
  const x0 = box.x - box.side / 2;
  const y0 = box.y - box.side / 2;
  const [inner, outer] = [INNER_LIPS, OUTER_LIPS].map((loop) =>
    polygonMask(
      loop.map((k) => ({ x: (points[k].x - x0) * scale, y: (points[k].y - y0) * scale })),
      size,
    ),
  );
  const out = new Float32Array(2 * size * size);
  for (let p = 0; p < size * size; p++) {
    out[2 * p] = inner[p];
    out[2 * p + 1] = outer[p];
  }
  return out;
}

/** A channel-interleaved R × R × C image with a ring of zeros: (R + 2) × (R + 2) × C. */
export function zeroRing(values: ArrayLike<number>, size: number, channels: number): Float32Array {
  const side = size + 2;
  const out = new Float32Array(side * side * channels);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      for (let c = 0; c < channels; c++) out[((j + 1) * side + i + 1) * channels + c] = values[(j * size + i) * channels + c];
    }
  }
  return out;
}
