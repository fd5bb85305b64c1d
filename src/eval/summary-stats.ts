/**
 * Mean ± 95 % confidence interval for the eval's per-example metrics. Sample counts are small
 * (often 10–50 frames), so the interval uses Student's t rather than the normal 1.96.
 */

export interface Summary {
  /** Finite values used. */
  n: number;
  /** Values left out because they were NaN or ±Infinity (a failed detection, an empty crop …). */
  missing: number;
  mean: number;
  /** Sample standard deviation (n − 1 denominator). */
  std: number;
  /** Half-width of the 95 % confidence interval of the mean: mean ± ci95. */
  ci95: number;
}

/** t quantiles at 0.975 for 1–30 degrees of freedom (scipy.stats.t.ppf, 10 decimals). */
const T_975_SMALL_DF = [
  12.7062047362, 4.3026527297, 3.1824463053, 2.7764451052, 2.5705818356, 2.4469118511, 2.3646242516, 2.3060041352, 2.2621571628,
  2.228138852, 2.2009851601, 2.1788128297, 2.1603686565, 2.1447866879, 2.1314495456, 2.1199052992, 2.1098155778, 2.1009220402, 2.0930240544,
  2.0859634473, 2.0796138447, 2.0738730679, 2.0686576104, 2.0638985616, 2.0595385528, 2.0555294386, 2.0518305165, 2.0484071418,
  2.0452296421, 2.0422724563,
];
const Z_975 = 1.959963984540054;

/**
 * Two-sided 95 % quantile of Student's t. Past the table, the Cornish–Fisher expansion around the
 * normal quantile (Abramowitz & Stegun 26.7.5) is within 3e-8 of the exact value for df > 30.
 */
export function studentT975(degreesOfFreedom: number): number {
  if (!Number.isInteger(degreesOfFreedom) || degreesOfFreedom < 1) {
    throw new Error(`studentT975: degrees of freedom must be a positive integer, got ${degreesOfFreedom}`);
  }
  if (degreesOfFreedom <= T_975_SMALL_DF.length) return T_975_SMALL_DF[degreesOfFreedom - 1];
  const z = Z_975;
  const df = degreesOfFreedom;
  return (
    z +
    (z ** 3 + z) / (4 * df) +
    (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2) +
    (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3) +
    (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / (92160 * df ** 4)
  );
}

/**
 * Summarises the finite values. Undefined statistics are NaN rather than null so every field stays
 * a number: with n = 0, mean, std and ci95 are NaN; with n = 1, std and ci95 are NaN (no spread
 * can be estimated from one value). Note that JSON.stringify writes NaN as null.
 */
export function summarize(values: readonly number[]): Summary {
  const finite = values.filter((v) => Number.isFinite(v));
  const n = finite.length;
  const missing = values.length - n;
  if (n === 0) return { n, missing, mean: Number.NaN, std: Number.NaN, ci95: Number.NaN };
  const roughMean = finite.reduce((s, v) => s + v, 0) / n;
  // One correction pass removes the summation's rounding from the mean, so equal values give
  // exactly that value and a std of exactly 0 instead of ~1e-7 noise for large magnitudes.
  const mean = roughMean + finite.reduce((s, v) => s + (v - roughMean), 0) / n;
  if (n === 1) return { n, missing, mean, std: Number.NaN, ci95: Number.NaN };
  // Deviations from the mean, not the Σx² − n·mean² shortcut, which cancels catastrophically.
  const std = Math.sqrt(finite.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { n, missing, mean, std, ci95: (studentT975(n - 1) * std) / Math.sqrt(n) };
}

/**
 * The central 95 % of the finite values (2.5th and 97.5th percentiles, linear between order
 * statistics): a bootstrap's percentile interval. Null with fewer than 2 finite values.
 */
export function percentile95(values: readonly number[]): [number, number] | null {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length < 2) return null;
  const at = (q: number) => {
    const position = q * (sorted.length - 1);
    const below = Math.floor(position);
    const above = Math.min(below + 1, sorted.length - 1);
    return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
  };
  return [at(0.025), at(0.975)];
}
