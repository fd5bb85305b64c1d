// Command-line options of `npm run eval` (scripts/eval.ts), parsed without side effects so they
// can be tested. `--weights` takes one or more generators' weights, each optionally labelled
// (`warp=URL,paper=URL`); `npm run bench` parses its --weights the same way.
import { FINE_TUNE_PRESETS, fineTuneSteps, type FineTunePreset } from '../nn/finetune-schedule.ts';
import { WARP_DISPLAY_SIZE } from '../nn/avatar-session.ts';
import { BACKEND_NAMES, isBackendName, type BackendName } from '../nn/backend.ts';
import { GENERATOR_KINDS, GENERATORS, type GeneratorKind } from '../nn/registry.ts';
import type { Mode } from './run-evaluation.ts';

/** Side of the frames the app shows (the warp-guided avatar's): crops are made at it, metrics default to it. */
export const EVAL_DISPLAY_SIZE = WARP_DISPLAY_SIZE;

/** One weights manifest to evaluate, and the name its rows carry (null: the manifest's generator kind). */
export interface WeightsChoice {
  label: string | null;
  url: string;
}

/** Both shipped generators, the app's default first: what --weights means when it is not given. */
export const DEFAULT_WEIGHTS: readonly WeightsChoice[] = GENERATOR_KINDS.map((kind) => ({ label: kind, url: GENERATORS[kind].weightsUrl }));

const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.]*$/;

export interface EvalOptions {
  videos: string | null;
  identities: string | null;
  out: string;
  Ts: number[];
  modes: Mode[];
  /** Hold-out frames per person. */
  frames: number;
  /** Most people taken from each folder (spread evenly over the sorted list); null: all. */
  people: number | null;
  /** A preset of the app (steps scale with T as in the app) or a fixed step count. */
  ftSteps: FineTunePreset | number;
  ftContentLoss: boolean;
  /** Weights manifests (URL paths, as the app serves them), each evaluated as its own generator. */
  weights: WeightsChoice[];
  /** Side at which frames are compared (crops are made at EVAL_DISPLAY_SIZE, then resized). */
  metricSize: number;
  backends: BackendName[] | null;
  /** A split file (train/split.json) whose held-out names filter the identities folder. */
  split: string | null;
  /** Also write the report here (its grid image lands next to it). */
  report: string | null;
}

export const EVAL_USAGE = `npm run eval -- --videos DIR --identities DIR --out DIR [--T 1,8,32] [--mode ff,ft]
  [--frames 8] [--people N] [--ft-steps quick|balanced|best|N] [--no-content-loss]
  [--weights warp=/weights/warp/manifest.json,paper=/weights/paper/manifest.json] [--metric-size 256]
  [--backend webgl,webgpu,wasm,cpu] [--split train/split.json] [--report docs/EVAL.md]
At least one of --videos (talking-head clips, one person each) and --identities (one folder of
photos or frames per person) is needed. --weights: comma-separated manifests, each LABEL=URL or a
bare URL (labelled by its generator kind, warp or paper); default both shipped generators.`;

function value(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new Error(`--${name} needs a value`);
      return argv[i + 1];
    }
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

function positiveInteger(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * `warp=/weights/warp/manifest.json,paper=/weights/paper/manifest.json` or bare URLs (label null,
 * resolved from the manifest by resolveWeightLabels). Labels: letters, digits, `_` and `.`; no two alike.
 */
export function parseWeightsList(text: string): WeightsChoice[] {
  const choices = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part): WeightsChoice => {
      const eq = part.indexOf('=');
      // No label, or an = inside a bare URL's query (a label has no slash).
      if (eq < 0 || part.slice(0, eq).includes('/')) return { label: null, url: part };
      const label = part.slice(0, eq).trim();
      const url = part.slice(eq + 1).trim();
      if (!LABEL.test(label)) throw new Error(`--weights: label ${JSON.stringify(label)} must be letters, digits, _ or . (e.g. warp=URL)`);
      if (!url) throw new Error(`--weights: ${label}= needs a manifest URL`);
      return { label, url };
    });
  if (choices.length === 0) throw new Error('--weights needs at least one manifest URL');
  const labels = choices.map((c) => c.label).filter((l): l is string => l !== null);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice !== undefined) throw new Error(`--weights: label ${JSON.stringify(twice)} is used twice`);
  return choices;
}

/**
 * Final labels, given each manifest's generator kind (ModelInfo.generator): a bare URL takes its
 * kind; two that would share a label are refused (label them).
 */
export function resolveWeightLabels(choices: readonly WeightsChoice[], kinds: readonly GeneratorKind[]): string[] {
  const labels = choices.map((c, i) => c.label ?? kinds[i]);
  labels.forEach((label, i) => {
    if (labels.indexOf(label) !== i) {
      throw new Error(
        `--weights: two manifests would both be labelled ${JSON.stringify(label)} (${choices[labels.indexOf(label)].url}, ${choices[i].url}); label them, e.g. ${label}=URL,${label}2=URL`,
      );
    }
  });
  return labels;
}

const KNOWN = [
  'videos',
  'identities',
  'out',
  'T',
  'mode',
  'frames',
  'people',
  'ft-steps',
  'no-content-loss',
  'weights',
  'metric-size',
  'backend',
  'split',
  'report',
];

export function parseEvalOptions(argv: readonly string[]): EvalOptions {
  for (const arg of argv) {
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=')[0];
    if (!KNOWN.includes(name)) throw new Error(`unknown option --${name}\n${EVAL_USAGE}`);
  }
  const videos = value(argv, 'videos') ?? null;
  const identities = value(argv, 'identities') ?? null;
  const out = value(argv, 'out');
  if (!videos && !identities) throw new Error(`give --videos and/or --identities\n${EVAL_USAGE}`);
  if (!out) throw new Error(`give --out DIR\n${EVAL_USAGE}`);
  const Ts = [...new Set((value(argv, 'T') ?? '1,8,32').split(',').map((t) => positiveInteger(t.trim(), 'T')))].sort((a, b) => a - b);
  const modes = (value(argv, 'mode') ?? 'ff,ft').split(',').map((m) => m.trim());
  for (const mode of modes) if (mode !== 'ff' && mode !== 'ft') throw new Error(`--mode takes ff and/or ft, got ${JSON.stringify(mode)}`);
  const stepsText = value(argv, 'ft-steps') ?? 'quick';
  const ftSteps = (FINE_TUNE_PRESETS as readonly string[]).includes(stepsText)
    ? (stepsText as FineTunePreset)
    : positiveInteger(stepsText, 'ft-steps');
  const backendText = value(argv, 'backend');
  const backends = backendText ? backendText.split(',').map((b) => b.trim()) : null;
  for (const backend of backends ?? []) {
    if (!isBackendName(backend)) throw new Error(`--backend takes ${BACKEND_NAMES.join(', ')}; got ${JSON.stringify(backend)}`);
  }
  const people = value(argv, 'people');
  const weightsText = value(argv, 'weights');
  return {
    videos,
    identities,
    out,
    Ts,
    modes: [...new Set(modes)] as Mode[],
    frames: positiveInteger(value(argv, 'frames') ?? '8', 'frames'),
    people: people ? positiveInteger(people, 'people') : null,
    ftSteps,
    ftContentLoss: !argv.includes('--no-content-loss'),
    weights: weightsText === undefined ? DEFAULT_WEIGHTS.map((w) => ({ ...w })) : parseWeightsList(weightsText),
    metricSize: positiveInteger(value(argv, 'metric-size') ?? String(EVAL_DISPLAY_SIZE), 'metric-size'),
    backends: backends as BackendName[] | null,
    split: value(argv, 'split') ?? null,
    report: value(argv, 'report') ?? null,
  };
}

/** Steps for T few-shot frames under the options (the app's schedule for a preset). */
export function stepsFor(options: Pick<EvalOptions, 'ftSteps'>, T: number): number {
  return typeof options.ftSteps === 'number' ? options.ftSteps : fineTuneSteps(options.ftSteps, T);
}

export function describeFineTune(options: Pick<EvalOptions, 'ftSteps' | 'ftContentLoss' | 'Ts' | 'modes'>): string {
  if (!options.modes.includes('ft')) return 'not run (--mode without ft)';
  const steps = options.Ts.map((T) => `T=${T}: ${stepsFor(options, T)}`).join(', ');
  const source = typeof options.ftSteps === 'number' ? 'fixed by --ft-steps' : `the app's "${options.ftSteps}" preset`;
  return `steps ${steps} (${source}); content loss ${options.ftContentLoss ? 'on' : 'off'}`;
}
