// Command-line options of `npm run eval` (scripts/eval.ts), parsed without side effects so they
// can be tested.
import { FINE_TUNE_PRESETS, fineTuneSteps, type FineTunePreset } from '../nn/finetune-schedule';
import type { BackendName } from '../nn/backend';
import type { Mode } from './run-evaluation';

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
  /** URL path of the weights manifest, as the app serves it. */
  weights: string;
  backends: BackendName[] | null;
  /** A split file (train/split.json) whose held-out names filter the identities folder. */
  split: string | null;
  /** Also write the report here (its grid image lands next to it). */
  report: string | null;
}

export const EVAL_USAGE = `npm run eval -- --videos DIR --identities DIR --out DIR [--T 1,8,32] [--mode ff,ft]
  [--frames 8] [--people N] [--ft-steps quick|balanced|best|N] [--no-content-loss]
  [--weights /weights/paper/manifest.json] [--backend webgl,webgpu,cpu] [--split train/split.json]
  [--report docs/EVAL.md]
At least one of --videos (talking-head clips, one person each) and --identities (one folder of
photos or frames per person) is needed.`;

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

const KNOWN = ['videos', 'identities', 'out', 'T', 'mode', 'frames', 'people', 'ft-steps', 'no-content-loss', 'weights', 'backend', 'split', 'report'];

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
    if (!['webgpu', 'webgl', 'cpu'].includes(backend)) throw new Error(`--backend takes webgpu, webgl, cpu; got ${JSON.stringify(backend)}`);
  }
  const people = value(argv, 'people');
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
    weights: value(argv, 'weights') ?? '/weights/paper/manifest.json',
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
