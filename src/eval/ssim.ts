/**
 * Structural similarity (Wang et al. 2004) exactly as the Python trainer computes it in
 * `train/talking_heads/evaluate_heldout.py` (`_gaussian_window`, `ssim`), so numbers from the
 * browser eval command and from the trainer's held-out report can be compared directly.
 *
 * Conventions mirrored from the Python code:
 * - grey values are BT.601 luma (0.299 R + 0.587 G + 0.114 B) of 8-bit RGB scaled to [0, 1];
 *   alpha is ignored (the trainer only ever sees RGB);
 * - 11×11 Gaussian window, σ = 1.5, normalised to sum 1;
 * - 'valid' convolution: no padding, so the SSIM map is (H − 10) × (W − 10) and border pixels
 *   count less than in padded implementations (skimage, pytorch-msssim);
 * - variances as E[x²] − E[x]², C1 = 0.01², C2 = 0.03² (data range 1);
 * - the score is the plain mean of the SSIM map.
 * We compute in float64 while torch uses float32, so agreement is to ~1e-6, not bit-exact.
 */
import type { RgbaImage } from '../landmarks/types.ts';

export const SSIM_WINDOW_SIZE = 11;
export const SSIM_SIGMA = 1.5;
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;

/** The 1-D factor of the separable Gaussian window; its outer product is the trainer's 2-D window. */
export function gaussianWindow1d(size: number = SSIM_WINDOW_SIZE, sigma: number = SSIM_SIGMA): Float64Array {
  const window = new Float64Array(size);
  const centre = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    window[i] = Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma));
    sum += window[i];
  }
  for (let i = 0; i < size; i++) window[i] /= sum;
  return window;
}

/** BT.601 luma in [0, 1], one value per pixel, row-major. */
export function lumaOf(image: RgbaImage): Float64Array {
  const { width, height, data } = image;
  const luma = new Float64Array(width * height);
  for (let p = 0, i = 0; p < luma.length; p++, i += 4) {
    luma[p] = (0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]) / 255;
  }
  return luma;
}

/**
 * 'Valid' 2-D convolution with the separable window (rows, then columns). The Gaussian is
 * symmetric, so correlation (what conv2d does) and convolution coincide.
 */
function filterValid(values: Float64Array, width: number, height: number, window: Float64Array): Float64Array {
  const size = window.length;
  const outWidth = width - size + 1;
  const outHeight = height - size + 1;
  const horizontal = new Float64Array(outWidth * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < outWidth; x++) {
      let acc = 0;
      for (let k = 0; k < size; k++) acc += window[k] * values[row + x + k];
      horizontal[y * outWidth + x] = acc;
    }
  }
  const out = new Float64Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let acc = 0;
      for (let k = 0; k < size; k++) acc += window[k] * horizontal[(y + k) * outWidth + x];
      out[y * outWidth + x] = acc;
    }
  }
  return out;
}

/**
 * Mean SSIM of two same-sized images (1 = identical). Both sides must be at least 11×11. With
 * `weights` (one per pixel, row-major, e.g. a face mask), the mean of the SSIM map weighted by each
 * window's centre pixel, as image_metrics.py `weighted_ssim`; NaN where the weights are all 0.
 */
export function ssim(a: RgbaImage, b: RgbaImage, weights?: ArrayLike<number>): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`ssim: image sizes differ (${a.width}×${a.height} vs ${b.width}×${b.height})`);
  }
  const { width, height } = a;
  if (width < SSIM_WINDOW_SIZE || height < SSIM_WINDOW_SIZE) {
    throw new Error(`ssim: images must be at least ${SSIM_WINDOW_SIZE}×${SSIM_WINDOW_SIZE}, got ${width}×${height}`);
  }
  if (weights && weights.length !== width * height) {
    throw new Error(`ssim: ${weights.length} weights for ${width}×${height} pixels`);
  }
  const window = gaussianWindow1d();
  const ya = lumaOf(a);
  const yb = lumaOf(b);
  const products = (f: (p: number) => number): Float64Array => {
    const out = new Float64Array(ya.length);
    for (let p = 0; p < out.length; p++) out[p] = f(p);
    return out;
  };
  const muA = filterValid(ya, width, height, window);
  const muB = filterValid(yb, width, height, window);
  const meanAA = filterValid(
    products((p) => ya[p] * ya[p]),
    width,
    height,
    window,
  );
  const meanBB = filterValid(
    products((p) => yb[p] * yb[p]),
    width,
    height,
    window,
  );
  const meanAB = filterValid(
    products((p) => ya[p] * yb[p]),
    width,
    height,
    window,
  );

  const border = (SSIM_WINDOW_SIZE - 1) / 2;
  const outWidth = width - SSIM_WINDOW_SIZE + 1;
  let total = 0;
  let weightSum = 0;
  for (let p = 0; p < muA.length; p++) {
    const ma = muA[p];
    const mb = muB[p];
    const varA = meanAA[p] - ma * ma;
    const varB = meanBB[p] - mb * mb;
    const cov = meanAB[p] - ma * mb;
    const value = ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (varA + varB + C2));
    // The window at map position p is centred on image pixel (x + border, y + border).
    const w = weights ? weights[(Math.floor(p / outWidth) + border) * width + (p % outWidth) + border] : 1;
    total += w * value;
    weightSum += w;
  }
  return weightSum > 0 ? total / weightSum : NaN;
}
