/**
 * Draws the paper's landmark image: coloured face contours (contours.ts) plus both irises on black.
 *
 * Pure TypeScript with no canvas, so the main thread, workers, Node tests and training tooling produce
 * bit-identical images; a canvas would differ between browsers and GPUs and break golden tests and the
 * train/run consistency of the generator's input.
 *
 * Anti-aliasing: each segment is a capsule (a line with round caps) of radius lineWidth/2. A pixel's
 * coverage is approximated from the distance d of its centre to the segment as clamp(r + 0.5 - d, 0, 1),
 * i.e. a one-pixel linear ramp at the edge. Within one part, coverage is the max over its segments, so
 * joints and overlapping segments are not drawn twice as bright. Parts are then composited in table
 * order with "over": colour = colour * (1 - coverage) + partColour * coverage.
 *
 * Coordinates: a point (x, y) is continuous pixel coordinates of the output image (pixel i covers
 * [i, i + 1), so its centre is i + 0.5), the same convention as the crop transform.
 */
import { CONTOUR_PARTS, IRIS_PARTS, PUPIL_COLOR, type Rgb } from './contours.ts';
import { isFinitePoint, squaredDistanceToSegment, type Vec2 } from './geometry.ts';
import { NUM_LANDMARKS, type Landmarks, type RgbaImage } from './types.ts';

export interface RasterizeOptions {
  /** Full line width in output pixels; default {@link defaultLineWidth}(size). */
  lineWidth?: number;
  /** Draw iris circles and pupil dots (gaze); default true. */
  drawIrises?: boolean;
}

/**
 * Line width scales with the image so the drawing looks the same at every resolution: 2 px at the
 * generator's 256 px (about what the paper's images show), never thinner than 1 px so small previews
 * and 64 px tests keep unbroken lines.
 */
export function defaultLineWidth(size: number): number {
  return Math.max(1, size / 128);
}

/**
 * Pupil dot radius: about one line width, so the dot reads as a dot rather than a line end, shrunk for
 * small irises to leave a dark gap before the ring (which starts at irisRadius - lineWidth / 2).
 */
function pupilRadius(irisRadius: number, lineWidth: number): number {
  return Math.max(lineWidth / 2, Math.min(lineWidth, 0.35 * irisRadius));
}

/** Per-part coverage buffer that remembers the rectangle it touched, so clearing and compositing stay local. */
class CoverageLayer {
  readonly coverage: Float32Array;
  minX = 0;
  minY = 0;
  maxX = -1;
  maxY = -1;

  constructor(readonly size: number) {
    this.coverage = new Float32Array(size * size);
  }

  clear(): void {
    for (let y = this.minY; y <= this.maxY; y++) this.coverage.fill(0, y * this.size + this.minX, y * this.size + this.maxX + 1);
    this.minX = this.minY = 0;
    this.maxX = this.maxY = -1;
  }

  /** Clamps a source-space box (with padding) to the image and grows the dirty rectangle; null if empty. */
  region(x0: number, y0: number, x1: number, y1: number): [number, number, number, number] | null {
    const ix0 = Math.max(0, Math.floor(x0));
    const iy0 = Math.max(0, Math.floor(y0));
    const ix1 = Math.min(this.size - 1, Math.ceil(x1));
    const iy1 = Math.min(this.size - 1, Math.ceil(y1));
    if (ix0 > ix1 || iy0 > iy1) return null;
    if (this.maxX < this.minX) {
      this.minX = ix0;
      this.minY = iy0;
      this.maxX = ix1;
      this.maxY = iy1;
    } else {
      this.minX = Math.min(this.minX, ix0);
      this.minY = Math.min(this.minY, iy0);
      this.maxX = Math.max(this.maxX, ix1);
      this.maxY = Math.max(this.maxY, iy1);
    }
    return [ix0, iy0, ix1, iy1];
  }

  stampSegment(a: Vec2, b: Vec2, radius: number): void {
    const reach = radius + 0.5;
    const box = this.region(Math.min(a.x, b.x) - reach, Math.min(a.y, b.y) - reach, Math.max(a.x, b.x) + reach, Math.max(a.y, b.y) + reach);
    if (!box) return;
    const [x0, y0, x1, y1] = box;
    const reachSquared = reach * reach;
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5;
      for (let x = x0; x <= x1; x++) {
        const d2 = squaredDistanceToSegment(x + 0.5, py, a.x, a.y, b.x, b.y);
        if (d2 >= reachSquared) continue;
        this.maxInto(y * this.size + x, reach - Math.sqrt(d2));
      }
    }
  }

  /** A circle outline of the given radius whose stroke has half-width `halfWidth`. */
  stampRing(center: Vec2, ringRadius: number, halfWidth: number): void {
    const reach = ringRadius + halfWidth + 0.5;
    const box = this.region(center.x - reach, center.y - reach, center.x + reach, center.y + reach);
    if (!box) return;
    const [x0, y0, x1, y1] = box;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = Math.hypot(x + 0.5 - center.x, y + 0.5 - center.y);
        this.maxInto(y * this.size + x, halfWidth + 0.5 - Math.abs(d - ringRadius));
      }
    }
  }

  stampDisc(center: Vec2, radius: number): void {
    this.stampSegment(center, center, radius);
  }

  private maxInto(index: number, value: number): void {
    const v = value > 1 ? 1 : value;
    if (v > this.coverage[index]) this.coverage[index] = v;
  }

  /** Composites this layer "over" an RGB float accumulator in the given colour. */
  compositeOver(rgb: Float32Array, color: Rgb): void {
    for (let y = this.minY; y <= this.maxY; y++) {
      for (let x = this.minX; x <= this.maxX; x++) {
        const i = y * this.size + x;
        const c = this.coverage[i];
        if (c <= 0) continue;
        const j = i * 3;
        rgb[j] += (color[0] - rgb[j]) * c;
        rgb[j + 1] += (color[1] - rgb[j + 1]) * c;
        rgb[j + 2] += (color[2] - rgb[j + 2]) * c;
      }
    }
  }
}

function drawPolyline(layer: CoverageLayer, points: Landmarks, indices: readonly number[], closed: boolean, radius: number): void {
  const count = closed ? indices.length : indices.length - 1;
  for (let k = 0; k < count; k++) {
    const a = points[indices[k]];
    const b = points[indices[(k + 1) % indices.length]];
    // A lost point (NaN) breaks the line there rather than dragging it to the origin.
    if (isFinitePoint(a) && isFinitePoint(b)) layer.stampSegment(a, b, radius);
  }
}

function irisRadius(points: Landmarks, center: Vec2, ring: readonly number[]): number {
  let sum = 0;
  for (const index of ring) sum += Math.hypot(points[index].x - center.x, points[index].y - center.y);
  return sum / ring.length;
}

/** Renders the landmark image of `points` (already in this image's pixel coordinates) at size x size. */
export function rasterizeLandmarks(points: Landmarks, size: number, options: RasterizeOptions = {}): RgbaImage {
  if (!Number.isInteger(size) || size <= 0) throw new Error(`rasterizeLandmarks: size must be a positive integer, got ${size}`);
  if (points.length < NUM_LANDMARKS) {
    throw new Error(`rasterizeLandmarks: need ${NUM_LANDMARKS} MediaPipe landmarks, got ${points.length}`);
  }
  const lineWidth = options.lineWidth ?? defaultLineWidth(size);
  const radius = lineWidth / 2;
  const rgb = new Float32Array(size * size * 3);
  const layer = new CoverageLayer(size);

  for (const part of CONTOUR_PARTS) {
    drawPolyline(layer, points, part.indices, part.closed, radius);
    layer.compositeOver(rgb, part.color);
    layer.clear();
  }

  if (options.drawIrises ?? true) {
    for (const iris of IRIS_PARTS) {
      const center = points[iris.center];
      if (!isFinitePoint(center) || !iris.ring.every((i) => isFinitePoint(points[i]))) continue;
      const r = irisRadius(points, center, iris.ring);
      layer.stampRing(center, r, radius);
      layer.compositeOver(rgb, iris.ringColor);
      layer.clear();
      layer.stampDisc(center, pupilRadius(r, lineWidth));
      layer.compositeOver(rgb, PUPIL_COLOR);
      layer.clear();
    }
  }

  const data = new Uint8ClampedArray(size * size * 4);
  for (let i = 0, j = 0; i < size * size; i++, j += 3) {
    // Rounding here (not truncation) keeps a full-coverage pixel exactly at the part colour.
    data[i * 4] = Math.round(rgb[j]);
    data[i * 4 + 1] = Math.round(rgb[j + 1]);
    data[i * 4 + 2] = Math.round(rgb[j + 2]);
    data[i * 4 + 3] = 255;
  }
  return { width: size, height: size, data };
}
