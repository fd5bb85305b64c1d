// Typed access to src/nn/configs.json, the single description of the three networks' shapes.
// The PyTorch twin under train/ reads the same JSON, so every field here must keep its meaning there.
import presets from './configs.json';

export interface EmbedderConfig {
  /** Residual down-sampling blocks; the last one ends at resolution / 2^downBlocks. */
  readonly downBlocks: number;
  /** Self-attention after this (0-based) down block, or null for none. */
  readonly attentionAfterBlock: number | null;
}

export interface GeneratorConfig {
  /** Down blocks on the landmark image; the up path mirrors them with as many up blocks. */
  readonly downBlocks: number;
  /** AdaIN residual blocks at the bottleneck resolution. */
  readonly bottleneckBlocks: number;
  /** Self-attention after this (0-based) down block, or null. */
  readonly attentionAfterDownBlock: number | null;
  /** Self-attention after this (0-based) up block, or null. */
  readonly attentionAfterUpBlock: number | null;
  /**
   * What G reads (absent: "landmarks"). "landmarks" is the paper's G(landmark image);
   * "landmarks+warp" also gives G the source photo warped to the driving landmarks and the warp's
   * validity mask, and G blends: frame = warp + α·Δ (see README.md, "Warp-guided generator").
   */
  readonly input?: GeneratorInput;
  /** Added to the α logit, so the untrained G's α is sigmoid(alphaBias). Required with "landmarks+warp", ignored otherwise. */
  readonly alphaBias?: number;
  /**
   * A landmark prior on α (warp input only): the logit also gets alphaMaskGain · (1 − mask), so α starts
   * high where the warp stretched, squeezed or folded the photo. Absent: 0.
   */
  readonly alphaMaskGain?: number;
  /**
   * A fixed border on α (warp input only; absent: 0): α is multiplied by alphaBorderRamp, which rises
   * from 0 at the crop's edge to 1 at this many pixels (at G's resolution) in, so the frame's outer band
   * is the photo's own pixels. There a crop that follows the face shows what G cannot know (background
   * that moved into view, a video's padding), and G's guess there was a dark, blurred frame.
   */
  readonly alphaBorder?: number;
  /**
   * U-Net skips (warp input only; absent: false): each up block also adds a zero-initialised 3×3 conv
   * of the encoder's activation at its output size (the raw input at full size), so Δ and α can be as
   * sharp as the warp they correct. Zero at the start: weights without them load and render the same.
   */
  readonly encoderSkips?: boolean;
  /**
   * A learned flow (warp input only; absent: false): the output head also gives a displacement field
   * (2 more channels, FLOW_RANGE · tanh, in crop units) and the warp is resampled at p + flow(p) before
   * the blend, so G moves the photo's own pixels where the mesh misplaced them instead of repainting
   * them blurred. Zero at the start: a warm-started G renders what its parent did.
   */
  readonly flow?: boolean;
}

export interface DiscriminatorConfig {
  readonly downBlocks: number;
  /** Residual blocks (no down-sampling) after the last down block, e.g. the paper's one at 4×4. */
  readonly extraBlocks: number;
  readonly attentionAfterBlock: number | null;
  /**
   * Columns of the embedding matrix W (one per training video). 0 builds V without W: the app only
   * fine-tunes, which needs w0 and b but never W. The trainer passes its dataset size instead.
   */
  readonly numVideos: number;
}

export interface NetConfig {
  readonly name: string;
  readonly description: string;
  /** Square input and output side in pixels. */
  readonly resolution: number;
  /** Channels of the first block; doubled per down block up to maxChannels. */
  readonly minChannels: number;
  readonly maxChannels: number;
  /** N: length of the embedding ê and of V's output vector. */
  readonly embedDim: number;
  readonly embedder: EmbedderConfig;
  readonly generator: GeneratorConfig;
  readonly discriminator: DiscriminatorConfig;
}

/** G's inputs: the paper's landmark image alone, or with the warped source photo and its mask. */
export type GeneratorInput = 'landmarks' | 'landmarks+warp';

export const GENERATOR_INPUTS: readonly GeneratorInput[] = ['landmarks', 'landmarks+warp'];

export type PresetName = keyof typeof presets;

/** Every preset of configs.json, in file order (the PyTorch twin derives its list the same way). */
export const PRESET_NAMES = Object.keys(presets) as readonly PresetName[];

/** True when G blends its output with a warped source photo (generator.input "landmarks+warp"). */
export function usesWarp(config: NetConfig): boolean {
  return config.generator.input === 'landmarks+warp';
}

/** Channels after down block `index` (0-based): minChannels · 2^index, capped at maxChannels. */
export function channelsAt(config: NetConfig, index: number): number {
  return Math.min(config.minChannels * 2 ** index, config.maxChannels);
}

export function loadPreset(name: string): NetConfig {
  const raw = (presets as Record<string, unknown>)[name];
  if (raw === undefined) {
    throw new Error(`Unknown network preset "${name}" (known: ${Object.keys(presets).join(', ')})`);
  }
  return validateConfig({ ...(raw as object), name });
}

/** Checks a parsed config object and returns it typed; throws with every problem found. */
export function validateConfig(raw: unknown): NetConfig {
  const problems: string[] = [];
  const obj = asObject(raw, 'config', problems);
  const config = obj as unknown as NetConfig;
  positiveInt(obj.resolution, 'resolution', problems);
  positiveInt(obj.minChannels, 'minChannels', problems);
  positiveInt(obj.maxChannels, 'maxChannels', problems);
  positiveInt(obj.embedDim, 'embedDim', problems);
  if (typeof obj.name !== 'string') problems.push('name must be a string');
  if (typeof obj.description !== 'string') problems.push('description must be a string');
  const e = asObject(obj.embedder, 'embedder', problems);
  const g = asObject(obj.generator, 'generator', problems);
  const d = asObject(obj.discriminator, 'discriminator', problems);
  positiveInt(e.downBlocks, 'embedder.downBlocks', problems);
  positiveInt(g.downBlocks, 'generator.downBlocks', problems);
  nonNegativeInt(g.bottleneckBlocks, 'generator.bottleneckBlocks', problems);
  positiveInt(d.downBlocks, 'discriminator.downBlocks', problems);
  nonNegativeInt(d.extraBlocks, 'discriminator.extraBlocks', problems);
  nonNegativeInt(d.numVideos, 'discriminator.numVideos', problems);
  blockIndex(e.attentionAfterBlock, e.downBlocks, 'embedder.attentionAfterBlock', problems);
  blockIndex(g.attentionAfterDownBlock, g.downBlocks, 'generator.attentionAfterDownBlock', problems);
  blockIndex(g.attentionAfterUpBlock, g.downBlocks, 'generator.attentionAfterUpBlock', problems);
  blockIndex(d.attentionAfterBlock, d.downBlocks, 'discriminator.attentionAfterBlock', problems);
  const input = g.input === undefined ? 'landmarks' : g.input;
  if (!GENERATOR_INPUTS.includes(input as GeneratorInput)) {
    problems.push(`generator.input must be one of ${GENERATOR_INPUTS.join(', ')}`);
  } else if (input === 'landmarks+warp' && !(typeof g.alphaBias === 'number' && Number.isFinite(g.alphaBias))) {
    problems.push('generator.alphaBias must be a finite number when generator.input is landmarks+warp');
  }
  if (g.alphaMaskGain !== undefined && !(typeof g.alphaMaskGain === 'number' && Number.isFinite(g.alphaMaskGain))) {
    problems.push('generator.alphaMaskGain must be a finite number');
  }
  if (g.alphaBorder !== undefined) nonNegativeInt(g.alphaBorder, 'generator.alphaBorder', problems);
  if (Number.isInteger(g.alphaBorder) && (g.alphaBorder as number) > 0 && input !== 'landmarks+warp') {
    problems.push('generator.alphaBorder needs generator.input landmarks+warp');
  }
  if (g.encoderSkips !== undefined && typeof g.encoderSkips !== 'boolean') {
    problems.push('generator.encoderSkips must be true or false');
  } else if (g.encoderSkips === true && input !== 'landmarks+warp') {
    problems.push('generator.encoderSkips needs generator.input landmarks+warp');
  }
  if (g.flow !== undefined && typeof g.flow !== 'boolean') {
    problems.push('generator.flow must be true or false');
  } else if (g.flow === true && input !== 'landmarks+warp') {
    problems.push('generator.flow needs generator.input landmarks+warp');
  }
  if (problems.length === 0) {
    if (config.minChannels > config.maxChannels) problems.push('minChannels exceeds maxChannels');
    for (const [label, blocks] of [
      ['embedder', config.embedder.downBlocks],
      ['generator', config.generator.downBlocks],
      ['discriminator', config.discriminator.downBlocks],
    ] as const) {
      if (config.resolution % 2 ** blocks !== 0) {
        problems.push(`resolution ${config.resolution} is not divisible by 2^${label}.downBlocks`);
      }
    }
    // ê is V's and E's sum-pooled last feature map, so N must equal their last channel count.
    for (const [label, blocks] of [
      ['embedder', config.embedder.downBlocks],
      ['discriminator', config.discriminator.downBlocks],
    ] as const) {
      const last = channelsAt(config, blocks - 1);
      if (last !== config.embedDim) {
        problems.push(`embedDim ${config.embedDim} differs from the ${label}'s last channels ${last}`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`Invalid network config: ${problems.join('; ')}`);
  return config;
}

function asObject(value: unknown, label: string, problems: string[]): Record<string, unknown> {
  if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  problems.push(`${label} must be an object`);
  return {};
}

function positiveInt(value: unknown, label: string, problems: string[]): void {
  if (!Number.isInteger(value) || (value as number) < 1) problems.push(`${label} must be an integer ≥ 1`);
}

function nonNegativeInt(value: unknown, label: string, problems: string[]): void {
  if (!Number.isInteger(value) || (value as number) < 0) problems.push(`${label} must be an integer ≥ 0`);
}

function blockIndex(value: unknown, blocks: unknown, label: string, problems: string[]): void {
  if (value === null) return;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= (blocks as number)) {
    problems.push(`${label} must be null or a block index in [0, ${String(blocks)})`);
  }
}
