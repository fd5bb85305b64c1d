import { describe, expect, it } from 'vitest';
import { PAPER_TABLE_1, renderReport, summarizeOutcomes } from './eval-report';
import { GROUND_TRUTH_KEY, methodKey, type FrameScore, type PersonOutcome } from './run-evaluation';

function score(person: string, method: FrameScore['method'], T: number, target: number, value: number, akd: number | null): FrameScore {
  return { person, method, T, target, ssim: value, csim: value / 2, idcos: value / 4, akd };
}

/** Deterministic pseudo-features: d = 6, offset per set. */
function features(n: number, offset: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: 6 }, (_, j) => Math.sin(i * 1.7 + j * 0.9) + offset));
}

function outcome(person: string, ffValue: number): PersonOutcome {
  return {
    person,
    notes: person === 'b' ? ['T=8: only 3 few-shot frames with a face'] : [],
    sourcesWithFace: 3,
    targetsWithFace: 2,
    scores: [
      score(person, 'copy', 1, 0, 0.3, 0.2),
      score(person, 'copy', 1, 1, 0.3, 0.2),
      score(person, 'ff', 1, 0, ffValue, 0.1),
      score(person, 'ff', 1, 1, ffValue, null),
    ],
    timings: [{ person, T: 1, ffSetupMs: 100, ffRenderMs: [10, 30], ftMs: 2000, ftSteps: 4, ftRenderMs: [20] }],
    features: { [GROUND_TRUTH_KEY]: features(2, 0), [methodKey('copy', 1)]: features(2, 0), [methodKey('ff', 1)]: features(2, 3) },
    gridRow: [],
  };
}

describe('summarizeOutcomes', () => {
  const summary = summarizeOutcomes([outcome('a', 0.5), outcome('b', 0.7)]);

  it('gives one row per method and T, in method order, over all people', () => {
    expect(summary.rows.map((r) => `${r.method}@${r.T}`)).toEqual(['copy@1', 'ff@1']);
    const ff = summary.rows[1];
    expect(ff.frames).toBe(4);
    expect(ff.people).toBe(2);
    expect(ff.ssim.mean).toBeCloseTo(0.6, 10);
    expect(ff.csim.mean).toBeCloseTo(0.3, 10);
    expect(ff.idcos.mean).toBeCloseTo(0.15, 10);
  });

  it('averages AKD over frames with a face and reports how many had one', () => {
    const ff = summary.rows[1];
    expect(ff.akd.n).toBe(2);
    expect(ff.akd.mean).toBeCloseTo(0.1, 10);
    expect(ff.faceFound).toBeCloseTo(0.5, 10);
  });

  it('scores the FID proxy against the pooled ground truth: identical sets 0, shifted sets larger', () => {
    expect(summary.rows[0].fidProxy).toBeCloseTo(0, 6);
    // Every feature shifted by 3 in 6 dimensions: ‖Δμ‖² = 54, covariances identical.
    expect(summary.rows[1].fidProxy).toBeCloseTo(54, 4);
  });

  it('summarises timings per T', () => {
    expect(summary.timings).toHaveLength(1);
    const t = summary.timings[0];
    expect(t.people).toBe(2);
    expect(t.renderMs.mean).toBeCloseTo(20, 10);
    expect(t.ftMsPerStep!.mean).toBeCloseTo(500, 10);
    expect(summary.people).toEqual({ evaluated: 2, skipped: 0 });
  });
});

describe('renderReport', () => {
  it('writes the table, the command, the paper rows and per-person notes', () => {
    const summary = summarizeOutcomes([outcome('a', 0.5), outcome('b', 0.7)]);
    const text = renderReport(summary, {
      command: 'npm run eval -- --videos v --out o',
      date: '2026-11-23',
      weights: '/weights/paper/manifest.json',
      config: 'default',
      backend: 'webgl',
      metricsBackend: 'webgl',
      ftDescription: 'steps T=1: 20',
      people: [{ id: 'b', notes: ['T=8: only 3 few-shot frames with a face'] }],
      gridImage: 'eval_grid.png',
      dataDescription: 'clips in `v`',
    });
    expect(text).toContain('npm run eval -- --videos v --out o');
    expect(text).toMatch(/\| FF \(feed-forward\) \| 1 \| 2 \| 4 \| 0\.600 ± [\d.]+ \|/);
    expect(text).toContain('![source, ground truth, warp, FF, FT](eval_grid.png)');
    expect(text).toContain('- `b`: T=8: only 3 few-shot frames with a face');
    for (const row of PAPER_TABLE_1) expect(text).toContain(`| ${row.data} | ${row.method} | ${row.T} | ${row.fid.toFixed(1)} |`);
    expect(text).toMatch(/not comparable/i);
  });
});
