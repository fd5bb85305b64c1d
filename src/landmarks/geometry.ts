/** Small 2-D geometry helpers shared by the rasterizer, the crop, the detector, the landmark adaptation and rescaling. */
import type { Point } from './types.ts';

export interface Vec2 {
  x: number;
  y: number;
}

export function distance(a: Vec2, b: Vec2): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

export function midpoint(a: Vec2, b: Vec2): Vec2 {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

export function isFinitePoint(p: Vec2 | undefined): p is Vec2 {
  return p !== undefined && Number.isFinite(p.x) && Number.isFinite(p.y);
}

/** Squared distance from (px, py) to the segment a-b; a degenerate segment is a point. */
export function squaredDistanceToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const lengthSquared = dx * dx + dy * dy;
  let t = lengthSquared > 0 ? ((px - ax) * dx + (py - ay) * dy) / lengthSquared : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = px - (ax + t * dx);
  const ey = py - (ay + t * dy);
  return ex * ex + ey * ey;
}

export function centroid(points: readonly Vec2[]): Vec2 {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / points.length, y: y / points.length };
}

/** Points in a square of side `fromSize` moved to one of side `toSize`; z scales like x. */
export function scalePoints(points: readonly Point[], fromSize: number, toSize: number): readonly Point[] {
  if (fromSize === toSize) return points;
  const s = toSize / fromSize;
  return points.map((p) => ({ x: p.x * s, y: p.y * s, z: p.z * s }));
}

export interface BoundingBox {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Bounding box of the finite points; throws when there are none, since every caller needs a face. */
export function boundingBox(points: readonly Vec2[]): BoundingBox {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    if (!isFinitePoint(p)) continue;
    if (p.x < minX) minX = p.x;
    if (p.x > maxX) maxX = p.x;
    if (p.y < minY) minY = p.y;
    if (p.y > maxY) maxY = p.y;
  }
  if (minX > maxX) throw new Error('boundingBox: no finite points');
  return { minX, minY, maxX, maxY };
}

/**
 * A 2-D similarity transform p -> scale * R(rotation) * p + translation, stored as the matrix
 * [[a, -b], [b, a]] with a = scale*cos, b = scale*sin, which keeps composition and inversion exact.
 */
export interface Similarity2D {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

export function similarityScale(t: Similarity2D): number {
  return Math.hypot(t.a, t.b);
}

export function similarityRotation(t: Similarity2D): number {
  return Math.atan2(t.b, t.a);
}

export function applySimilarity(t: Similarity2D, p: Vec2): Vec2 {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

export function invertSimilarity(t: Similarity2D): Similarity2D {
  const d = t.a * t.a + t.b * t.b;
  const a = t.a / d;
  const b = -t.b / d;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/**
 * Least-squares similarity mapping `from` onto `to` (Umeyama 1991, restricted to 2-D without
 * reflection): minimises sum |to_i - (s R from_i + t)|^2. The closed form comes from the centred
 * cross-covariance, so no SVD is needed in 2-D.
 */
export function fitSimilarity(from: readonly Vec2[], to: readonly Vec2[]): Similarity2D {
  if (from.length !== to.length || from.length < 2) {
    throw new Error(`fitSimilarity: need two equally long lists of >= 2 points (got ${from.length}, ${to.length})`);
  }
  const cf = centroid(from);
  const ct = centroid(to);
  let dot = 0;
  let cross = 0;
  let variance = 0;
  for (let i = 0; i < from.length; i++) {
    const fx = from[i].x - cf.x;
    const fy = from[i].y - cf.y;
    const tx = to[i].x - ct.x;
    const ty = to[i].y - ct.y;
    dot += fx * tx + fy * ty;
    cross += fx * ty - fy * tx;
    variance += fx * fx + fy * fy;
  }
  if (variance === 0) throw new Error('fitSimilarity: source points are all identical');
  const a = dot / variance;
  const b = cross / variance;
  return { a, b, tx: ct.x - (a * cf.x - b * cf.y), ty: ct.y - (b * cf.x + a * cf.y) };
}

/** Rotates (and scales, when given) a point about a centre; z is left alone. */
export function rotatePointAbout(p: Point, center: Vec2, radians: number, scale = 1): Point {
  const c = Math.cos(radians) * scale;
  const s = Math.sin(radians) * scale;
  const dx = p.x - center.x;
  const dy = p.y - center.y;
  return { x: center.x + c * dx - s * dy, y: center.y + s * dx + c * dy, z: p.z };
}
