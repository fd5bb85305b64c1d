// Command-line options of `npm run eval` (scripts/eval.ts), parsed by Node's util.parseArgs without
// side effects so they can be tested; its errors are reworded to name the option and end with the
// usage. `--weights` takes one or more generators' weights, each optionally labelled
// (`warp=URL,paper=URL`); `npm run bench` parses its --weights the same way. `--content-size N`
// runs the content loss's networks at N px instead of the app's (perceptual.json), for measuring.
import { parseArgs } from 'node:util';
import { FINE_TUNE_PRESETS, fineTuneSteps, type FineTunePreset } from '../nn/finetune-schedule.ts';
import { WARP_DISPLAY_SIZE } from '../nn/avatar-session.ts';
import { BACKEND_NAMES, isBackendName, type BackendName } from '../nn/backend.ts';
import { CONTENT_INPUT_SIZE } from '../nn/perceptual.ts';
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
  /** Side the content loss's networks run at (null: the app's, CONTENT_INPUT_SIZE). */
  contentSize: number | null;
  /** Weights manifests (URL paths, as the app serves them), each evaluated as its own generator. */
  weights: WeightsChoice[];
  /** Side at which frames are compared (crops are made at EVAL_DISPLAY_SIZE, then resized). */
  metricSize: number;
  backends: BackendName[] | null;
  /** Backends the metric networks try in the page (null: the lab's DEFAULT_METRICS_BACKENDS, WASM first). */
  metricsBackends: BackendName[] | null;
  /** A split file (train/split.json) whose held-out names filter the identity folders and the clips. */
  split: string | null;
  /** Also write the report here (its grid image lands next to it). */
  report: string | null;
  /** Cross-identity mode: also drive each person's avatars with another person's clip (needs --videos). */
  cross: boolean;
  /** Driving frames per cross-identity pair (taken CROSS_FRAME_STEP frames apart). */
  crossFrames: number;
  /** Also score face composites (face-composite.ts): where the metrics' distance lies, face or background. */
  composites: boolean;
}

export const EVAL_USAGE = `npm run eval -- --videos DIR --identities DIR --out DIR [--T 1,8,32] [--mode ff,ft]
  [--frames 8] [--people N] [--ft-steps quick|balanced|best|N] [--no-content-loss] [--content-size N]
  [--weights warp=/weights/warp/manifest.json,paper=/weights/paper/manifest.json] [--metric-size 256]
  [--backend webgl,webgpu,wasm,cpu] [--metrics-backend webgl,wasm,…] [--split train/split.json] [--report docs/EVAL.md]
  [--cross [--cross-frames 24]] [--composites]
At least one of --videos (talking-head clips, one person each) and --identities (one folder of
photos or frames per person) is needed. --weights: comma-separated manifests, each LABEL=URL or a
bare URL (labelled by its generator kind, warp or paper); default both shipped generators.
--split keeps only the held-out people of a training split (identity folders and clips alike).
--cross also drives every person's avatars with another person's clip from --videos (cross-identity).
--composites also scores frames made of one picture inside the face oval and another outside (the real
face on the warp, the warp on the real background, each generator's face on the warp).`;

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

/** The options util.parseArgs knows: every valued one as a string, checked below. */
const OPTIONS = {
  videos: { type: 'string' },
  identities: { type: 'string' },
  out: { type: 'string' },
  T: { type: 'string' },
  mode: { type: 'string' },
  frames: { type: 'string' },
  people: { type: 'string' },
  'ft-steps': { type: 'string' },
  'no-content-loss': { type: 'boolean' },
  'content-size': { type: 'string' },
  weights: { type: 'string' },
  'metric-size': { type: 'string' },
  backend: { type: 'string' },
  'metrics-backend': { type: 'string' },
  split: { type: 'string' },
  report: { type: 'string' },
  cross: { type: 'boolean' },
  'cross-frames': { type: 'string' },
  composites: { type: 'boolean' },
} as const;

/** util.parseArgs' errors in this command's words: which option, what is wrong, and the usage. */
function reworded(error: unknown): Error {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(--?[^' <]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new Error(`unknown option ${option ?? message}\n${EVAL_USAGE}`);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /argument '([^']*)'/.exec(message)?.[1];
    return new Error(`unexpected argument ${JSON.stringify(arg ?? message)} (every option is --name value)\n${EVAL_USAGE}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    if (/does not take an argument/.test(message)) return new Error(`${option} takes no value`);
    return new Error(`${option} needs a value`);
  }
  return error instanceof Error ? error : new Error(message);
}

export function parseEvalOptions(argv: readonly string[]): EvalOptions {
  let values: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw reworded(error);
  }
  const videos = values.videos ?? null;
  const identities = values.identities ?? null;
  const out = values.out;
  if (!videos && !identities) throw new Error(`give --videos and/or --identities\n${EVAL_USAGE}`);
  if (!out) throw new Error(`give --out DIR\n${EVAL_USAGE}`);
  const Ts = [...new Set((values.T ?? '1,8,32').split(',').map((t) => positiveInteger(t.trim(), 'T')))].sort((a, b) => a - b);
  const modes = (values.mode ?? 'ff,ft').split(',').map((m) => m.trim());
  for (const mode of modes) if (mode !== 'ff' && mode !== 'ft') throw new Error(`--mode takes ff and/or ft, got ${JSON.stringify(mode)}`);
  const stepsText = values['ft-steps'] ?? 'quick';
  const ftSteps = (FINE_TUNE_PRESETS as readonly string[]).includes(stepsText)
    ? (stepsText as FineTunePreset)
    : positiveInteger(stepsText, 'ft-steps');
  const backendList = (name: 'backend' | 'metrics-backend') => {
    const text = values[name];
    const list = text ? text.split(',').map((b) => b.trim()) : null;
    for (const backend of list ?? []) {
      if (!isBackendName(backend)) throw new Error(`--${name} takes ${BACKEND_NAMES.join(', ')}; got ${JSON.stringify(backend)}`);
    }
    return list as BackendName[] | null;
  };
  const backends = backendList('backend');
  const metricsBackends = backendList('metrics-backend');
  const cross = values.cross ?? false;
  if (cross && !videos) throw new Error(`--cross needs --videos: the driving clips come from there\n${EVAL_USAGE}`);
  if (!cross && values['cross-frames'] !== undefined) throw new Error('--cross-frames needs --cross');
  return {
    videos,
    identities,
    out,
    Ts,
    modes: [...new Set(modes)] as Mode[],
    frames: positiveInteger(values.frames ?? '8', 'frames'),
    people: values.people !== undefined ? positiveInteger(values.people, 'people') : null,
    ftSteps,
    ftContentLoss: !(values['no-content-loss'] ?? false),
    contentSize: values['content-size'] !== undefined ? positiveInteger(values['content-size'], 'content-size') : null,
    weights: values.weights === undefined ? DEFAULT_WEIGHTS.map((w) => ({ ...w })) : parseWeightsList(values.weights),
    metricSize: positiveInteger(values['metric-size'] ?? String(EVAL_DISPLAY_SIZE), 'metric-size'),
    backends,
    metricsBackends,
    split: values.split ?? null,
    report: values.report ?? null,
    cross,
    crossFrames: positiveInteger(values['cross-frames'] ?? '24', 'cross-frames'),
    composites: values.composites ?? false,
  };
}

/** Steps for T few-shot frames under the options (the app's schedule for a preset). */
export function stepsFor(options: Pick<EvalOptions, 'ftSteps'>, T: number): number {
  return typeof options.ftSteps === 'number' ? options.ftSteps : fineTuneSteps(options.ftSteps, T);
}

export function describeFineTune(
  options: Pick<EvalOptions, 'ftSteps' | 'ftContentLoss' | 'Ts' | 'modes'> & Partial<Pick<EvalOptions, 'contentSize'>>,
): string {
  if (!options.modes.includes('ft')) return 'not run (--mode without ft)';
  const steps = options.Ts.map((T) => `T=${T}: ${stepsFor(options, T)}`).join(', ');
  const source = typeof options.ftSteps === 'number' ? 'fixed by --ft-steps' : `the app's "${options.ftSteps}" preset`;
  const size = options.contentSize ?? CONTENT_INPUT_SIZE;
  const content = options.ftContentLoss
    ? `on, its networks at ${size} px${options.contentSize === null || options.contentSize === undefined ? " (the app's)" : ' (--content-size)'}`
    : 'off';
  return `steps ${steps} (${source}); content loss ${content}`;
}
