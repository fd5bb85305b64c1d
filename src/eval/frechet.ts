/**
 * Fréchet distance between Gaussians fitted to two feature sets (the statistic behind FID):
 *
 *   ‖μa − μb‖² + Tr Σa + Tr Σb − 2 Tr √(Σa Σb)
 *
 * The eval has feature size d ≈ 1280 but only 10–200 samples per set, so the usual recipe (form
 * the d×d covariances, take a matrix square root) would be slow, and scipy's sqrtm is notoriously
 * unstable on the rank-deficient covariances that d ≫ n gives. Instead, with centred data
 * matrices A (d×na) and B (d×nb), Σa = AAᵀ/(na−1) and Σb = BBᵀ/(nb−1), the non-zero eigenvalues
 * of ΣaΣb are those of (AᵀB)(BᵀA)/((na−1)(nb−1)), an na×na PSD matrix. So
 *
 *   Tr √(ΣaΣb) = Σᵢ √λᵢ((AᵀB)(BᵀA)) / √((na−1)(nb−1)),
 *
 * exact, with nothing larger than n×n ever formed.
 */
import { psdEigenvalues } from './symmetric-eigen.ts';
import { seededRandom } from '../util/random.ts';

/** Samples as rows, all of the same length (the feature size). */
export type FeatureRows = readonly ArrayLike<number>[];

function featureSize(rows: FeatureRows, name: string): number {
  if (rows.length < 2) {
    throw new Error(`frechetDistance: set ${name} has ${rows.length} sample(s); a covariance needs at least 2`);
  }
  const d = rows[0].length;
  rows.forEach((row, i) => {
    if (row.length !== d) throw new Error(`frechetDistance: set ${name} row ${i} has ${row.length} features, row 0 has ${d}`);
  });
  return d;
}

function mean(rows: FeatureRows, d: number): Float64Array {
  const mu = new Float64Array(d);
  for (const row of rows) for (let k = 0; k < d; k++) mu[k] += row[k];
  for (let k = 0; k < d; k++) mu[k] /= rows.length;
  return mu;
}

function centred(rows: FeatureRows, mu: Float64Array): Float64Array[] {
  return rows.map((row) => {
    const out = new Float64Array(mu.length);
    for (let k = 0; k < mu.length; k++) out[k] = row[k] - mu[k];
    return out;
  });
}

function dot(x: Float64Array, y: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < x.length; k++) sum += x[k] * y[k];
  return sum;
}

/** Σ √λ of (CCᵀ) for the cross-Gram matrix C = AᵀB, i.e. the sum of C's singular values. */
function sumOfSingularValues(a: Float64Array[], b: Float64Array[], d: number): number {
  // CCᵀ and CᵀC share their non-zero eigenvalues; decompose whichever is smaller.
  const [small, large] = a.length <= b.length ? [a, b] : [b, a];
  const cross = small.map((x) => Float64Array.from(large, (y) => dot(x, y)));
  const gram = cross.map((ci) => Float64Array.from(cross, (cj) => dot(ci, cj)));
  // Centring costs each data matrix one rank, so C has rank ≤ min(na − 1, nb − 1, d). The
  // eigenvalues past that rank are exactly 0 in theory but come out as rounding noise ~ε‖M‖,
  // and √(noise) ~ 1e-8·√‖M‖ each would bias the trace; skip them instead of square-rooting.
  const rank = Math.min(a.length - 1, b.length - 1, d);
  const eigenvalues = psdEigenvalues(gram);
  let total = 0;
  for (let i = 0; i < rank; i++) total += Math.sqrt(eigenvalues[i]);
  return total;
}

/**
 * Squared Euclidean distance between one frame's features and its own ground truth's: the paired
 * counterpart of the Fréchet distance. A per-frame number, so its mean has an ordinary confidence
 * interval and a generator can be compared with another frame by frame; over a few dozen frames the
 * Fréchet distance of two sets moves by several points between near-identical generators.
 */
export function featureDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`featureDistance: feature sizes differ (${a.length} vs ${b.length})`);
  let total = 0;
  for (let i = 0; i < a.length; i++) total += (a[i] - b[i]) ** 2;
  return total;
}

/**
 * Fréchet distance between N(μa, Σa) and N(μb, Σb) fitted to the rows of `a` and `b` (unbiased
 * covariances, n − 1). Each set needs at least 2 rows; both need the same feature size.
 * Rounding can make the exact formula dip a hair below 0 for (near-)identical sets; the result is
 * clamped at 0, as a distance cannot be negative.
 */
export function frechetDistance(a: FeatureRows, b: FeatureRows): number {
  const d = featureSize(a, 'a');
  const db = featureSize(b, 'b');
  if (db !== d) throw new Error(`frechetDistance: feature sizes differ (${d} vs ${db})`);

  const muA = mean(a, d);
  const muB = mean(b, d);
  let meanDistanceSquared = 0;
  for (let k = 0; k < d; k++) meanDistanceSquared += (muA[k] - muB[k]) ** 2;

  const centredA = centred(a, muA);
  const centredB = centred(b, muB);
  const traceA = centredA.reduce((sum, x) => sum + dot(x, x), 0) / (a.length - 1);
  const traceB = centredB.reduce((sum, x) => sum + dot(x, x), 0) / (b.length - 1);
  const traceSqrtProduct = sumOfSingularValues(centredA, centredB, d) / Math.sqrt((a.length - 1) * (b.length - 1));

  return Math.max(0, meanDistanceSquared + traceA + traceB - 2 * traceSqrtProduct);
}

/**
 * Bootstrap replicates of Fréchet distances over groups (one group per person): each replicate
 * draws the groups with replacement, one draw shared by every set so that the distances of
 * different methods stay paired, and measures each set's rows of the drawn groups (pooled) against
 * the truth's rows of the same groups. `sets[s][g]` are set s's rows for group g, `truth[g]` the
 * truth's; a group may be empty in a set. Returns distances [set][replicate], NaN where a side has
 * fewer than 2 rows. Seeded, so a report is reproducible.
 */
export function bootstrapFrechet(
  sets: readonly (readonly FeatureRows[])[],
  truth: readonly FeatureRows[],
  replicates: number,
  seed: number,
): number[][] {
  const groups = truth.length;
  sets.forEach((set, s) => {
    if (set.length !== groups) throw new Error(`bootstrapFrechet: set ${s} has ${set.length} groups, the truth ${groups}`);
  });
  const random = seededRandom(seed);
  const out = sets.map(() => [] as number[]);
  for (let r = 0; r < replicates; r++) {
    const drawn = Array.from({ length: groups }, () => Math.floor(random() * groups));
    const truthRows = drawn.flatMap((g) => [...truth[g]]);
    sets.forEach((set, s) => {
      const rows = drawn.flatMap((g) => [...set[g]]);
      out[s].push(rows.length >= 2 && truthRows.length >= 2 ? frechetDistance(rows, truthRows) : NaN);
    });
  }
  return out;
}
