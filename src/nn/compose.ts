// The warp-guided frame composed in one JS pass, for backends whose tensors live in CPU memory (WASM,
// CPU): the photo warped at display size plus G's α and Δ upsampled, α↑·Δ↑ (each bilinear with
// half-pixel centres, as tf.image.resizeBilinear on the GPU path and the trainer's display twin),
// then to RGBA bytes (the mouth generator, config.mouth, repaints its square in between: mouth.ts). On WASM the two 64 → 256 px resizes alone took about 10 ms of a 50 ms frame as tensor ops.
// With a learned flow (generator.flow), displacePositions moves the warp's sampling positions by it
// first, so the photo is sampled once (on every backend; nets.py compose with the source given).
import type { RgbaImage } from '../landmarks/types.ts';
import { sampleBilinearPixels } from '../landmarks/warp.ts';

/** Per output index, the two input indices and the fraction between them (resizeBilinear, halfPixelCenters). */
interface ResizeTaps {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float64Array;
}

function resizeTaps(outSize: number, inSize: number): ResizeTaps {
  const scale = inSize / outSize;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const source = scale * (o + 0.5) - 0.5;
    lo[o] = Math.max(0, Math.floor(source));
    hi[o] = Math.min(inSize - 1, Math.ceil(source));
    frac[o] = source - lo[o];
  }
  return { lo, hi, frac };
}

/**
 * RGBA bytes of warp + α↑·Δ↑: `warped` [size, size, 3] and, at G's resolution `lowSize`, `alpha`
 * [lowSize, lowSize, 1] and `delta` [lowSize, lowSize, 3], all row-major, channels last, in [-1, 1].
 */
export function composeWarpGuided(
  warped: ArrayLike<number>,
  size: number,
  alpha: ArrayLike<number>,
  delta: ArrayLike<number>,
  lowSize: number,
): RgbaImage {
  return signedToRgba(composeWarpGuidedValues(warped, size, alpha, delta, lowSize), size);
}

/** The same frame as float32 values [size, size, 3] in [-1, 1] (the mouth generator then reads and adds to it). */
export function composeWarpGuidedValues(
  warped: ArrayLike<number>,
  size: number,
  alpha: ArrayLike<number>,
  delta: ArrayLike<number>,
  lowSize: number,
): Float32Array {
  if (warped.length !== size * size * 3) throw new Error(`composeWarpGuided: ${warped.length} warp values for ${size}×${size}×3`);
  if (alpha.length !== lowSize * lowSize || delta.length !== lowSize * lowSize * 3) {
    throw new Error(`composeWarpGuided: α has ${alpha.length} and Δ ${delta.length} values for ${lowSize}×${lowSize}`);
  }
  const taps = resizeTaps(size, lowSize);
  // resizeBilinear's arithmetic: top = tl + (tr − tl)·fx, bottom likewise, value = top + (bottom − top)·fy.
  // The horizontal step depends on the low row and x only: computed once per low row (float64, the
  // very numbers the per-pixel form computes), so each shown pixel does the vertical step alone.
  const rows = new Float64Array(lowSize * size * 4); // per low row and x: α, then Δ's 3 channels
  for (let r = 0; r < lowSize; r++) {
    const row = r * lowSize;
    for (let x = 0; x < size; x++) {
      const fx = taps.frac[x];
      const i0 = row + taps.lo[x];
      const i1 = row + taps.hi[x];
      const o = (r * size + x) * 4;
      rows[o] = alpha[i0] + (alpha[i1] - alpha[i0]) * fx;
      for (let c = 0; c < 3; c++) rows[o + 1 + c] = delta[3 * i0 + c] + (delta[3 * i1 + c] - delta[3 * i0 + c]) * fx;
    }
  }
  const values = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const fy = taps.frac[y];
    let t = taps.lo[y] * size * 4;
    let b = taps.hi[y] * size * 4;
    for (let v = y * size * 3, end = v + size * 3; v < end; v += 3, t += 4, b += 4) {
      const a = Math.fround(rows[t] + (rows[b] - rows[t]) * fy);
      // Each term stored as float32, as the tensors' product and sum.
      values[v] = warped[v] + Math.fround(a * Math.fround(rows[t + 1] + (rows[b + 1] - rows[t + 1]) * fy));
      values[v + 1] = warped[v + 1] + Math.fround(a * Math.fround(rows[t + 2] + (rows[b + 2] - rows[t + 2]) * fy));
      values[v + 2] = warped[v + 2] + Math.fround(a * Math.fround(rows[t + 3] + (rows[b + 3] - rows[t + 3]) * fy));
    }
  }
  return values;
}

/** RGBA bytes of [size, size, 3] values in [-1, 1]: round((v + 1)·127.5), clamped (ff.ts toRgbaBytes's arithmetic). */
export function signedToRgba(values: Float32Array, size: number): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    // Uint8ClampedArray clamps and rounds half to even (ToUint8Clamp): signedToByte's bytes, without its calls.
    for (let c = 0; c < 3; c++) data[4 * p + c] = Math.fround(Math.fround(values[3 * p + c] + 1) * 127.5);
    data[4 * p + 3] = 255;
  }
  return { width: size, height: size, data };
}

/**
 * A warp's sampling positions (a WarpGrid's: [size, size, 2] crop pixels, pixel (i, j) centred on
 * (i + 0.5, j + 0.5)) read at p + flow↑(p): the warp followed by G's learned flow as one map, so the
 * frame samples the photo once (warp.py displace_positions). The flow [lowSize, lowSize, 2] (crop
 * units) is resized to `size` as resizeBilinear does; the positions are read bilinearly at pixel-grid
 * coordinates (i + size·flow_x, j + size·flow_y), clamped to [0, size − 1] (warp.ts displace).
 */
export function displacePositions(positions: Float32Array, size: number, flow: ArrayLike<number>, lowSize: number): Float32Array {
  if (positions.length !== size * size * 2) throw new Error(`displacePositions: ${positions.length} position values for ${size}×${size}×2`);
  if (flow.length !== lowSize * lowSize * 2)
    throw new Error(`displacePositions: the flow has ${flow.length} values for ${lowSize}×${lowSize}×2`);
  // Where each pixel reads the position field: its centre plus the flow resized to `size` (in pixels).
  const taps = resizeTaps(size, lowSize);
  const query = new Float32Array(size * size * 2);
  for (let y = 0, p = 0; y < size; y++) {
    const r0 = taps.lo[y] * lowSize;
    const r1 = taps.hi[y] * lowSize;
    const ry = taps.frac[y];
    for (let x = 0; x < size; x++, p++) {
      const rx = taps.frac[x];
      for (let c = 0; c < 2; c++) {
        const top = flow[2 * (r0 + taps.lo[x]) + c] + (flow[2 * (r0 + taps.hi[x]) + c] - flow[2 * (r0 + taps.lo[x]) + c]) * rx;
        const bottom = flow[2 * (r1 + taps.lo[x]) + c] + (flow[2 * (r1 + taps.hi[x]) + c] - flow[2 * (r1 + taps.lo[x]) + c]) * rx;
        query[2 * p + c] = (c === 0 ? x : y) + 0.5 + Math.fround(top + (bottom - top) * ry) * size;
      }
    }
  }
  // The position field as a two-channel image, sampled as the warp samples the photo.
  return sampleBilinearPixels(positions, size, 2, query);
}
