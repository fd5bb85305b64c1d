/**
 * The generators the app ships, by kind, and where their weights live (one folder each under
 * public/weights/). A weights manifest's network config says which kind it is, so saved avatars
 * (whose manifests carry the config) load with the generator that made them.
 *
 * - `warp`: the warp-guided generator (config generator.input "landmarks+warp"): the user's photo,
 *   warped to the driving landmarks, blended with what G paints where a warp cannot be right.
 * - `paper`: the paper's generator, which paints the whole frame from the landmark image.
 */
import { usesWarp, validateConfig, type NetConfig } from './config.ts';

export type GeneratorKind = 'warp' | 'paper';

export interface GeneratorEntry {
  readonly kind: GeneratorKind;
  /** What the UI calls it. */
  readonly label: string;
  /** One sentence on what it does, for the UI. */
  readonly description: string;
  /** Manifest URL, relative to the app's origin. */
  readonly weightsUrl: string;
}

export const GENERATORS: Readonly<Record<GeneratorKind, GeneratorEntry>> = {
  warp: {
    kind: 'warp',
    label: 'Warp-guided',
    description: 'Your photo, warped to the driving face, with the network painting what a warp cannot (an opening mouth, seams).',
    weightsUrl: '/weights/warp/manifest.json',
  },
  paper: {
    kind: 'paper',
    label: 'Paper (landmarks only)',
    description: 'The generator of Zakharov et al. 2019: the network paints the whole face from the landmark image.',
    weightsUrl: '/weights/paper/manifest.json',
  },
};

export const GENERATOR_KINDS = Object.keys(GENERATORS) as GeneratorKind[];

/** The app's default: the warp-guided generator beats the paper's on every held-out metric (docs/EVAL.md). */
export const DEFAULT_GENERATOR: GeneratorKind = 'warp';

export function generatorKindOf(config: NetConfig): GeneratorKind {
  return usesWarp(config) ? 'warp' : 'paper';
}

export function isGeneratorKind(value: unknown): value is GeneratorKind {
  return typeof value === 'string' && (GENERATOR_KINDS as string[]).includes(value);
}

/** The generator a saved avatar (its weights manifest) was made with; old or odd manifests: paper. */
export function generatorOfSaved(manifest: { readonly config?: unknown }): GeneratorKind {
  try {
    return generatorKindOf(validateConfig(manifest.config));
  } catch {
    return 'paper';
  }
}
