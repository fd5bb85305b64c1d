/**
 * Unit tests of the warp (warp.ts) on the committed real MediaPipe face: identity, rigid motions,
 * the mask, the choice of source, and the TF.js path against the plain-JS one (values and leaks).
 * Parity with the PyTorch twin on real frames is in warp-parity.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from '../nn/testing.ts';
import { loadRealFaceFixture } from './real-face-fixture.ts';
import type { Point, RgbaImage } from './types.ts';
import { WARP_MESH } from './warp-mesh.ts';
import {
  alignmentError,
  controlPoints,
  displace,
  heldSource,
  nearestSource,
  NUM_CONTROL_POINTS,
  OUTSIDE_SCORE,
  sampleBilinear,
  sampleBilinearPixels,
  similarityFit,
  warpGrid,
  warpImage,
  warpTensor,
} from './warp.ts';

const SIZE = 128;

/** A smooth ramp (red = 2x, green = 2y) with a small bright square at (60..63, 60..63). */
function testImage(size = SIZE): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const inSquare = x >= 60 && x < 64 && y >= 60 && y < 64;
      data[i] = inSquare ? 255 : 2 * x;
      data[i + 1] = inSquare ? 255 : 2 * y;
      data[i + 2] = inSquare ? 0 : (x * y) % 97;
      data[i + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}

/** The committed real MediaPipe face, framed like a face crop of side `size`. */
function realFace(size = SIZE): Point[] {
  const { landmarks } = loadRealFaceFixture();
  const xs = landmarks.map((p) => p.x);
  const ys = landmarks.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = (0.6 * size) / Math.max(maxX - minX, maxY - minY);
  return landmarks.map((p) => ({
    x: size / 2 + (p.x - (minX + maxX) / 2) * scale,
    y: size / 2 + (p.y - (minY + maxY) / 2) * scale,
    z: p.z,
  }));
}

/** Rotates by `degrees`, scales by `scale` about `centre`, then translates by (dx, dy). */
function similarity(points: readonly Point[], degrees: number, scale: number, dx: number, dy: number, centre = { x: 64, y: 64 }): Point[] {
  const c = Math.cos((degrees * Math.PI) / 180) * scale;
  const s = Math.sin((degrees * Math.PI) / 180) * scale;
  return points.map((p) => ({
    x: centre.x + c * (p.x - centre.x) - s * (p.y - centre.y) + dx,
    y: centre.y + s * (p.x - centre.x) + c * (p.y - centre.y) + dy,
    z: p.z,
  }));
}

/** Opens the mouth: every point below the lips' midline moves down, most under the mouth. */
function openMouth(points: readonly Point[], amount: number): Point[] {
  const [upper, lower, chin, forehead] = [points[13], points[14], points[152], points[10]];
  const midY = (upper.y + lower.y) / 2;
  const midX = (upper.x + lower.x) / 2;
  const height = chin.y - forehead.y;
  return points.map((p) => {
    const below = Math.min(1, Math.max(0, (p.y - midY) / (0.03 * height) + 0.5));
    const falloff = Math.exp(-(((p.x - midX) / (0.45 * height)) ** 2));
    return { ...p, y: p.y + amount * height * below * falloff };
  });
}

/**
 * warp.py's rule by brute force: every pixel scores every triangle (no bounding boxes), the largest
 * min(barycentric) wins, the first on ties; below OUTSIDE_SCORE the pixel maps to itself, mask 0.
 */
function bruteForceGrid(
  sourcePoints: readonly Point[],
  targetPoints: readonly Point[],
  size: number,
): { positions: Float32Array; mask: Float32Array; overlapping: number } {
  const src = controlPoints(sourcePoints, size);
  const dst = controlPoints(targetPoints, size);
  const at = (points: Float64Array, tri: readonly number[]) => tri.flatMap((v) => [points[2 * v], points[2 * v + 1]]);
  const triangles = WARP_MESH.triangles.flatMap((tri) => {
    const [ax, ay, bx, by, cx, cy] = at(dst, tri);
    const d = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    if (Math.abs(d) < 2e-9) return [];
    const [sax, say, sbx, sby, scx, scy] = at(src, tri);
    const ds = (sbx - sax) * (scy - say) - (sby - say) * (scx - sax);
    const ratio = Math.min(Math.abs(ds), Math.abs(d)) / Math.max(Math.abs(ds), Math.abs(d), 1e-30);
    return [
      {
        ka: [(bx * cy - by * cx) / d, (by - cy) / d, (cx - bx) / d],
        kb: [(cx * ay - cy * ax) / d, (cy - ay) / d, (ax - cx) / d],
        source: [sax, say, sbx, sby, scx, scy],
        confidence: ds * d > 0 ? ratio : 0,
      },
    ];
  });
  const positions = new Float32Array(2 * size * size);
  const mask = new Float32Array(size * size);
  let overlapping = 0;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const [px, py] = [i + 0.5, j + 0.5];
      let best = -Infinity;
      let winner = triangles[0];
      let inside = 0;
      for (const t of triangles) {
        const wa = t.ka[0] + t.ka[1] * px + t.ka[2] * py;
        const wb = t.kb[0] + t.kb[1] * px + t.kb[2] * py;
        const score = Math.min(wa, wb, 1 - wa - wb);
        if (score > 0) inside++;
        if (score > best) {
          best = score;
          winner = t;
        }
      }
      if (inside > 1) overlapping++;
      const p = j * size + i;
      if (best < OUTSIDE_SCORE) {
        positions[2 * p] = px;
        positions[2 * p + 1] = py;
        continue;
      }
      const wa = winner.ka[0] + winner.ka[1] * px + winner.ka[2] * py;
      const wb = winner.kb[0] + winner.kb[1] * px + winner.kb[2] * py;
      const wc = 1 - wa - wb;
      const [sax, say, sbx, sby, scx, scy] = winner.source;
      positions[2 * p] = wa * sax + wb * sbx + wc * scx;
      positions[2 * p + 1] = wa * say + wb * sby + wc * scy;
      mask[p] = winner.confidence;
    }
  }
  return { positions, mask, overlapping };
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('similarityFit and controlPoints', () => {
  it('recovers a similarity exactly', () => {
    const face = realFace();
    const moved = similarity(face, 12, 1.1, 3, -2);
    const fit = similarityFit(face, moved);
    const c = Math.cos((12 * Math.PI) / 180) * 1.1;
    const s = Math.sin((12 * Math.PI) / 180) * 1.1;
    expect(fit.a).toBeCloseTo(c, 10);
    expect(fit.b).toBeCloseTo(s, 10);
    expect(fit.tx).toBeCloseTo(64 - c * 64 + s * 64 + 3, 8);
    expect(fit.ty).toBeCloseTo(64 - s * 64 - c * 64 - 2, 8);
  });

  it('places landmarks, then the ring following the face, then the fixed border anchors', () => {
    const face = realFace();
    const points = controlPoints(face, SIZE);
    expect(points.length).toBe(2 * NUM_CONTROL_POINTS);
    expect([points[2 * 33], points[2 * 33 + 1]]).toEqual([face[33].x, face[33].y]);
    const anchors = Array.from(points.slice(-16));
    expect(anchors).toEqual([0, 0, 64, 0, 128, 0, 128, 64, 128, 128, 64, 128, 0, 128, 0, 64]);
    // The ring moves with the face: shifting the landmarks shifts it by the same amount.
    const shifted = controlPoints(similarity(face, 0, 1, 5, -3), SIZE);
    for (let k = 478; k < NUM_CONTROL_POINTS - 8; k++) {
      expect(shifted[2 * k] - points[2 * k]).toBeCloseTo(5, 9);
      expect(shifted[2 * k + 1] - points[2 * k + 1]).toBeCloseTo(-3, 9);
    }
  });

  it('rejects a wrong number of points and non-finite points', () => {
    const face = realFace();
    expect(() => warpGrid(face, face.slice(1), SIZE)).toThrow(/targetPoints has 477 points/);
    const broken = face.map((p, k) => (k === 7 ? { ...p, x: Number.NaN } : p));
    expect(() => warpGrid(broken, face, SIZE)).toThrow(/sourcePoints\[7\]/);
    expect(() => warpImage(testImage(), face, face.slice(2))).toThrow(/476 points/);
  });
});

describe('warpGrid / warpImage', () => {
  it('returns the source exactly, with mask 1 everywhere, when source and target points agree', () => {
    const source = testImage();
    const face = realFace();
    const { image, mask } = warpImage(source, face, face);
    expect(image.width).toBe(SIZE);
    expect(image.height).toBe(SIZE);
    expect(maxAbsDifference(image.data, source.data)).toBe(0);
    expect(Math.min(...mask)).toBe(1);
    const { positions } = warpGrid(face, face, SIZE);
    for (let p = 0; p < SIZE * SIZE; p++) {
      expect(positions[2 * p]).toBe((p % SIZE) + 0.5);
      expect(positions[2 * p + 1]).toBe(Math.floor(p / SIZE) + 0.5);
    }
  });

  it('moves a feature inside the face by a uniform landmark translation, mask ≈ 1 there', () => {
    const source = testImage();
    const face = realFace();
    const [dx, dy] = [5, -3];
    const { image, mask } = warpImage(source, face, similarity(face, 0, 1, dx, dy));
    for (let y = 60; y < 64; y++) {
      for (let x = 60; x < 64; x++) {
        const i = ((y + dy) * SIZE + (x + dx)) * 4;
        expect(Array.from(image.data.subarray(i, i + 3)), `(${x}, ${y})`).toEqual([255, 255, 0]);
        expect(mask[(y + dy) * SIZE + (x + dx)]).toBeCloseTo(1, 6);
      }
    }
    // Where the square was, the ramp that lay (dx, dy) up-left of it now shows.
    const i = (61 * SIZE + 61) * 4;
    expect(image.data[i]).toBe(2 * (61 - dx));
    expect(image.data[i + 1]).toBe(2 * (61 - dy));
  });

  it('maps pixels inside the face by the inverse of a similarity of all landmarks, mask = area ratio', () => {
    const source = testImage();
    const face = realFace();
    const [degrees, scale, dx, dy] = [10, 1.08, 2, 3];
    const target = similarity(face, degrees, scale, dx, dy);
    const { positions, mask } = warpGrid(face, target, SIZE);
    const { image } = warpImage(source, face, target);
    // Pixels around the nose and cheeks: well inside the landmarks, so every triangle there moved
    // rigidly by the similarity.
    const c = Math.cos((degrees * Math.PI) / 180) / scale;
    const s = Math.sin((degrees * Math.PI) / 180) / scale;
    for (const [i, j] of [
      [64, 64],
      [56, 60],
      [72, 58],
      [64, 74],
      [60, 52],
    ]) {
      const [qx, qy] = [i + 0.5 - 64 - dx, j + 0.5 - 64 - dy];
      const [ex, ey] = [64 + c * qx + s * qy, 64 - s * qx + c * qy];
      const p = j * SIZE + i;
      expect(positions[2 * p], `x at (${i}, ${j})`).toBeCloseTo(ex, 4);
      expect(positions[2 * p + 1], `y at (${i}, ${j})`).toBeCloseTo(ey, 4);
      // Rigid in shape, but each triangle's area grew by scale²: the mask is the area ratio.
      expect(mask[p]).toBeCloseTo(1 / scale ** 2, 6);
      // The ramp: red = 2 (x − 0.5), green = 2 (y − 0.5) away from the bright square.
      if (Math.abs(ex - 62) > 4 || Math.abs(ey - 62) > 4) {
        expect(Math.abs(image.data[4 * p] - 2 * (ex - 0.5))).toBeLessThanOrEqual(1);
        expect(Math.abs(image.data[4 * p + 1] - 2 * (ey - 0.5))).toBeLessThanOrEqual(1);
      }
    }
  });

  it('picks the same triangle per pixel as a brute-force search, also where the mesh folds', () => {
    const size = 64;
    const face = realFace(size);
    // The nose tip pushed far sideways and the mouth opened: triangles overlap and some flip.
    const target = openMouth(face, 0.1).map((p, k) => (k === 1 || k === 4 ? { ...p, x: p.x + 9, y: p.y + 4 } : p));
    const reference = bruteForceGrid(face, target, size);
    expect(reference.overlapping, 'the mesh folds somewhere').toBeGreaterThan(0);
    expect(Math.min(...reference.mask), 'some triangle flipped').toBe(0);
    const grid = warpGrid(face, target, size);
    expect(maxAbsDifference(grid.positions, reference.positions)).toBe(0);
    expect(maxAbsDifference(grid.mask, reference.mask)).toBe(0);
  });

  it('keeps the frame corners still and lowers the mask where the mouth opens', () => {
    const face = realFace();
    const target = openMouth(face, 0.12);
    const { positions, mask } = warpGrid(face, target, SIZE);
    // Corner pixel centres sit half a pixel from their anchor, in triangles whose other corners
    // (ring points) follow the face a little: they move by a fraction of a pixel at most.
    for (const p of [0, SIZE - 1, SIZE * (SIZE - 1), SIZE * SIZE - 1]) {
      expect(Math.abs(positions[2 * p] - ((p % SIZE) + 0.5))).toBeLessThan(0.5);
      expect(Math.abs(positions[2 * p + 1] - (Math.floor(p / SIZE) + 0.5))).toBeLessThan(0.5);
      expect(mask[p]).toBeGreaterThan(0.9);
    }
    // Between the parted lips the triangles stretched a lot.
    const lips = { x: (target[13].x + target[14].x) / 2, y: (target[13].y + target[14].y) / 2 };
    expect(mask[Math.floor(lips.y) * SIZE + Math.floor(lips.x)]).toBeLessThan(0.5);
    // The forehead did not move.
    expect(mask[Math.floor(face[151].y) * SIZE + Math.floor(face[151].x)]).toBe(1);
  });
});

describe('alignmentError / nearestSource', () => {
  it('prefers a similarity-transformed copy of the target over a different expression', () => {
    const face = realFace();
    const posed = similarity(face, -15, 0.9, 6, 4);
    const talking = openMouth(face, 0.08);
    const errors = alignmentError([talking, posed], face);
    expect(errors[1]).toBeLessThan(1e-12);
    expect(errors[0]).toBeGreaterThan(1e-4);
    expect(nearestSource([talking, posed], face)).toBe(1);
    expect(nearestSource([posed, talking], face)).toBe(0);
    // The first source wins ties.
    expect(nearestSource([posed, posed], face)).toBe(0);
    expect(nearestSource([], face)).toBe(-1);
  });

  it('holds the previous source unless another fits clearly better (heldSource)', () => {
    const face = realFace();
    const a = openMouth(face, 0.02);
    const b = openMouth(face, 0.022);
    const far = openMouth(face, 0.08);
    const [ea, eb] = alignmentError([a, b], face);
    expect(ea).toBeLessThan(eb); // a is nearest, b close behind
    expect(heldSource([a, b], face, -1)).toBe(0); // nothing held: the nearest
    expect(heldSource([a, b], face, 1)).toBe(1); // b held: a is better, but by less than the margin
    expect(heldSource([a, b], face, 1, 0)).toBe(0); // margin 0: plain nearest
    expect(heldSource([a, far], face, 1)).toBe(0); // a far worse held photo is left
    expect(heldSource([a, b], face, 5)).toBe(0); // an index out of range counts as none
    expect(heldSource([], face, 0)).toBe(-1);
  });
});

describe('warpTensor (TF.js, CPU backend)', () => {
  beforeAll(async () => {
    await useCpuBackend();
  });

  it('equals the plain-JS warp and leaks no tensor', () => {
    const source = testImage();
    const face = realFace();
    const target = openMouth(similarity(face, 7, 1.05, -3, 2), 0.1);
    const values = new Float32Array(SIZE * SIZE * 3);
    for (let p = 0; p < SIZE * SIZE; p++) {
      for (let c = 0; c < 3; c++) values[3 * p + c] = source.data[4 * p + c] / 127.5 - 1;
    }
    const before = tf.memory().numTensors;
    const input = tf.tensor4d(values, [1, SIZE, SIZE, 3]);
    const { warped, mask } = warpTensor(input, face, target);
    expect(warped.shape).toEqual([1, SIZE, SIZE, 3]);
    expect(mask.shape).toEqual([1, SIZE, SIZE, 1]);
    const grid = warpGrid(face, target, SIZE);
    const expected = sampleBilinearPixels(values, SIZE, 3, grid.positions);
    const actual = warped.dataSync();
    expect(maxAbsDifference(actual, expected)).toBeLessThan(1e-4);
    expect(maxAbsDifference(mask.dataSync(), grid.mask)).toBe(0);
    // The warp moved something (a no-op sampler would agree with itself, too).
    expect(maxAbsDifference(actual, values)).toBeGreaterThan(0.5);
    // The byte path agrees up to its rounding.
    const { image } = warpImage(source, face, target);
    let worst = 0;
    for (let p = 0; p < SIZE * SIZE; p++) {
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(image.data[4 * p + c] - (actual[3 * p + c] + 1) * 127.5));
    }
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
    tf.dispose([input, warped, mask]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("samples with four gathers (the GPU backends' path) as the JS loop does", () => {
    const face = realFace();
    const target = openMouth(similarity(face, -5, 0.95, 2, -1), 0.12);
    const values = Float32Array.from({ length: SIZE * SIZE * 3 }, (_, i) => Math.sin(i * 0.37));
    const input = tf.tensor4d(values, [1, SIZE, SIZE, 3]);
    const before = tf.memory().numTensors;
    const grid = warpGrid(face, target, SIZE);
    const gathered = sampleBilinear(input, grid.positions, SIZE);
    expect(maxAbsDifference(gathered.dataSync(), sampleBilinearPixels(values, SIZE, 3, grid.positions))).toBeLessThan(1e-5);
    gathered.dispose();
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
  });

  it("samples grids of another size (the mouth region's crop and paste) alike on both paths, and refuses non-square ones", () => {
    const values = Float32Array.from({ length: SIZE * SIZE * 3 }, (_, i) => Math.cos(i * 0.21));
    const input = tf.tensor4d(values, [1, SIZE, SIZE, 3]);
    const side = 7;
    const positions = Float32Array.from({ length: 2 * side * side }, (_, i) => ((i * 13.7) % (SIZE + 4)) - 2);
    const gathered = sampleBilinear(input, positions, SIZE);
    expect(gathered.shape).toEqual([1, side, side, 3]);
    const plain = sampleBilinearPixels(values, SIZE, 3, positions);
    expect(plain.length).toBe(side * side * 3);
    expect(maxAbsDifference(gathered.dataSync(), plain)).toBeLessThan(1e-5);
    expect(() => sampleBilinearPixels(values, SIZE, 3, new Float32Array(2 * 12))).toThrow(/do not make a square grid/);
    tf.dispose([input, gathered]);
  });

  it('rejects non-square or batched sources', () => {
    const face = realFace();
    const wide = tf.zeros([1, 8, 16, 3]) as tf.Tensor4D;
    expect(() => warpTensor(wide, face, face)).toThrow(/square/);
    wide.dispose();
  });
});

describe('displace (the learned flow, on the model backend)', () => {
  beforeAll(async () => {
    await useCpuBackend();
  });

  const size = 8;
  const image = () =>
    tf.tensor4d(
      Float32Array.from({ length: 2 * size * size * 3 }, (_, i) => Math.sin(i * 0.37) + (i % 5) * 0.1),
      [2, size, size, 3],
    );
  /** A constant flow of (fx, fy) crop units for image b = 0 and (−fx, −fy) for b = 1. */
  const constantFlow = (fx: number, fy: number) =>
    tf.tensor4d(
      Float32Array.from({ length: 2 * size * size * 2 }, (_, i) => (i % 2 === 0 ? fx : fy) * (i < size * size * 2 ? 1 : -1)),
      [2, size, size, 2],
    );

  it('returns the image for a zero flow and shifts it by whole pixels with edge clamping', () => {
    const img = image();
    const still = displace(img, tf.zeros([2, size, size, 2]) as tf.Tensor4D);
    expect(tf.max(tf.abs(tf.sub(still, img))).dataSync()[0]).toBeLessThan(1e-6);
    // One pixel right in x for image 0: pixel i reads i + 1 (the last column reads itself).
    const shifted = displace(img, constantFlow(1 / size, 0));
    const values = shifted.arraySync() as number[][][][];
    const source = img.arraySync() as number[][][][];
    for (let j = 0; j < size; j++) {
      for (let i = 0; i < size; i++) {
        expect(values[0][j][i][1]).toBeCloseTo(source[0][j][Math.min(i + 1, size - 1)][1], 5);
        // Image 1 moved the other way: pixel i reads i − 1 (the first column reads itself).
        expect(values[1][j][i][2]).toBeCloseTo(source[1][j][Math.max(i - 1, 0)][2], 5);
      }
    }
    tf.dispose([img, still, shifted]);
  });

  it('interpolates between pixels as sampleBilinearPixels and gives the flow the finite-difference gradient', () => {
    const img = image();
    const flow = tf.tensor4d(
      Float32Array.from({ length: 2 * size * size * 2 }, (_, i) => 0.06 * Math.sin(i * 1.3)),
      [2, size, size, 2],
    );
    // Reference: positions (pixel centres) moved by flow × size, sampled by the plain-JS sampler.
    const flowValues = flow.dataSync();
    const imgValues = img.dataSync();
    const got = displace(img, flow).dataSync();
    for (let b = 0; b < 2; b++) {
      const positions = new Float32Array(2 * size * size);
      for (let p = 0; p < size * size; p++) {
        positions[2 * p] = (p % size) + 0.5 + flowValues[2 * (b * size * size + p)] * size;
        positions[2 * p + 1] = Math.floor(p / size) + 0.5 + flowValues[2 * (b * size * size + p) + 1] * size;
      }
      const plain = sampleBilinearPixels(imgValues.subarray(b * size * size * 3, (b + 1) * size * size * 3), size, 3, positions);
      for (let k = 0; k < plain.length; k++) expect(got[b * size * size * 3 + k]).toBeCloseTo(plain[k], 5);
    }
    // d/dflow of Σ displace(img, flow) · w against central differences, at a few interior entries.
    const weights = tf.tensor4d(
      Float32Array.from({ length: 2 * size * size * 3 }, (_, i) => Math.cos(i * 0.71)),
      [2, size, size, 3],
    );
    const loss = (f: tf.Tensor) => tf.sum(tf.mul(displace(img, f as tf.Tensor4D), weights));
    const grad = tf.grad(loss)(flow).dataSync();
    expect(Array.from(grad).some((g) => Math.abs(g) > 1e-3)).toBe(true);
    for (const k of [2 * 27, 2 * 27 + 1, 2 * (64 + 36), 2 * (64 + 45) + 1]) {
      const eps = 1e-3;
      const at = (delta: number) => {
        const values = Float32Array.from(flowValues);
        values[k] += delta;
        return tf.tidy(() => loss(tf.tensor4d(values, [2, size, size, 2])).dataSync()[0]);
      };
      expect(grad[k]).toBeCloseTo((at(eps) - at(-eps)) / (2 * eps), 1);
    }
    tf.dispose([img, flow, weights]);
  });

  it('rejects a flow that does not fit the image', () => {
    const img = image();
    const flow = tf.zeros([2, size, size, 3]) as tf.Tensor4D;
    expect(() => displace(img, flow)).toThrow(/does not fit/);
    tf.dispose([img, flow]);
  });
});
