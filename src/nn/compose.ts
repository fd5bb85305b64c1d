// The warp-guided frame composed in one JS pass, for backends whose tensors live in CPU memory (WASM,
// CPU): the photo warped at display size plus G's α and Δ upsampled, α↑·Δ↑ (each bilinear with
// half-pixel centres, as tf.image.resizeBilinear on the GPU path and the trainer's display twin),
// straight to RGBA bytes. On WASM the two 64 → 256 px resizes alone took about 10 ms of a 50 ms frame.
import type { RgbaImage } from '../landmarks/types.ts';

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
  if (warped.length !== size * size * 3) throw new Error(`composeWarpGuided: ${warped.length} warp values for ${size}×${size}×3`);
  if (alpha.length !== lowSize * lowSize || delta.length !== lowSize * lowSize * 3) {
    throw new Error(`composeWarpGuided: α has ${alpha.length} and Δ ${delta.length} values for ${lowSize}×${lowSize}`);
  }
  const taps = resizeTaps(size, lowSize);
  const data = new Uint8ClampedArray(size * size * 4);
  // resizeBilinear's arithmetic: top = tl + (tr − tl)·fx, bottom likewise, value = top + (bottom − top)·fy.
  for (let y = 0, p = 0; y < size; y++) {
    const r0 = taps.lo[y] * lowSize;
    const r1 = taps.hi[y] * lowSize;
    const fy = taps.frac[y];
    for (let x = 0; x < size; x++, p++) {
      const fx = taps.frac[x];
      const i00 = r0 + taps.lo[x];
      const i01 = r0 + taps.hi[x];
      const i10 = r1 + taps.lo[x];
      const i11 = r1 + taps.hi[x];
      let top = alpha[i00] + (alpha[i01] - alpha[i00]) * fx;
      let bottom = alpha[i10] + (alpha[i11] - alpha[i10]) * fx;
      const a = Math.fround(top + (bottom - top) * fy);
      for (let c = 0; c < 3; c++) {
        top = delta[3 * i00 + c] + (delta[3 * i01 + c] - delta[3 * i00 + c]) * fx;
        bottom = delta[3 * i10 + c] + (delta[3 * i11 + c] - delta[3 * i10 + c]) * fx;
        const d = Math.fround(top + (bottom - top) * fy);
        // Uint8ClampedArray clamps and rounds half to even (ToUint8Clamp): signedToByte's bytes, without its calls.
        data[4 * p + c] = Math.fround(Math.fround(Math.fround(warped[3 * p + c] + Math.fround(a * d)) + 1) * 127.5);
      }
      data[4 * p + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}
