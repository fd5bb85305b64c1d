/**
 * The "warp" baseline of the evaluation: re-pose a source photo by moving its landmarks onto the
 * driver's, one affine map per triangle. It has no learned part, so it marks what any generator
 * must beat on pose/expression transfer while keeping the source's texture exactly.
 *
 * Coordinates are continuous pixels with pixel (i, j) centred on (i + 0.5, j + 0.5), the project's
 * convention (see landmarks/crop.ts); only x and y of each landmark are used.
 */
import Delaunator from 'delaunator';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';

/** Target triangles with less area than this (in px²) have no usable barycentric coordinates. */
const DEGENERATE_AREA = 1e-9;
/** Barycentric slack so pixel centres exactly on a shared edge are never missed by both sides. */
const EDGE_EPSILON = 1e-9;

/**
 * Corners and edge midpoints of the frame, mapped to themselves: they pin the background so the
 * triangulation covers the whole image instead of just the face's convex hull.
 */
function borderAnchors(width: number, height: number): [number, number][] {
  return [
    [0, 0],
    [width / 2, 0],
    [width, 0],
    [width, height / 2],
    [width, height],
    [width / 2, height],
    [0, height],
    [0, height / 2],
  ];
}

function interleavedCoordinates(points: Landmarks, anchors: [number, number][]): Float64Array {
  const coords = new Float64Array(2 * (points.length + anchors.length));
  points.forEach((p, i) => {
    coords[2 * i] = p.x;
    coords[2 * i + 1] = p.y;
  });
  anchors.forEach(([x, y], i) => {
    coords[2 * (points.length + i)] = x;
    coords[2 * (points.length + i) + 1] = y;
  });
  return coords;
}

function assertUsablePoints(points: Landmarks, name: string): void {
  points.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new Error(`warpPiecewiseAffine: ${name}[${i}] is not a finite point (${p.x}, ${p.y})`);
    }
  });
}

/** Bilinear sample of all four channels at continuous (x, y), clamping to the edge pixels. */
function sampleBilinear(image: RgbaImage, x: number, y: number, out: Uint8ClampedArray, offset: number): void {
  const { width, height, data } = image;
  const fx = Math.min(Math.max(x - 0.5, 0), width - 1);
  const fy = Math.min(Math.max(y - 0.5, 0), height - 1);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const tx = fx - x0;
  const ty = fy - y0;
  const i00 = (y0 * width + x0) * 4;
  const i10 = (y0 * width + x1) * 4;
  const i01 = (y1 * width + x0) * 4;
  const i11 = (y1 * width + x1) * 4;
  for (let c = 0; c < 4; c++) {
    const top = data[i00 + c] + (data[i10 + c] - data[i00 + c]) * tx;
    const bottom = data[i01 + c] + (data[i11 + c] - data[i01 + c]) * tx;
    out[offset + c] = top + (bottom - top) * ty; // Uint8ClampedArray rounds and clamps
  }
}

/**
 * Warps `source` so that each `sourcePoints[i]` lands on `targetPoints[i]`; the output has the
 * source's size. The border anchors put the whole frame inside the triangulation, so a pixel is
 * left uncovered only where a skipped near-zero-area triangle lay; such pixels keep the source's.
 */
export function warpPiecewiseAffine(source: RgbaImage, sourcePoints: Landmarks, targetPoints: Landmarks): RgbaImage {
  if (sourcePoints.length !== targetPoints.length) {
    throw new Error(
      `warpPiecewiseAffine: ${sourcePoints.length} source points but ${targetPoints.length} target points`,
    );
  }
  assertUsablePoints(sourcePoints, 'sourcePoints');
  assertUsablePoints(targetPoints, 'targetPoints');
  const { width, height } = source;
  const anchors = borderAnchors(width, height);
  const from = interleavedCoordinates(sourcePoints, anchors);
  const to = interleavedCoordinates(targetPoints, anchors);
  // Triangulating the target means every output pixel belongs to at most one triangle; coincident
  // target points are dropped by Delaunator, so they cannot produce zero-area triangles.
  const { triangles } = new Delaunator(to);

  const out = new Uint8ClampedArray(width * height * 4);
  const covered = new Uint8Array(width * height);
  for (let t = 0; t < triangles.length; t += 3) {
    const [a, b, c] = [triangles[t], triangles[t + 1], triangles[t + 2]];
    const ax = to[2 * a], ay = to[2 * a + 1];
    const bx = to[2 * b], by = to[2 * b + 1];
    const cx = to[2 * c], cy = to[2 * c + 1];
    const doubleArea = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
    if (Math.abs(doubleArea) < 2 * DEGENERATE_AREA) continue;

    // Pixel centres (i + 0.5) inside the triangle's bounding box, clipped to the frame.
    const minI = Math.max(0, Math.ceil(Math.min(ax, bx, cx) - 0.5));
    const maxI = Math.min(width - 1, Math.floor(Math.max(ax, bx, cx) - 0.5));
    const minJ = Math.max(0, Math.ceil(Math.min(ay, by, cy) - 0.5));
    const maxJ = Math.min(height - 1, Math.floor(Math.max(ay, by, cy) - 0.5));
    for (let j = minJ; j <= maxJ; j++) {
      const py = j + 0.5;
      for (let i = minI; i <= maxI; i++) {
        const px = i + 0.5;
        const wa = ((bx - px) * (cy - py) - (cx - px) * (by - py)) / doubleArea;
        const wb = ((cx - px) * (ay - py) - (ax - px) * (cy - py)) / doubleArea;
        const wc = 1 - wa - wb;
        if (wa < -EDGE_EPSILON || wb < -EDGE_EPSILON || wc < -EDGE_EPSILON) continue;
        const sx = wa * from[2 * a] + wb * from[2 * b] + wc * from[2 * c];
        const sy = wa * from[2 * a + 1] + wb * from[2 * b + 1] + wc * from[2 * c + 1];
        const pixel = j * width + i;
        sampleBilinear(source, sx, sy, out, pixel * 4);
        covered[pixel] = 1;
      }
    }
  }

  for (let pixel = 0; pixel < covered.length; pixel++) {
    if (!covered[pixel]) out.set(source.data.subarray(pixel * 4, pixel * 4 + 4), pixel * 4);
  }
  return { width, height, data: out };
}
