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
  /**
   * The mouth generator's only (set from mouth.alphaLipRegion; absent: none): α is multiplied by the
   * outer lips' polygon (its input's second channel) grown by this many pixels, so it repaints the lips
   * and the opening between them and leaves the skin around them as the frame had it.
   */
  readonly alphaLipRegion?: number;
  /**
   * G's own channel range (absent: the config's minChannels and maxChannels, as E and D have). A
   * warp-guided G repaints only what the warp cannot draw, so it can be narrower than the networks
   * that must read a face: half the channels is a quarter of the FLOPs of every frame.
   */
  readonly minChannels?: number;
  readonly maxChannels?: number;
}

/**
 * A second, small warp-guided generator that repaints a square around the driving mouth at the
 * frame's own resolution (src/landmarks/mouth-region.ts): it reads the shown frame's crop there and
 * the lips' polygons, and adds α·Δ back into the frame. Its AdaIN comes from the same embedding
 * through its own projection (ψ_m = P_m ê); its α starts near sigmoid(alphaBias), higher inside the
 * inner lips (alphaLipGain), and falls to 0 over the crop's outer alphaBorder pixels, so the paste
 * has no seam. Needs generator.input "landmarks+warp". train/talking_heads/config.py MouthConfig is its twin.
 */
export interface MouthConfig {
  /** Side of the mouth generator's crop, in pixels. */
  readonly resolution: number;
  readonly minChannels: number;
  readonly maxChannels: number;
  readonly downBlocks: number;
  readonly bottleneckBlocks: number;
  /** The crop's side: the inner lips' extent plus 2·pad outer-eye-corner distances. */
  readonly pad: number;
  readonly alphaBias: number;
  readonly alphaLipGain: number;
  readonly alphaBorder: number;
  /**
   * [lo, hi] of the driving mouth's opening (expression.ts mouthOpening): the residual is scaled by
   * clamp((opening − lo) / (hi − lo), 0, 1), so a mouth a warp can draw (closed, barely open) is left
   * as it is and the pass is skipped there. Absent: always applied.
   */
  readonly openingRamp?: readonly [number, number];
  /**
   * Where α may be non-zero (absent: the whole crop, within alphaBorder): inside the outer lips'
   * polygon grown by this many of the crop's pixels (a max filter of side 2·alphaLipRegion + 1). Outside
   * it the frame keeps its pixels: the skin around the mouth, which the mouth generator repainted
   * blurred at a small resolution, at a cost in identity.
   */
  readonly alphaLipRegion?: number;
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
  /** The mouth generator (absent: none). */
  readonly mouth?: MouthConfig;
}

/**
 * G's inputs: the paper's landmark image alone, or with the warped source photo and its mask.
 * "mouth" is the mouth generator's own (the frame's crop and the lips; mouthNetConfig), never a preset's.
 */
export type GeneratorInput = 'landmarks' | 'landmarks+warp' | 'mouth';

export const GENERATOR_INPUTS: readonly GeneratorInput[] = ['landmarks', 'landmarks+warp'];
export const MOUTH_INPUT = 'mouth';

export type PresetName = keyof typeof presets;

/** Every preset of configs.json, in file order (the PyTorch twin derives its list the same way). */
export const PRESET_NAMES = Object.keys(presets) as readonly PresetName[];

/** True when G blends its output with a warped source photo (generator.input "landmarks+warp"). */
export function usesWarp(config: NetConfig): boolean {
  return config.generator.input === 'landmarks+warp';
}

/** True when G's head gives Δ and α (frame = base + α·Δ): warp-guided G and the mouth generator. */
export function blends(config: NetConfig): boolean {
  return (config.generator.input ?? 'landmarks') !== 'landmarks';
}

/**
 * The mouth generator as a network config of its own (generator.input "mouth", encoder skips), from
 * which plan.ts builds it like G; E and D are the parent's (unused). config.py mouth_net_config is its twin.
 */
export function mouthNetConfig(config: NetConfig): NetConfig {
  const m = config.mouth;
  if (!m) throw new Error(`preset ${config.name} has no mouth generator`);
  return {
    ...config,
    name: `${config.name}/mouth`,
    resolution: m.resolution,
    minChannels: m.minChannels,
    maxChannels: m.maxChannels,
    generator: {
      downBlocks: m.downBlocks,
      bottleneckBlocks: m.bottleneckBlocks,
      attentionAfterDownBlock: null,
      attentionAfterUpBlock: null,
      input: MOUTH_INPUT,
      alphaBias: m.alphaBias,
      alphaMaskGain: m.alphaLipGain,
      alphaBorder: m.alphaBorder,
      encoderSkips: true,
      flow: false,
      ...(m.alphaLipRegion !== undefined ? { alphaLipRegion: m.alphaLipRegion } : {}),
    },
    mouth: undefined,
  };
}

/** Channels after down block `index` (0-based): minChannels · 2^index, capped at maxChannels. */
export function channelsAt(config: NetConfig, index: number): number {
  return Math.min(config.minChannels * 2 ** index, config.maxChannels);
}

/** G's channels after its down block `index`: channelsAt with G's own range where it has one. */
export function generatorChannelsAt(config: NetConfig, index: number): number {
  const { minChannels = config.minChannels, maxChannels = config.maxChannels } = config.generator;
  return Math.min(minChannels * 2 ** index, maxChannels);
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
  if (g.minChannels !== undefined) positiveInt(g.minChannels, 'generator.minChannels', problems);
  if (g.maxChannels !== undefined) positiveInt(g.maxChannels, 'generator.maxChannels', problems);
  if (obj.mouth !== undefined) validateMouth(obj.mouth, input, problems);
  if (problems.length === 0) {
    if (config.minChannels > config.maxChannels) problems.push('minChannels exceeds maxChannels');
    const { minChannels = config.minChannels, maxChannels = config.maxChannels } = config.generator;
    if (minChannels > maxChannels) problems.push('generator.minChannels exceeds generator.maxChannels');
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

/** The optional "mouth" section, checked as config.py _mouth_config does (same messages). */
function validateMouth(raw: unknown, input: unknown, problems: string[]): void {
  const before = problems.length;
  if (typeof raw !== 'object' || raw === null) {
    problems.push('mouth must be an object');
    return;
  }
  const m = raw as Record<string, unknown>;
  if (input !== 'landmarks+warp') problems.push('mouth needs generator.input landmarks+warp');
  for (const key of ['resolution', 'minChannels', 'maxChannels', 'downBlocks']) positiveInt(m[key], `mouth.${key}`, problems);
  nonNegativeInt(m.bottleneckBlocks, 'mouth.bottleneckBlocks', problems);
  nonNegativeInt(m.alphaBorder, 'mouth.alphaBorder', problems);
  if (m.alphaLipRegion !== undefined) nonNegativeInt(m.alphaLipRegion, 'mouth.alphaLipRegion', problems);
  for (const key of ['alphaBias', 'alphaLipGain']) {
    if (!isFiniteNumber(m[key])) problems.push(`mouth.${key} must be a finite number`);
  }
  if (!isFiniteNumber(m.pad) || (m.pad as number) < 0) problems.push('mouth.pad must be a finite number ≥ 0');
  const ramp = m.openingRamp;
  if (
    ramp !== undefined &&
    !(Array.isArray(ramp) && ramp.length === 2 && ramp.every(isFiniteNumber) && 0 <= ramp[0] && ramp[0] < ramp[1])
  ) {
    problems.push('mouth.openingRamp must be [lo, hi] with 0 ≤ lo < hi');
  }
  if (problems.length > before) return;
  const [resolution, downBlocks, border] = [m.resolution, m.downBlocks, m.alphaBorder] as number[];
  if (resolution % 2 ** downBlocks !== 0) problems.push(`mouth.resolution ${resolution} is not divisible by 2^mouth.downBlocks`);
  if ((m.minChannels as number) > (m.maxChannels as number)) problems.push('mouth.minChannels exceeds mouth.maxChannels');
  if (2 * border >= resolution) problems.push('mouth.alphaBorder must be less than half of mouth.resolution');
}

function isFiniteNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
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
