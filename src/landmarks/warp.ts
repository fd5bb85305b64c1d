/**
 * The warp of warp-guided avatars: moves a source face crop so that its 478 landmarks land on a
 * target's, one affine map per triangle of the fixed mesh in warp-mesh.json. This is the TypeScript
 * twin of train/talking_heads/warp.py, whose docstring is the definition; in short (crop pixels,
 * pixel (i, j) centred on (i + 0.5, j + 0.5), only x and y of each landmark):
 *
 * 1. Control points of a frame of side S: its 478 landmarks, the ring template (× S) placed by the
 *    least-squares similarity of the canonical face (× S) onto the landmarks, the 8 border anchors (× S).
 * 2. Each output pixel centre takes the mesh triangle (target vertices) with the largest
 *    min(barycentric weight), the first in mesh order on ties; triangles with |double area| < 2e-9 are
 *    skipped; a pixel whose best score is below −1e-6 lies in no triangle and maps to itself.
 * 3. Its source position is the same barycentric combination of the source vertices; the colour is a
 *    bilinear sample there, clamped to the edge pixels (grid_sample, align_corners=False, border).
 * 4. The mask is the triangle's area ratio min(|dS|, |dT|) / max(|dS|, |dT|) when source and target
 *    triangles have the same orientation, else 0 (and 0 outside every triangle).
 *
 * Geometry is float64 JS math, looping over triangles and their pixel bounding boxes (a few ms at
 * 256 px, so it runs per driving frame in a worker). Images are sampled either in plain JS (warpImage,
 * for evaluation and tests) or on the model's TF.js backend (warpTensor: only gather, mul and add, so
 * every backend has the kernels). alignmentError / nearestSource pick the source photo whose
 * landmarks a similarity maps closest onto a target's, as warp.py's alignment_error / nearest_source.
 */
import * as tf from '@tensorflow/tfjs';
import type { Similarity2D, Vec2 } from './geometry.ts';
import { NUM_LANDMARKS, type Landmarks, type RgbaImage } from './types.ts';
import { BORDER_ANCHORS, WARP_MESH } from './warp-mesh.ts';
import { tensorsInCpuMemory } from '../nn/backend.ts';

/** Target triangles with a smaller |signed double area| (px²) are skipped, as in warp.py. */
export const DEGENERATE_DOUBLE_AREA = 2e-9;
/** A pixel whose best min(barycentric) is below this lies in no triangle. */
export const OUTSIDE_SCORE = -1e-6;

/** Points the warp reads: only x and y are used (Landmarks fit). */
export type WarpPoints = readonly Vec2[];

/** Where each output pixel samples the source and how much the warp can be trusted there. */
export interface WarpGrid {
  /** S × S × 2: x, y in source crop pixels, row-major (pixel (i, j) at 2 (j S + i)). */
  positions: Float32Array;
  /** S × S: area-ratio confidence in [0, 1]; 0 outside every triangle and where a triangle flipped. */
  mask: Float32Array;
}

const RING_COUNT = WARP_MESH.ring.length;
/** Control points per frame: landmarks, ring, border anchors. */
export const NUM_CONTROL_POINTS = NUM_LANDMARKS + RING_COUNT + BORDER_ANCHORS.length;
const CANONICAL: readonly Vec2[] = WARP_MESH.canonical.map(([x, y]) => ({ x, y }));
const TRIANGLES = Int32Array.from(WARP_MESH.triangles.flat());
const NUM_TRIANGLES = WARP_MESH.triangles.length;

/**
 * Least-squares similarity dst ≈ s R src + t (scale, rotation, translation; no reflection), the
 * closed form of warp.py's similarity_fit: with centred points, a = Σ(s·d) / Σ|s|², b = Σ(s × d) / Σ|s|²
 * (the denominator clamped to ≥ 1e-12, so identical points give the pure translation).
 */
export function similarityFit(src: WarpPoints, dst: WarpPoints): Similarity2D {
  if (src.length !== dst.length || src.length === 0) {
    throw new Error(`similarityFit: need two equally long, non-empty point lists (got ${src.length}, ${dst.length})`);
  }
  const n = src.length;
  let msx = 0,
    msy = 0,
    mdx = 0,
    mdy = 0;
  for (let i = 0; i < n; i++) {
    msx += src[i].x;
    msy += src[i].y;
    mdx += dst[i].x;
    mdy += dst[i].y;
  }
  msx /= n;
  msy /= n;
  mdx /= n;
  mdy /= n;
  let norm = 0,
    dot = 0,
    cross = 0;
  for (let i = 0; i < n; i++) {
    const sx = src[i].x - msx,
      sy = src[i].y - msy;
    const dx = dst[i].x - mdx,
      dy = dst[i].y - mdy;
    norm += sx * sx + sy * sy;
    dot += sx * dx + sy * dy;
    cross += sx * dy - sy * dx;
  }
  norm = Math.max(norm, 1e-12);
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: mdx - (a * msx - b * msy), ty: mdy - (b * msx + a * msy) };
}

function assertLandmarks(points: WarpPoints, name: string): void {
  if (points.length !== NUM_LANDMARKS) {
    throw new Error(`warp: ${name} has ${points.length} points, the mesh needs ${NUM_LANDMARKS} landmarks`);
  }
  points.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new Error(`warp: ${name}[${i}] is not a finite point (${p.x}, ${p.y})`);
    }
  });
}

/**
 * The control points of a frame of side `size` (crop pixels): its 478 landmarks, the mesh's ring
 * moved by the similarity of canonical × size onto the landmarks, the border anchors × size.
 * Returned interleaved (x0, y0, x1, y1, …), NUM_CONTROL_POINTS points, in mesh vertex order.
 */
export function controlPoints(landmarks: WarpPoints, size: number): Float64Array {
  assertLandmarks(landmarks, 'landmarks');
  const out = new Float64Array(2 * NUM_CONTROL_POINTS);
  for (let i = 0; i < NUM_LANDMARKS; i++) {
    out[2 * i] = landmarks[i].x;
    out[2 * i + 1] = landmarks[i].y;
  }
  const fit = similarityFit(
    CANONICAL.map((p) => ({ x: p.x * size, y: p.y * size })),
    landmarks,
  );
  WARP_MESH.ring.forEach(([rx, ry], k) => {
    const x = rx * size,
      y = ry * size;
    out[2 * (NUM_LANDMARKS + k)] = fit.a * x - fit.b * y + fit.tx;
    out[2 * (NUM_LANDMARKS + k) + 1] = fit.b * x + fit.a * y + fit.ty;
  });
  BORDER_ANCHORS.forEach(([ax, ay], k) => {
    out[2 * (NUM_LANDMARKS + RING_COUNT + k)] = ax * size;
    out[2 * (NUM_LANDMARKS + RING_COUNT + k) + 1] = ay * size;
  });
  return out;
}

/**
 * The warp's sampling grid for a square crop of side `size`: where each output pixel reads the source
 * (whose landmarks are `sourcePoints`) so that the source's landmarks land on `targetPoints`, and the
 * mask. Implements warp.py's warp_grid rule exactly, in float64 (warp.py searches in float32, so
 * a pixel centre on a shared edge may pick the neighbouring triangle: same position, maybe another mask).
 */
export function warpGrid(sourcePoints: WarpPoints, targetPoints: WarpPoints, size: number): WarpGrid {
  if (!Number.isInteger(size) || size <= 0) throw new Error(`warpGrid: size must be a positive integer, got ${size}`);
  assertLandmarks(sourcePoints, 'sourcePoints');
  assertLandmarks(targetPoints, 'targetPoints');
  const src = controlPoints(sourcePoints, size);
  const dst = controlPoints(targetPoints, size);
  const pixels = size * size;
  const bestScore = new Float64Array(pixels).fill(-Infinity);
  const bestTri = new Int32Array(pixels).fill(-1);
  // Per triangle: wa = ka0 + ka1 px + ka2 py, wb likewise (warp.py's ka, kb), and the confidence.
  const coef = new Float64Array(NUM_TRIANGLES * 6);
  const confidence = new Float64Array(NUM_TRIANGLES);

  for (let t = 0; t < NUM_TRIANGLES; t++) {
    const ia = TRIANGLES[3 * t],
      ib = TRIANGLES[3 * t + 1],
      ic = TRIANGLES[3 * t + 2];
    const ax = dst[2 * ia],
      ay = dst[2 * ia + 1];
    const bx = dst[2 * ib],
      by = dst[2 * ib + 1];
    const cx = dst[2 * ic],
      cy = dst[2 * ic + 1];
    const d = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    if (!(Math.abs(d) >= DEGENERATE_DOUBLE_AREA)) continue;
    const sax = src[2 * ia],
      say = src[2 * ia + 1];
    const ds = (src[2 * ib] - sax) * (src[2 * ic + 1] - say) - (src[2 * ib + 1] - say) * (src[2 * ic] - sax);
    const ratio = Math.min(Math.abs(ds), Math.abs(d)) / Math.max(Math.abs(ds), Math.abs(d), 1e-30);
    confidence[t] = ds * d > 0 ? ratio : 0;
    const ka0 = (bx * cy - by * cx) / d,
      ka1 = (by - cy) / d,
      ka2 = (cx - bx) / d;
    const kb0 = (cx * ay - cy * ax) / d,
      kb1 = (cy - ay) / d,
      kb2 = (ax - cx) / d;
    coef.set([ka0, ka1, ka2, kb0, kb1, kb2], 6 * t);

    // Pixel centres in the bounding box, widened by how far outside a point can lie and still score
    // ≥ OUTSIDE_SCORE: |score| times the triangle's largest altitude, which is below its box's w + h.
    const minX = Math.min(ax, bx, cx),
      maxX = Math.max(ax, bx, cx);
    const minY = Math.min(ay, by, cy),
      maxY = Math.max(ay, by, cy);
    const margin = -OUTSIDE_SCORE * (maxX - minX + maxY - minY) + 1e-9;
    const minI = Math.max(0, Math.ceil(minX - margin - 0.5));
    const maxI = Math.min(size - 1, Math.floor(maxX + margin - 0.5));
    const minJ = Math.max(0, Math.ceil(minY - margin - 0.5));
    const maxJ = Math.min(size - 1, Math.floor(maxY + margin - 0.5));
    for (let j = minJ; j <= maxJ; j++) {
      const py = j + 0.5;
      let pixel = j * size + minI;
      for (let i = minI; i <= maxI; i++, pixel++) {
        const px = i + 0.5;
        // Evaluated as below and in warp.py (k0 + kx px + ky py), so the search's winner is exact.
        const wa = ka0 + ka1 * px + ka2 * py;
        const wb = kb0 + kb1 * px + kb2 * py;
        const wc = 1 - wa - wb;
        const score = wa < wb ? (wa < wc ? wa : wc) : wb < wc ? wb : wc;
        // Strictly greater: the first triangle in mesh order wins ties.
        if (score >= OUTSIDE_SCORE && score > bestScore[pixel]) {
          bestScore[pixel] = score;
          bestTri[pixel] = t;
        }
      }
    }
  }

  const positions = new Float32Array(2 * pixels);
  const mask = new Float32Array(pixels);
  for (let j = 0, pixel = 0; j < size; j++) {
    const py = j + 0.5;
    for (let i = 0; i < size; i++, pixel++) {
      const px = i + 0.5;
      const t = bestTri[pixel];
      if (t < 0) {
        positions[2 * pixel] = px;
        positions[2 * pixel + 1] = py;
        continue;
      }
      // The winner's weights, evaluated as warp.py does (k0 + kx px + ky py, in float64).
      const o = 6 * t;
      const wa = coef[o] + coef[o + 1] * px + coef[o + 2] * py;
      const wb = coef[o + 3] + coef[o + 4] * px + coef[o + 5] * py;
      const wc = 1 - wa - wb;
      const ia = TRIANGLES[3 * t],
        ib = TRIANGLES[3 * t + 1],
        ic = TRIANGLES[3 * t + 2];
      positions[2 * pixel] = wa * src[2 * ia] + wb * src[2 * ib] + wc * src[2 * ic];
      positions[2 * pixel + 1] = wa * src[2 * ia + 1] + wb * src[2 * ib + 1] + wc * src[2 * ic + 1];
      mask[pixel] = confidence[t];
    }
  }
  return { positions, mask };
}

/** Pixels of the square grid that `positions` (x, y per pixel) describe; throws when it is not square. */
export function gridPixels(positions: Float32Array): number {
  const side = Math.round(Math.sqrt(positions.length / 2));
  if (2 * side * side !== positions.length) {
    throw new Error(`warp: ${positions.length} position values do not make a square grid (need 2·n² values)`);
  }
  return side * side;
}

/** Per output pixel, the four neighbours (flat pixel indices) and bilinear weights of its sample. */
interface BilinearTaps {
  index: [Int32Array, Int32Array, Int32Array, Int32Array];
  weight: [Float32Array, Float32Array, Float32Array, Float32Array];
}

/**
 * Bilinear taps at crop-pixel positions, clamped to the edge pixels: the sample at (x, y) reads the
 * pixel grid at (x − 0.5, y − 0.5) clamped to [0, S − 1], as torch's grid_sample with
 * align_corners=False and padding_mode="border". The positions make a square grid of any side (a
 * warp's: S; the mouth region's crop and paste: another).
 */
function bilinearTaps(positions: Float32Array, size: number): BilinearTaps {
  const pixels = gridPixels(positions);
  const index: BilinearTaps['index'] = [0, 1, 2, 3].map(() => new Int32Array(pixels)) as BilinearTaps['index'];
  const weight: BilinearTaps['weight'] = [0, 1, 2, 3].map(() => new Float32Array(pixels)) as BilinearTaps['weight'];
  const last = size - 1;
  for (let p = 0; p < pixels; p++) {
    const fx = Math.min(Math.max(positions[2 * p] - 0.5, 0), last);
    const fy = Math.min(Math.max(positions[2 * p + 1] - 0.5, 0), last);
    const x0 = Math.floor(fx),
      y0 = Math.floor(fy);
    const x1 = Math.min(x0 + 1, last),
      y1 = Math.min(y0 + 1, last);
    const tx = fx - x0,
      ty = fy - y0;
    index[0][p] = y0 * size + x0;
    index[1][p] = y0 * size + x1;
    index[2][p] = y1 * size + x0;
    index[3][p] = y1 * size + x1;
    weight[0][p] = (1 - tx) * (1 - ty);
    weight[1][p] = tx * (1 - ty);
    weight[2][p] = (1 - tx) * ty;
    weight[3][p] = tx * ty;
  }
  return { index, weight };
}

/**
 * Plain-JS bilinear sampling of a square, channel-interleaved S × S × C image at crop-pixel
 * `positions` (a WarpGrid's, or any square grid's), edge-clamped; the reference the TF.js path is
 * tested against.
 */
export function sampleBilinearPixels(values: ArrayLike<number>, size: number, channels: number, positions: Float32Array): Float32Array {
  if (values.length !== size * size * channels) {
    throw new Error(`sampleBilinearPixels: ${values.length} values for ${size}×${size}×${channels}`);
  }
  const pixels = gridPixels(positions);
  // bilinearTaps's arithmetic inline (weights rounded to float32 as it stores them), without its arrays.
  const out = new Float32Array(pixels * channels);
  const last = size - 1;
  for (let p = 0; p < pixels; p++) {
    const fx = Math.min(Math.max(positions[2 * p] - 0.5, 0), last);
    const fy = Math.min(Math.max(positions[2 * p + 1] - 0.5, 0), last);
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const x1 = Math.min(x0 + 1, last);
    const y1 = Math.min(y0 + 1, last);
    const tx = fx - x0;
    const ty = fy - y0;
    const w00 = Math.fround((1 - tx) * (1 - ty));
    const w10 = Math.fround(tx * (1 - ty));
    const w01 = Math.fround((1 - tx) * ty);
    const w11 = Math.fround(tx * ty);
    const i00 = (y0 * size + x0) * channels;
    const i10 = (y0 * size + x1) * channels;
    const i01 = (y1 * size + x0) * channels;
    const i11 = (y1 * size + x1) * channels;
    for (let c = 0; c < channels; c++) {
      out[p * channels + c] = values[i00 + c] * w00 + values[i10 + c] * w10 + values[i01 + c] * w01 + values[i11 + c] * w11;
    }
  }
  return out;
}

/**
 * Warps a square RGBA crop so that `sourcePoints` land on `targetPoints` (all four channels,
 * bilinear, rounded to bytes); the output has the source's size. Pixels outside every triangle
 * keep the source's (mask 0 there).
 */
export function warpImage(source: RgbaImage, sourcePoints: WarpPoints, targetPoints: WarpPoints): { image: RgbaImage; mask: Float32Array } {
  const { width, height } = source;
  if (width !== height) throw new Error(`warpImage: the source must be square, got ${width}×${height}`);
  if (source.data.length !== width * height * 4) {
    throw new Error(`warpImage: expected ${width * height * 4} RGBA bytes, got ${source.data.length}`);
  }
  const grid = warpGrid(sourcePoints, targetPoints, width);
  const data = new Uint8ClampedArray(sampleBilinearPixels(source.data, width, 4, grid.positions)); // rounds and clamps
  return { image: { width, height, data }, mask: grid.mask };
}

/**
 * Bilinear samples of `image` [1, S, S, C] at crop-pixel `positions` (a WarpGrid's, or any square
 * grid's: the output has its side), edge-clamped, on the image's backend: four gathers on the
 * flattened image, weighted and summed. The taps are computed in JS from the grid; no tensor is left
 * behind but the result.
 */
export function sampleBilinear(image: tf.Tensor4D, positions: Float32Array, size: number): tf.Tensor4D {
  const [batch, height, width, channels] = image.shape;
  if (batch !== 1 || height !== size || width !== size) {
    throw new Error(`sampleBilinear: expected an image of shape [1, ${size}, ${size}, C], got [${image.shape.join(', ')}]`);
  }
  const { index, weight } = bilinearTaps(positions, size);
  const pixels = index[0].length;
  const side = Math.round(Math.sqrt(pixels));
  return tf.tidy(() => {
    const flat = tf.reshape(image, [size * size, channels]);
    let sum: tf.Tensor | null = null;
    for (let k = 0; k < 4; k++) {
      const term = tf.mul(tf.gather(flat, tf.tensor1d(index[k], 'int32')), tf.tensor2d(weight[k], [pixels, 1]));
      sum = sum === null ? term : tf.add(sum, term);
    }
    return tf.reshape(sum!, [1, side, side, channels]);
  });
}

/**
 * The warp on the model's backend: `source` [1, S, S, C] (images in [-1, 1], C = 3 for the networks)
 * warped so that `sourcePoints` land on `targetPoints`, and the mask [1, S, S, 1]. The caller owns
 * (and disposes) both tensors. On a GPU backend the samples are four gathers there
 * (`sampleBilinear`); on WASM and the CPU, whose tensors are in CPU memory anyway, one JS loop over
 * the pixels (`sampleBilinearPixels`, in the model worker: about 2 ms at 256 px here against 25 ms of
 * gathers on WASM). Both give the same values (warp.test.ts).
 */
export function warpTensor(
  source: tf.Tensor4D,
  sourcePoints: WarpPoints,
  targetPoints: WarpPoints,
): { warped: tf.Tensor4D; mask: tf.Tensor4D } {
  const [batch, height, width] = source.shape;
  if (batch !== 1 || height !== width) {
    throw new Error(`warpTensor: expected a square source of shape [1, S, S, C], got [${source.shape.join(', ')}]`);
  }
  const grid = warpGrid(sourcePoints, targetPoints, width);
  const warped = sampleWarpGrid(source, grid.positions);
  const mask = tf.tensor4d(grid.mask, [1, width, width, 1]);
  return { warped, mask };
}

/**
 * A square source [1, S, S, C] sampled at a WarpGrid's positions, on the model's backend as the app
 * does it: one JS loop where tensors live in CPU memory (WASM, CPU), four gathers on a GPU.
 */
export function sampleWarpGrid(source: tf.Tensor4D, positions: Float32Array): tf.Tensor4D {
  const [, , width, channels] = source.shape;
  const side = Math.round(Math.sqrt(gridPixels(positions)));
  return tensorsInCpuMemory()
    ? tf.tensor4d(sampleBilinearPixels(source.dataSync(), width, channels, positions), [1, side, side, channels])
    : sampleBilinear(source, positions, width);
}

/**
 * `image` [B, S, S, C] resampled at p + flow(p) for `flow` [B, S, S, 2] (x, y in crop units: 1 is the
 * crop's side), bilinear and edge-clamped as sampleBilinear, on the tensors' backend (a warp-guided
 * G's learned flow, generator.flow; warp.py's displace). Pixel (i, j) reads the pixel grid at
 * (i + S·flow_x, j + S·flow_y), clamped to [0, S − 1]. Differentiable in the flow, as torch's
 * grid_sample (no gradient where a coordinate is clamped); the image is G's input, a constant here
 * (its gradient is zero). A custom gradient: tf.js cannot differentiate through gather's int32
 * indices computed from the flow.
 */
export function displace(image: tf.Tensor4D, flow: tf.Tensor4D): tf.Tensor4D {
  const [batch, size, width, channels] = image.shape;
  if (size !== width || !tf.util.arraysEqual(flow.shape, [batch, size, size, 2])) {
    throw new Error(`displace: flow [${flow.shape.join(', ')}] does not fit image [${image.shape.join(', ')}]`);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [img, offsets, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const last = size - 1;
    const centres = tf.range(0, size, 1, 'float32');
    const [flowX, flowY] = tf.split(tf.mul(offsets, size), 2, 3);
    const rawX = tf.add(tf.reshape(flowX, [batch, size, size, 1]), tf.reshape(centres, [1, 1, size, 1]));
    const rawY = tf.add(tf.reshape(flowY, [batch, size, size, 1]), tf.reshape(centres, [1, size, 1, 1]));
    const fx = tf.clipByValue(rawX, 0, last);
    const fy = tf.clipByValue(rawY, 0, last);
    const x0 = tf.floor(fx);
    const y0 = tf.floor(fy);
    const tx = tf.sub(fx, x0);
    const ty = tf.sub(fy, y0);
    const x1 = tf.minimum(tf.add(x0, 1), last);
    const y1 = tf.minimum(tf.add(y0, 1), last);
    // Row offsets of each image in the flattened batch.
    const base = tf.reshape(tf.mul(tf.range(0, batch, 1, 'float32'), size * size), [batch, 1, 1, 1]);
    const flat = tf.reshape(img, [batch * size * size, channels]);
    const tap = (y: tf.Tensor, x: tf.Tensor) =>
      tf.reshape(tf.gather(flat, tf.cast(tf.reshape(tf.add(tf.add(tf.mul(y, size), x), base), [-1]), 'int32')), [
        batch,
        size,
        size,
        channels,
      ]);
    const [v00, v01, v10, v11] = [tap(y0, x0), tap(y0, x1), tap(y1, x0), tap(y1, x1)];
    const top = tf.add(v00, tf.mul(tf.sub(v01, v00), tx));
    const bottom = tf.add(v10, tf.mul(tf.sub(v11, v10), tx));
    const value = tf.add(top, tf.mul(tf.sub(bottom, top), ty));
    // Where a coordinate was clamped its gradient is 0 (grid_sample's border padding).
    const inside = (raw: tf.Tensor) => tf.cast(tf.logicalAnd(tf.greater(raw, 0), tf.less(raw, last)), 'float32');
    save([v00, v01, v10, v11, tx, ty, inside(rawX), inside(rawY)]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [s00, s01, s10, s11, sx, sy, insideX, insideY] = saved;
        // d value / d fx and d fy of the bilinear sample, summed over channels against dy.
        const dfx = tf.add(tf.mul(tf.sub(s01, s00), tf.sub(1, sy)), tf.mul(tf.sub(s11, s10), sy));
        const dfy = tf.add(tf.mul(tf.sub(s10, s00), tf.sub(1, sx)), tf.mul(tf.sub(s11, s01), sx));
        const gx = tf.mul(tf.sum(tf.mul(dy, dfx), 3, true), tf.mul(insideX, size));
        const gy = tf.mul(tf.sum(tf.mul(dy, dfy), 3, true), tf.mul(insideY, size));
        return [tf.zerosLike(img), tf.concat([gx, gy], 3)];
      },
    };
  });
  return op(image, flow) as tf.Tensor4D;
}

/**
 * Per source, the residual of the best similarity from its landmarks onto the target's (mean squared
 * distance over the points), as a fraction of the target's spread (mean squared distance to its
 * centre): warp.py's alignment_error. 0 for a similarity-transformed copy of the target.
 */
export function alignmentError(sources: readonly Landmarks[], target: Landmarks): number[] {
  let mx = 0,
    my = 0;
  for (const p of target) {
    mx += p.x;
    my += p.y;
  }
  mx /= target.length;
  my /= target.length;
  let spread = 0;
  for (const p of target) spread += (p.x - mx) ** 2 + (p.y - my) ** 2;
  spread = Math.max(spread / target.length, 1e-12);
  return sources.map((source) => {
    const fit = similarityFit(source, target);
    let residual = 0;
    for (let i = 0; i < source.length; i++) {
      const { x, y } = source[i];
      residual += (fit.a * x - fit.b * y + fit.tx - target[i].x) ** 2 + (fit.b * x + fit.a * y + fit.ty - target[i].y) ** 2;
    }
    return residual / source.length / spread;
  });
}

/**
 * How much better (as a fraction of its alignment error) another photo must fit the driving pose for a
 * driven avatar to switch to it: with several photos of similar pose, the nearest one changes from
 * frame to frame and the background flickers between photos (the warp at T = 8 flickered 5× more than
 * at T = 1 in `npm run eval -- --cross` before this).
 */
export const SOURCE_HOLD_MARGIN = 0.25;

/**
 * nearestSource for a sequence of frames: keeps `previous` (an index, or −1 for none) unless another
 * source's alignment error is below previous's by more than `margin` of it.
 */
export function heldSource(sources: readonly Landmarks[], target: Landmarks, previous: number, margin = SOURCE_HOLD_MARGIN): number {
  const errors = alignmentError(sources, target);
  const best = argMin(errors);
  if (previous < 0 || previous >= errors.length || best < 0) return best;
  return errors[best] < errors[previous] * (1 - margin) ? best : previous;
}

function argMin(values: readonly number[]): number {
  let best = -1;
  for (let k = 0; k < values.length; k++) {
    if (best < 0 || values[k] < values[best]) best = k;
  }
  return best;
}

/** The index of the source whose landmarks align best with the target's (the first on ties); −1 for none. */
export function nearestSource(sources: readonly Landmarks[], target: Landmarks): number {
  return argMin(alignmentError(sources, target));
}
