import { describe, expect, it } from 'vitest';
import { percentile95, studentT975, summarize } from './summary-stats.ts';

describe('studentT975', () => {
  it('matches scipy.stats.t.ppf(0.975, df) in and past the table', () => {
    // Reference values from scipy 1.17 (python3 -c "from scipy.stats import t; print(t.ppf(0.975, df))").
    expect(studentT975(1)).toBeCloseTo(12.706204736174694, 9);
    expect(studentT975(9)).toBeCloseTo(2.262157162798205, 9);
    expect(studentT975(30)).toBeCloseTo(2.0422724563012378, 9);
    expect(studentT975(31)).toBeCloseTo(2.039513446396408, 7);
    expect(studentT975(99)).toBeCloseTo(1.9842169515864174, 9);
    expect(studentT975(1000)).toBeCloseTo(1.9623390808264083, 12);
  });

  it('falls towards the normal quantile as df grows', () => {
    for (let df = 2; df < 200; df++) expect(studentT975(df)).toBeLessThan(studentT975(df - 1));
    expect(studentT975(1e9)).toBeCloseTo(1.959963984540054, 8); // the 1/df term is still 2.4e-9 here
  });

  it('rejects non-integer or non-positive df', () => {
    expect(() => studentT975(0)).toThrow(/positive integer/);
    expect(() => studentT975(2.5)).toThrow(/positive integer/);
  });
});

describe('summarize', () => {
  it('computes mean, sample std and the t interval', () => {
    // numpy/scipy: mean 2.8125, std(ddof=1) 3.184434800714249, t.ppf(0.975, 3)·std/√4 5.067146382974961.
    const s = summarize([0.5, 1.25, 2.0, 7.5]);
    expect(s.n).toBe(4);
    expect(s.missing).toBe(0);
    expect(s.mean).toBeCloseTo(2.8125, 14);
    expect(s.std).toBeCloseTo(3.184434800714249, 12);
    expect(s.ci95).toBeCloseTo(5.067146382974961, 9);
  });

  it('ignores non-finite values but counts them as missing', () => {
    const s = summarize([1, Number.NaN, 3, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(s.n).toBe(2);
    expect(s.missing).toBe(3);
    expect(s.mean).toBe(2);
    expect(s.std).toBeCloseTo(Math.SQRT2, 14);
  });

  it('gives NaN statistics for no values and no spread for one value', () => {
    const empty = summarize([Number.NaN]);
    expect(empty).toMatchObject({ n: 0, missing: 1 });
    expect(empty.mean).toBeNaN();
    expect(empty.std).toBeNaN();
    expect(empty.ci95).toBeNaN();
    const one = summarize([4.5]);
    expect(one).toMatchObject({ n: 1, missing: 0, mean: 4.5 });
    expect(one.std).toBeNaN();
    expect(one.ci95).toBeNaN();
    expect(summarize([])).toMatchObject({ n: 0, missing: 0 });
  });

  it('has zero spread for constant values, without cancellation error', () => {
    const s = summarize(new Array<number>(50).fill(1e9 + 0.1));
    expect(s.std).toBe(0);
    expect(s.ci95).toBe(0);
  });

  it('narrows the interval as n grows for the same spread', () => {
    const few = summarize([0, 1, 0, 1]);
    const many = summarize(Array.from({ length: 100 }, (_, k) => k % 2));
    expect(many.ci95).toBeLessThan(few.ci95);
  });
});

describe('percentile95', () => {
  it('is the 2.5th and 97.5th percentiles, interpolated, over the finite values', () => {
    const values = Array.from({ length: 201 }, (_, k) => k); // 0 … 200
    expect(percentile95([...values].reverse())).toEqual([5, 195]);
    const [lo, hi] = percentile95([0, 1, Number.NaN])!;
    expect(lo).toBeCloseTo(0.025, 12);
    expect(hi).toBeCloseTo(0.975, 12);
    expect(percentile95([1, Number.NaN])).toBeNull();
  });
});
