// The report's numbers and text: rows per method, generator and T, the grid rows, the cross-identity
// section, and which metrics separate methods.
import { describe, expect, it } from 'vitest';
import type { RgbaImage } from '../landmarks/types.ts';
import { summarizeCross, type CrossScore } from './cross-identity.ts';
import {
  chooseGridSamples,
  PAPER_TABLE_1,
  renderReport,
  separation,
  personSubset,
  summarizeOutcomes,
  trainingSummary,
  type ReportContext,
} from './eval-report.ts';
import {
  COMPOSITE_REAL_FACE,
  GROUND_TRUTH_KEY,
  gridColumns,
  methodKey,
  type FrameScore,
  type GridSample,
  type PersonOutcome,
} from './run-evaluation.ts';

function score(
  person: string,
  method: FrameScore['method'],
  T: number,
  target: number,
  value: number,
  akd: number | null,
  generator: string | null = null,
): FrameScore {
  return {
    person,
    method,
    generator,
    T,
    target,
    ssim: value,
    faceSsim: value * 1.1,
    csim: value / 2,
    idcos: value / 4,
    akd,
    sharpness: value * 2,
    featureDistance: value * 10,
  };
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
      // The paper generator's rows come first in the scores, but the report orders generators as asked.
      score(person, 'ff', 1, 0, ffValue / 2, 0.3, 'paper'),
      score(person, 'ff', 1, 1, ffValue / 2, 0.3, 'paper'),
      score(person, 'ff', 1, 0, ffValue, 0.1, 'warp'),
      score(person, 'ff', 1, 1, ffValue, null, 'warp'),
      score(person, 'warp', 8, 0, 0.4, 0.1),
      score(person, 'ff', 8, 0, ffValue, 0.1, 'warp'),
      score(person, 'warp', 1, 0, 0.4, 0.1),
    ],
    timings: [
      { person, generator: 'paper', T: 1, ffSetupMs: 50, ffRenderMs: [5], ftMs: 1000, ftSteps: 4, ftRenderMs: [5] },
      {
        person,
        generator: 'warp',
        T: 1,
        ffSetupMs: 100,
        ffRenderMs: [10, 30],
        ftMs: 2000,
        ftSteps: 4,
        ftRenderMs: [20],
        ftValidation: { photos: 1, before: 1, last: 0.9, kept: 0.9, adopted: person.endsWith('a'), margin: 0.01 },
      },
    ],
    features: {
      [GROUND_TRUTH_KEY]: features(2, 0),
      [methodKey('copy', 1)]: features(2, 0),
      [methodKey('ff', 1, 'warp')]: features(2, 3),
      [methodKey('ff', 1, 'paper')]: features(2, 1),
    },
    grid: [],
  };
}

const GENERATORS = ['warp', 'paper'];

describe('summarizeOutcomes', () => {
  const summary = summarizeOutcomes([outcome('a', 0.5), outcome('b', 0.7)], GENERATORS);
  const named = (r: { method: string; generator: string | null; T: number }) => `${r.method}${r.generator ? `-${r.generator}` : ''}@${r.T}`;

  it('gives one row per T, method and generator: everything at one T side by side, generators in the order asked', () => {
    expect(summary.rows.map(named)).toEqual(['copy@1', 'warp@1', 'ff-warp@1', 'ff-paper@1', 'warp@8', 'ff-warp@8']);
    const ff = summary.rows[2];
    expect(ff.generator).toBe('warp');
    expect(ff.frames).toBe(4);
    expect(ff.people).toBe(2);
    expect(ff.ssim.mean).toBeCloseTo(0.6, 10);
    expect(ff.csim.mean).toBeCloseTo(0.3, 10);
    expect(ff.idcos.mean).toBeCloseTo(0.15, 10);
    expect(ff.sharpness.mean).toBeCloseTo(1.2, 10);
    expect(summary.rows[3].ssim.mean).toBeCloseTo(0.3, 10);
    // Without an order, generators come in order of first appearance.
    expect(
      summarizeOutcomes([outcome('a', 0.5)])
        .rows.map(named)
        .slice(2, 4),
    ).toEqual(['ff-paper@1', 'ff-warp@1']);
  });

  it("averages the per-frame feature distance and pairs FF's with the warp's frame by frame", () => {
    const [warp, ff, paper] = [summary.rows[1], summary.rows[2], summary.rows[3]];
    expect(ff.featureDistance.n).toBe(4);
    expect(ff.featureDistance.mean).toBeCloseTo(6, 10); // a: 5, 5; b: 7, 7
    // The warp scored target 0 only: a 5 − 4, b 7 − 4.
    expect(ff.featureDistanceToWarp!.n).toBe(2);
    expect(ff.featureDistanceToWarp!.mean).toBeCloseTo(2, 10);
    expect(paper.featureDistanceToWarp!.mean).toBeCloseTo(-1, 10); // a 2.5 − 4, b 3.5 − 4
    expect(warp.featureDistanceToWarp).toBeNull();
    expect(summary.rows[0].featureDistanceToWarp).toBeNull(); // the copy is a baseline
  });

  it('puts --composites rows after the generators at their T and pairs them with the warp too', () => {
    const withComposite = (person: string, ffValue: number): PersonOutcome => {
      const o = outcome(person, ffValue);
      return { ...o, scores: [...o.scores, score(person, 'composite', 1, 0, 0.3, 0.1, COMPOSITE_REAL_FACE)] };
    };
    const rows = summarizeOutcomes([withComposite('a', 0.5), withComposite('b', 0.7)], GENERATORS).rows;
    expect(rows.map(named).slice(0, 5)).toEqual(['copy@1', 'warp@1', 'ff-warp@1', 'ff-paper@1', `composite-${COMPOSITE_REAL_FACE}@1`]);
    expect(rows[4].featureDistanceToWarp!.mean).toBeCloseTo(-1, 10); // 3 − 4 per person
  });

  it('averages AKD over frames with a face and reports how many had one', () => {
    const ff = summary.rows[2];
    expect(ff.akd.n).toBe(2);
    expect(ff.akd.mean).toBeCloseTo(0.1, 10);
    expect(ff.faceFound).toBeCloseTo(0.5, 10);
  });

  it('scores the FID proxy against the pooled ground truth: identical sets 0, shifted sets larger', () => {
    expect(summary.rows[0].fidProxy).toBeCloseTo(0, 6);
    // Every feature shifted by 3 in 6 dimensions: ‖Δμ‖² = 54, covariances identical.
    expect(summary.rows[2].fidProxy).toBeCloseTo(54, 4);
    expect(summary.rows[3].fidProxy).toBeCloseTo(6, 4);
    expect(summary.rows[1].fidProxy).toBeNull(); // no features stored for the warp here
  });

  it("brackets the FID proxy by a bootstrap over people and divides FF's by the warp's at the same T", () => {
    const withWarp = (person: string, shift: number) => {
      const o = outcome(person, 0.5);
      return { ...o, features: { ...o.features, [methodKey('warp', 1)]: features(2, 2 + shift) } };
    };
    const rows = summarizeOutcomes([withWarp('a', 0), withWarp('b', 0.5)], GENERATORS).rows;
    const [warp, ff] = [rows[1], rows[2]];
    expect(warp.fidProxyCi![0]).toBeLessThanOrEqual(warp.fidProxy!);
    expect(warp.fidProxyCi![1]).toBeGreaterThan(warp.fidProxyCi![0]); // the two people's warps differ
    expect(ff.fidProxyToWarp!.ratio).toBeCloseTo(ff.fidProxy! / warp.fidProxy!, 12);
    // FF is shifted by 3 (54), the warp by 2 for a and 2.5 for b: every draw's ratio lies in [54/37.5, 54/24].
    const [lo, hi] = ff.fidProxyToWarp!.ci!;
    expect(lo).toBeGreaterThanOrEqual(54 / 37.5 - 1e-9);
    expect(hi).toBeLessThanOrEqual(54 / 24 + 1e-9);
    expect(hi).toBeGreaterThan(lo);
    expect(warp.fidProxyToWarp).toBeNull(); // only FF and FT rows
  });

  it('splits the FID proxy by kind of data (the id before /), each against its own ground truth and warp', () => {
    const person = (id: string, ffShift: number, warpShift: number) => {
      const o = outcome(id, 0.5);
      return {
        ...o,
        features: { ...o.features, [methodKey('ff', 1, 'warp')]: features(2, ffShift), [methodKey('warp', 1)]: features(2, warpShift) },
      };
    };
    expect(personSubset('videos/clip_a')).toBe('videos');
    expect(personSubset('plain')).toBe('');
    const rows = summarizeOutcomes([person('videos/a', 1, 2), person('videos/b', 1, 2), person('identities/c', 3, 1)], GENERATORS).rows;
    const [warp, ff] = [rows[1], rows[2]];
    // Six dimensions, every one shifted: ‖Δμ‖² = 6 shift², covariances identical within each kind.
    expect(ff.fidProxyBySubset.map((p) => p.subset)).toEqual(['identities', 'videos']);
    expect(ff.fidProxyBySubset[0].fid).toBeCloseTo(54, 4);
    expect(ff.fidProxyBySubset[1].fid).toBeCloseTo(6, 4);
    expect(warp.fidProxyBySubset[0].fid).toBeCloseTo(6, 4);
    expect(ff.fidProxyBySubset[0].toWarp).toBeCloseTo(9, 4);
    expect(ff.fidProxyBySubset[1].toWarp).toBeCloseTo(0.25, 4);
    expect(warp.fidProxyBySubset[1].toWarp).toBeNull(); // the warp is the reference
    expect(rows[0].fidProxyBySubset[1].fid).toBeCloseTo(0, 6); // the copy's features are the truth's here
  });

  it('summarises timings per generator and T', () => {
    expect(summary.timings.map((t) => `${t.generator}@${t.T}`)).toEqual(['warp@1', 'paper@1']);
    const t = summary.timings[0];
    expect(t.people).toBe(2);
    expect(t.renderMs.mean).toBeCloseTo(20, 10);
    expect(t.ftMsPerStep!.mean).toBeCloseTo(500, 10);
    expect(summary.timings[1].ftMsPerStep!.mean).toBeCloseTo(250, 10);
    expect(t.ftAdopted).toEqual({ adopted: 1, validated: 2 });
    expect(summary.timings[1].ftAdopted).toBeNull();
    expect(summary.people).toEqual({ evaluated: 2, skipped: 0 });
  });
});

const CELL: RgbaImage = { width: 1, height: 1, data: new Uint8ClampedArray(4) };

function sample(person: string, target: number, targetOpening: number, sourceOpening: number, widestMouth: boolean, T = 8): GridSample {
  return { person, target, T, targetOpening, sourceOpening, widestMouth, cells: [CELL] };
}

describe('chooseGridSamples', () => {
  it("takes each person's first hold-out frame and appends the widest-opening mouth of all", () => {
    const choice = chooseGridSamples([
      [sample('a', 0, 0.1, 0.1, false), sample('a', 3, 0.3, 0.1, true)],
      [sample('b', 0, 0.1, 0.0, false), sample('b', 2, 0.5, 0.1, true)],
      [],
    ]);
    expect(choice.rows.map((r) => `${r.person}#${r.target}`)).toEqual(['a#0', 'b#0', 'b#2']);
    expect(choice.mouthRow).toBe(2);
  });

  it('marks a first row instead of repeating it, and keeps the mouth row when people are capped', () => {
    const same = chooseGridSamples([[sample('a', 0, 0.4, 0.1, true)], [sample('b', 0, 0.1, 0.1, false), sample('b', 1, 0.2, 0.1, true)]]);
    expect(same.rows).toHaveLength(2);
    expect(same.mouthRow).toBe(0);
    const capped = chooseGridSamples(
      [[sample('a', 0, 0.1, 0.1, true)], [sample('b', 0, 0.1, 0.1, false), sample('b', 1, 0.6, 0.1, true)]],
      1,
    );
    expect(capped.rows.map((r) => `${r.person}#${r.target}`)).toEqual(['a#0', 'b#1']);
    expect(capped.mouthRow).toBe(1);
    expect(chooseGridSamples([[], []])).toEqual({ rows: [], mouthRow: null });
  });

  it('takes people from each kind of data in turn, so that capped rows still show both', () => {
    const people = ['videos/a', 'videos/b', 'videos/c', 'identities/x', 'identities/y'].map((p) => [sample(p, 0, 0.1, 0.1, false)]);
    expect(chooseGridSamples(people, 4).rows.map((r) => r.person)).toEqual(['videos/a', 'identities/x', 'videos/b', 'identities/y']);
    expect(chooseGridSamples(people).rows.map((r) => r.person)).toEqual([
      'videos/a',
      'identities/x',
      'videos/b',
      'identities/y',
      'videos/c',
    ]);
  });

  it('keeps a mouth row of another T run apart from the first row of the same hold-out frame', () => {
    const choice = chooseGridSamples([[sample('a', 0, 0.1, 0.1, false, 8), sample('a', 0, 0.5, 0.0, true, 1)]]);
    expect(choice.rows.map((r) => `${r.person}#${r.target}@${r.T}`)).toEqual(['a#0@8', 'a#0@1']);
    expect(choice.mouthRow).toBe(1);
  });
});

describe('gridColumns', () => {
  it('lists source, driver, warp, FF then FT per generator, ground truth', () => {
    expect(gridColumns(GENERATORS, ['ff', 'ft'])).toEqual([
      'source',
      'driver landmarks',
      'warp',
      'FF warp',
      'FF paper',
      'FT warp',
      'FT paper',
      'ground truth',
    ]);
    expect(gridColumns(['paper'], ['ft'])).toEqual(['source', 'driver landmarks', 'warp', 'FT paper', 'ground truth']);
  });
});

describe('renderReport', () => {
  const context: ReportContext = {
    command: 'npm run eval -- --videos v --out o',
    date: '2026-11-23',
    weights: [
      {
        label: 'warp',
        url: '/weights/warp/manifest.json',
        config: 'warp64',
        kind: 'warp',
        resolution: 64,
        frameSize: 256,
        training: 'run train/runs/x, 1,200 cumulative steps, 0.50 CPU-hours',
      },
      { label: 'paper', url: '/weights/paper/manifest.json', config: 'cpu64', kind: 'paper', resolution: 64, frameSize: 64 },
    ],
    backend: 'webgl',
    metricsBackend: 'webgl',
    ftDescription: 'steps T=1: 20',
    people: [{ id: 'b', notes: ['T=8: only 3 few-shot frames with a face'] }],
    grid: {
      image: 'eval_grid.png',
      columns: gridColumns(GENERATORS, ['ff']),
      choice: { rows: [sample('a', 0, 0.1, 0.1, false), sample('b', 2, 0.52, 0.07, true, 1)], mouthRow: 1 },
      cellSize: 256,
    },
    dataDescription: 'clips in `v`',
    cropSize: 256,
    metricSize: 256,
  };

  it('writes the table with generators side by side, the command, the grid rows, the paper rows and per-person notes', () => {
    const text = renderReport(summarizeOutcomes([outcome('a', 0.5), outcome('b', 0.7)], GENERATORS), context);
    expect(text).toContain('npm run eval -- --videos v --out o');
    expect(text).toContain('frames at 256 px; run train/runs/x, 1,200 cumulative steps, 0.50 CPU-hours)');
    expect(text).toContain('G at 64 px, frames at 64 px)'); // the paper weights say nothing of their training
    expect(text).toContain('| copy of the first source frame | – | 1 | 2 | 4 |');
    expect(text).toMatch(/\| warp of the nearest source \| – \| 8 \| 2 \| 2 \|/);
    expect(text).toMatch(/\| FF \(feed-forward\) \| warp \(256 px, G at 64\) \| 1 \| 2 \| 4 \| 0\.600 ± [\d.]+ \|/);
    expect(text).toMatch(/\| FF \(feed-forward\) \| paper \(64 px\) \| 1 \| 2 \| 4 \| 0\.300 ± [\d.]+ \|/);
    expect(text).toContain('sharpness (1 = real)');
    expect(text).toContain('| FID-proxy ↓ | feature distance ↓ |');
    expect(text).toContain('- FF (feed-forward), warp (256 px, G at 64), T = 1: 2.0');
    expect(text).toContain('| warp | 256 px | 1 | 2 |');
    expect(text).toMatch(/\| warp \| 256 px \| 1 \| 2 \| .* \| 1 \/ 2 \|/); // FT adopted for one of the two
    expect(text).toContain('"FT adopted": of the people whose fine-tuning held photos out');
    expect(text).toContain('`nearestSource`');
    expect(text).toContain('upsampled bilinearly to 256 px');
    expect(text).toContain('![source, driver landmarks, warp, FF warp, FF paper, ground truth](eval_grid.png)');
    expect(text).toMatch(/\| 2 \| `b` \| 2 \| 1 \| 0\.52 \/ 0\.07 \| \*\*mouth-open row\*\*/);
    expect(text).toContain('- `b`: T=8: only 3 few-shot frames with a face');
    for (const row of PAPER_TABLE_1) expect(text).toContain(`| ${row.data} | ${row.method} | ${row.T} | ${row.fid.toFixed(1)} |`);
    expect(text).toMatch(/not comparable/i);
  });

  it('says when metrics are taken at another size, and when no driver opens the mouth wider', () => {
    const closed = { ...context.grid!, choice: { rows: [sample('a', 0, 0.1, 0.2, true)], mouthRow: 0 } };
    const text = renderReport(summarizeOutcomes([outcome('a', 0.5)], GENERATORS), { ...context, metricSize: 128, grid: closed });
    expect(text).toMatch(/Metrics are computed at 128 px \(every frame, ground truth included, resized from 256 px/);
    expect(text).toContain('no driver in this run opens the mouth wider than its source');
  });

  it('splits the FID proxy by kind of data only when there are two kinds', () => {
    expect(renderReport(summarizeOutcomes([outcome('a', 0.5), outcome('b', 0.7)], GENERATORS), context)).not.toContain('within each kind');
    const text = renderReport(summarizeOutcomes([outcome('videos/a', 0.5), outcome('identities/b', 0.7)], GENERATORS), context);
    expect(text).toContain("FID-proxy within each kind of data, against that kind's ground truth");
    expect(text).toContain('| method | generator | T | identity folders | clips |');
    expect(text).toMatch(/\| FF \(feed-forward\) \| warp[^|]*\| 1 \| 54\.0 \| 54\.0 \|/);
  });

  it('says which metrics separate methods', () => {
    const text = renderReport(summarizeOutcomes([outcome('a', 0.5), outcome('b', 0.7)], GENERATORS), context);
    expect(text).toMatch(/- \*\*SSIM\*\*: (separates \d+ of \d+ pairs of rows|separates no methods)/);
    expect(text).not.toContain('Cross-identity');
  });

  it('adds the cross-identity table, its pairs and videos with --cross', () => {
    const crossScore = (source: string, method: CrossScore['method'], generator: string | null, value: number): CrossScore => ({
      source,
      driver: 'videos/d',
      method,
      generator,
      T: 1,
      frames: 6,
      faceFound: 1,
      idSource: value,
      idDriver: 1 - value,
      mouthCorr: value,
      eyeCorr: value,
      poseErr: 3,
      poseYaw: 3,
      posePitch: 3,
      poseRoll: 3,
      jitter: 0.01,
      flicker: 0,
      sharpness: 1,
    });
    const scores = ['a', 'b', 'c'].flatMap((p, k) => [
      crossScore(p, 'copy', null, 0.9 + k * 0.01),
      crossScore(p, 'ff', 'warp', 0.5 + k * 0.01),
    ]);
    const text = renderReport(summarizeOutcomes([outcome('a', 0.5)], GENERATORS), {
      ...context,
      cross: {
        frameStep: 2,
        framesPerPair: 6,
        pairs: [{ source: 'a', driver: 'videos/d', frames: 6, droppedFrames: 0, fps: 15, adaptedMouthCorr: 0.93, adaptedEyeCorr: -0.1 }],
        rows: summarizeCross(scores, GENERATORS),
        videos: [
          {
            file: 'eval_cross_1.webm',
            source: 'a',
            driver: 'videos/d',
            columns: ['driver', 'copy'],
            frames: 6,
            fps: 15,
            width: 514,
            height: 256,
          },
        ],
      },
    });
    expect(text).toMatch(/^# Evaluation: self-reenactment and cross-identity/);
    expect(text).toContain('| `a` | `videos/d` | 6 | 0 | 0.93 / -0.10 |');
    expect(text).toMatch(/\| copy of the first photo \(frozen\) \| – \| 1 \| 3 \| 100% \| 0\.910 ± [\d.]+ \|/);
    expect(text).toMatch(/\| FF \(feed-forward\) \| warp \(256 px, G at 64\) \| 1 \| 3 \| 100% \| 0\.510 ± [\d.]+ \|/);
    expect(text).toContain('- **ID source**: separates 1 of 1 pairs of rows');
    expect(text).toContain('- **pose err (°)**: separates no methods');
    expect(text).toContain('[`a` driven by `videos/d`](eval_cross_1.webm)');
  });
});

describe('trainingSummary', () => {
  it('sums the lineage and names the last run; null without one', () => {
    const meta = {
      lineage: [
        { run: 'a', steps: 1000, hours: 0.25 },
        { run: 'train/runs/b', steps: 12345, hours: 1.5 },
      ],
    };
    expect(trainingSummary(meta)).toBe('run train/runs/b, 13,345 cumulative steps, 1.75 CPU-hours');
    expect(trainingSummary({ lineage: [] })).toBeNull();
    expect(trainingSummary({ source: 'checkpoint.pt' })).toBeNull();
    expect(trainingSummary(undefined)).toBeNull();
  });
});

describe('separation', () => {
  const s = (mean: number, ci95: number, n = 5) => ({ n, mean, std: 0, ci95 });
  it('counts pairs of rows at the same T whose 95% intervals do not overlap', () => {
    expect(
      separation([
        { T: 1, summary: s(0.5, 0.1) },
        { T: 1, summary: s(0.8, 0.1) },
        { T: 1, summary: s(0.85, 0.1) },
      ]),
    ).toEqual({
      compared: 3,
      separated: 2,
    });
    // Other T, a single sample or no interval: not compared.
    expect(
      separation([
        { T: 1, summary: s(0.5, 0.1) },
        { T: 8, summary: s(0.9, 0.1) },
        { T: 1, summary: s(0.9, Number.NaN, 1) },
      ]),
    ).toEqual({
      compared: 0,
      separated: 0,
    });
  });
});
