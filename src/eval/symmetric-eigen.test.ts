import { describe, expect, it } from 'vitest';
import { psdEigenvalues, symmetricEigen } from './symmetric-eigen.ts';
import { seededRandom } from '../util/random.ts';

function randomSymmetric(n: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      m[i][j] = m[j][i] = random() * 2 - 1;
    }
  }
  return m;
}

/** X·Xᵀ for a random n×r X: PSD with rank ≤ r. */
function randomGram(n: number, rank: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const x = Array.from({ length: n }, () => Array.from({ length: rank }, () => random() * 2 - 1));
  return x.map((xi) => x.map((xj) => xi.reduce((s, v, k) => s + v * xj[k], 0)));
}

describe('symmetricEigen', () => {
  it('returns the diagonal of a diagonal matrix, largest first', () => {
    const { values } = symmetricEigen([
      [1, 0, 0],
      [0, -3, 0],
      [0, 0, 7],
    ]);
    expect(Array.from(values)).toEqual([7, 1, -3]);
  });

  it('solves a 2×2 case by hand', () => {
    const { values, vectors } = symmetricEigen([
      [2, 1],
      [1, 2],
    ]);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    expect(Math.abs(vectors[0][0])).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors[0][0] * vectors[0][1]).toBeGreaterThan(0);
  });

  it('handles empty and 1×1 matrices', () => {
    expect(symmetricEigen([]).values.length).toBe(0);
    expect(Array.from(symmetricEigen([[4]]).values)).toEqual([4]);
  });

  it('reconstructs a random symmetric matrix from orthonormal eigenvectors', () => {
    const n = 12;
    const m = randomSymmetric(n, 7);
    const { values, vectors } = symmetricEigen(m);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const vivj = vectors[i].reduce((s, v, k) => s + v * vectors[j][k], 0);
        expect(vivj).toBeCloseTo(i === j ? 1 : 0, 12);
        const reconstructed = values.reduce((s, lambda, k) => s + lambda * vectors[k][i] * vectors[k][j], 0);
        expect(reconstructed).toBeCloseTo(m[i][j], 12);
      }
    }
    for (let i = 1; i < n; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
  });

  it('rejects a non-square input', () => {
    expect(() => symmetricEigen([[1, 2], [3]])).toThrow(/row 1/);
  });
});

describe('psdEigenvalues', () => {
  it('gives exact zeros, never negatives, for a rank-deficient Gram matrix', () => {
    const values = psdEigenvalues(randomGram(30, 4, 3));
    expect(values.slice(0, 4).every((v) => v > 1e-3)).toBe(true);
    for (const v of values.slice(4)) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1e-10);
    }
  });

  it('keeps the trace', () => {
    const m = randomGram(20, 20, 5);
    const trace = m.reduce((s, row, i) => s + row[i], 0);
    expect(psdEigenvalues(m).reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 10);
  });

  it('refuses a clearly indefinite matrix', () => {
    expect(() =>
      psdEigenvalues([
        [1, 0],
        [0, -1],
      ]),
    ).toThrow(/not PSD/);
  });
});
