import { describe, expect, it } from 'vitest';
import { bootstrapFrechet, featureDistance, frechetDistance } from './frechet.ts';
import { symmetricEigen } from './symmetric-eigen.ts';
import { seededRandom } from '../util/random.ts';

function randomRows(n: number, d: number, seed: number, scale = 1): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => (random() * 2 - 1) * scale));
}

function covariance(rows: number[][]): { mean: number[]; cov: number[][] } {
  const n = rows.length;
  const d = rows[0].length;
  const mean = Array.from({ length: d }, (_, k) => rows.reduce((s, r) => s + r[k], 0) / n);
  const cov = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / (n - 1)),
  );
  return { mean, cov };
}

function multiply(x: number[][], y: number[][]): number[][] {
  return x.map((row) => y[0].map((_, j) => row.reduce((s, v, k) => s + v * y[k][j], 0)));
}

/**
 * Textbook Fréchet distance with d×d matrices: Tr √(ΣaΣb) = Tr √(Σa^½ Σb Σa^½). Eigenvalues past
 * the known rank (n − 1 after centring) are rounding noise whose square roots (~1e-8) would swamp
 * the comparison, so they are dropped here exactly as in the implementation under test.
 */
function bruteForceFrechet(a: number[][], b: number[][]): number {
  const rankA = Math.min(a.length - 1, a[0].length);
  const rank = Math.min(rankA, b.length - 1);
  const { mean: muA, cov: covA } = covariance(a);
  const { mean: muB, cov: covB } = covariance(b);
  const eigA = symmetricEigen(covA);
  const sqrtA = covA.map((_, i) =>
    covA.map((__, j) =>
      eigA.values.reduce(
        (s, lambda, k) => (k < rankA ? s + Math.sqrt(Math.max(0, lambda)) * eigA.vectors[k][i] * eigA.vectors[k][j] : s),
        0,
      ),
    ),
  );
  const inner = multiply(multiply(sqrtA, covB), sqrtA);
  const traceSqrt = symmetricEigen(inner).values.reduce((s, v, k) => (k < rank ? s + Math.sqrt(Math.max(0, v)) : s), 0);
  const trace = (m: number[][]) => m.reduce((s, row, i) => s + row[i], 0);
  const meanTerm = muA.reduce((s, v, k) => s + (v - muB[k]) ** 2, 0);
  return meanTerm + trace(covA) + trace(covB) - 2 * traceSqrt;
}

describe('frechetDistance', () => {
  it('is ~0 for identical sets, also when d ≫ n', () => {
    const a = randomRows(12, 1280, 1).map((r) => Float32Array.from(r));
    expect(frechetDistance(a, a)).toBeLessThan(1e-9);
  });

  it('adds ‖v‖² when one set is shifted by v', () => {
    const a = randomRows(15, 200, 2);
    const v = randomRows(1, 200, 3, 0.5)[0];
    const shifted = a.map((row) => row.map((x, k) => x + v[k]));
    const normSquared = v.reduce((s, x) => s + x * x, 0);
    expect(frechetDistance(a, shifted)).toBeCloseTo(normSquared, 9);
  });

  it.each([
    [3, 8, 8],
    [4, 8, 9],
    [5, 8, 7],
    [12, 5, 7], // d > n on both sides: rank-deficient covariances
  ])('matches the d×d formula for d=%i, na=%i, nb=%i', (d, na, nb) => {
    const a = randomRows(na, d, 10 + d);
    const b = randomRows(nb, d, 20 + d, 1.5).map((row) => row.map((x, k) => x + 0.1 * k));
    expect(frechetDistance(a, b)).toBeCloseTo(bruteForceFrechet(a, b), 9);
  });

  it('is symmetric in its arguments', () => {
    const a = randomRows(10, 64, 4);
    const b = randomRows(17, 64, 5, 2);
    expect(frechetDistance(a, b)).toBeCloseTo(frechetDistance(b, a), 10);
  });

  it('grows as the spread of one set grows', () => {
    const a = randomRows(20, 32, 6);
    const near = randomRows(20, 32, 7);
    const far = randomRows(20, 32, 7, 3);
    expect(frechetDistance(a, far)).toBeGreaterThan(frechetDistance(a, near));
  });

  it('rejects too few samples and mismatched feature sizes', () => {
    expect(() => frechetDistance(randomRows(1, 4, 1), randomRows(5, 4, 2))).toThrow(/at least 2/);
    expect(() => frechetDistance(randomRows(3, 4, 1), randomRows(3, 5, 2))).toThrow(/feature sizes differ/);
    expect(() => frechetDistance([[1, 2], [3]], randomRows(3, 2, 2))).toThrow(/row 1/);
  });
});

describe('bootstrapFrechet', () => {
  const truth = [randomRows(3, 8, 11), randomRows(3, 8, 12), randomRows(3, 8, 13), randomRows(3, 8, 14)];
  const shifted = truth.map((rows) => rows.map((row) => row.map((v) => v + 1)));

  it('draws the same people for every set: a copy of the truth is 0 in every draw, a shift of 1 in 8 dims is 8', () => {
    const [same, moved] = bootstrapFrechet([truth, shifted], truth, 25, 3);
    expect(same).toHaveLength(25);
    for (const d of same) expect(d).toBeCloseTo(0, 6);
    for (const d of moved) expect(d).toBeCloseTo(8, 6);
  });

  it('varies across draws for unrelated sets, reproducibly for a seed, and leaves empty draws NaN', () => {
    const other = truth.map((_, g) => randomRows(3, 8, 40 + g, 2));
    const first = bootstrapFrechet([other], truth, 30, 5)[0];
    expect(new Set(first.map((d) => d.toFixed(6))).size).toBeGreaterThan(5);
    expect(bootstrapFrechet([other], truth, 30, 5)[0]).toEqual(first);
    const sparse = [[], [], [], randomRows(1, 8, 9)];
    expect(bootstrapFrechet([sparse], truth, 40, 5)[0].some((d) => Number.isNaN(d))).toBe(true);
    expect(() => bootstrapFrechet([truth.slice(1)], truth, 2, 1)).toThrow(/3 groups, the truth 4/);
  });
});

describe('featureDistance', () => {
  it('is the squared Euclidean distance of two feature vectors: 0 for one with itself, symmetric', () => {
    expect(featureDistance([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(featureDistance([0, 0, 0], [1, 2, 2])).toBe(9);
    expect(featureDistance([1, 2, 2], [0, 0, 0])).toBe(9);
  });

  it('refuses vectors of different sizes', () => {
    expect(() => featureDistance([1, 2], [1, 2, 3])).toThrow(/feature sizes differ \(2 vs 3\)/);
  });
});
