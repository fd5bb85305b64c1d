// The three networks as plain data: an ordered list of blocks with their channel counts and
// feature-map sizes, derived from a NetConfig. The forward passes (tf.js), the parameter list,
// the parameter counts and the FLOP estimate all read this one plan, so they cannot disagree.
// No tf.js import here: scripts/nn-summary.ts counts the paper network without allocating it.
import { blends, channelsAt, generatorChannelsAt, MOUTH_INPUT, mouthNetConfig, usesWarp, type NetConfig } from './config.ts';

export type NetworkName = 'embedder' | 'generator' | 'discriminator';

/** Residual down-sampling block: two 3×3 convs, 2×2 average pooling, 1×1 conv on the skip. */
export interface DownBlock {
  readonly kind: 'down';
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Side of the block's input feature map; the output is half of it. */
  readonly inputSize: number;
  readonly norm: 'none' | 'instance';
  /** False for the first block: the raw input is not normalised / rectified before the first conv. */
  readonly preActivation: boolean;
}

/** Residual block keeping size and channels (generator bottleneck: AdaIN; discriminator: none). */
export interface ResBlock {
  readonly kind: 'res';
  readonly name: string;
  readonly channels: number;
  readonly size: number;
  readonly norm: 'none' | 'adain';
}

/** Residual up-sampling block with AdaIN and nearest-neighbour ×2 up-sampling. */
export interface UpBlock {
  readonly kind: 'up';
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly inputSize: number;
  /**
   * Channels of the encoder's activation at this block's output size, added through a
   * zero-initialised 3×3 conv ("lateral"); 0 for none (generator.encoderSkips).
   */
  readonly lateralChannels: number;
}

/** SAGAN self-attention: x + γ · softmax(q kᵀ) v, γ initialised to 0. */
export interface AttentionBlock {
  readonly kind: 'attention';
  readonly name: string;
  readonly channels: number;
  readonly keyChannels: number;
  readonly size: number;
}

/**
 * Generator head: AdaIN → ReLU → 3×3 conv. The paper's (blend false): tanh of a spectrally
 * normalised conv to RGB. Warp-guided (blend true): the raw output of a plain conv to 4 channels
 * (Δ before its tanh, then the α logit; generator.flow: 2 more, the flow's x and y), zero-initialised
 * so the untrained G returns the warp; generator.ts blends it: frame = warp(p + flow) + α·Δ.
 */
export interface OutputBlock {
  readonly kind: 'output';
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly size: number;
  readonly blend: boolean;
}

export type Block = DownBlock | ResBlock | UpBlock | AttentionBlock | OutputBlock;

export interface NetworkPlan {
  readonly network: NetworkName;
  readonly inputChannels: number;
  readonly blocks: readonly Block[];
}

/** One AdaIN layer's slice of ψ: scales at [offset, offset+channels), biases right after. */
export interface AdainSlot {
  /** Name of the normalisation inside its block, e.g. "generator/res0/norm1". */
  readonly name: string;
  readonly channels: number;
  readonly offset: number;
}

/** How a parameter is initialised and whether it is spectrally normalised. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: 'glorot' | 'zeros' | 'ones' | 'small-normal';
  /** True for conv/linear kernels: a persistent u vector "<name>_u" of length shape[last] comes with it. */
  readonly spectralNorm: boolean;
}

export const IMAGE_CHANNELS = 3;
/** Warp-guided G's extra inputs: the warped source photo (RGB) and its validity mask (1 channel). */
export const WARP_CHANNELS = 3;
export const MASK_CHANNELS = 1;
/** Warp-guided G's output conv: the residual Δ (RGB) and the blend-mask logit. */
export const BLEND_OUTPUT_CHANNELS = IMAGE_CHANNELS + 1;
/** generator.flow: two more output channels, the flow's x and y (before FLOW_RANGE · tanh). */
export const FLOW_CHANNELS = 2;
/**
 * The mouth generator's inputs (config.ts MouthConfig): the frame's crop (RGB) and the inner and outer
 * lips' polygons (2 channels); its blocks and projection live in G under this prefix.
 */
export const LIP_CHANNELS = 2;
export const MOUTH_PREFIX = 'generator/mouth';
export const MOUTH_PROJECTION_KERNEL = `${MOUTH_PREFIX}/projection/kernel`;

/** Side of the final feature map of E and V. */
export function finalSize(config: NetConfig, downBlocks: number): number {
  return config.resolution / 2 ** downBlocks;
}

/** Down blocks shared by E and V: (image ⊕ landmark image) → N channels at resolution / 2^blocks. */
function encoderBlocks(config: NetConfig, network: NetworkName, downBlocks: number, attentionAfter: number | null): Block[] {
  const blocks: Block[] = [];
  let channels = 2 * IMAGE_CHANNELS;
  for (let i = 0; i < downBlocks; i++) {
    const out = channelsAt(config, i);
    blocks.push({
      kind: 'down',
      name: `${network}/down${i}`,
      inChannels: channels,
      outChannels: out,
      inputSize: config.resolution / 2 ** i,
      norm: 'none',
      preActivation: i > 0,
    });
    channels = out;
    if (attentionAfter === i) blocks.push(attention(`${network}/attention`, out, config.resolution / 2 ** (i + 1)));
  }
  return blocks;
}

function attention(name: string, channels: number, size: number): AttentionBlock {
  return { kind: 'attention', name, channels, keyChannels: Math.max(1, Math.floor(channels / 8)), size };
}

export function embedderPlan(config: NetConfig): NetworkPlan {
  const { downBlocks, attentionAfterBlock } = config.embedder;
  return {
    network: 'embedder',
    inputChannels: 2 * IMAGE_CHANNELS,
    blocks: encoderBlocks(config, 'embedder', downBlocks, attentionAfterBlock),
  };
}

export function discriminatorPlan(config: NetConfig): NetworkPlan {
  const { downBlocks, extraBlocks, attentionAfterBlock } = config.discriminator;
  const blocks = encoderBlocks(config, 'discriminator', downBlocks, attentionAfterBlock);
  const size = finalSize(config, downBlocks);
  for (let i = 0; i < extraBlocks; i++) {
    blocks.push({ kind: 'res', name: `discriminator/extra${i}`, channels: config.embedDim, size, norm: 'none' });
  }
  return { network: 'discriminator', inputChannels: 2 * IMAGE_CHANNELS, blocks };
}

/**
 * Channels of G's input: the landmark image (3), plus the warped source (3) and its mask (1) when
 * warp-guided; the frame's crop (3) and the lips (2) for the mouth generator.
 */
export function generatorInputChannels(config: NetConfig): number {
  if (config.generator.input === MOUTH_INPUT) return IMAGE_CHANNELS + LIP_CHANNELS;
  return usesWarp(config) ? IMAGE_CHANNELS + WARP_CHANNELS + MASK_CHANNELS : IMAGE_CHANNELS;
}

/** G's blocks, named `${prefix}/<block>` (the mouth generator's: MOUTH_PREFIX, mouthPlan). */
export function generatorPlan(config: NetConfig, prefix = 'generator'): NetworkPlan {
  const g = config.generator;
  const blocks: Block[] = [];
  const inputChannels = generatorInputChannels(config);
  let channels = inputChannels;
  let size = config.resolution;
  // The encoder's channels by spatial size (its last activation there): what encoder skips add.
  const encoder = new Map<number, number>([[size, channels]]);
  for (let i = 0; i < g.downBlocks; i++) {
    const out = generatorChannelsAt(config, i);
    blocks.push({
      kind: 'down',
      name: `${prefix}/down${i}`,
      inChannels: channels,
      outChannels: out,
      inputSize: size,
      norm: 'instance',
      preActivation: i > 0,
    });
    channels = out;
    size /= 2;
    encoder.set(size, channels);
    if (g.attentionAfterDownBlock === i) blocks.push(attention(`${prefix}/attention_down`, channels, size));
  }
  for (let i = 0; i < g.bottleneckBlocks; i++) {
    blocks.push({ kind: 'res', name: `${prefix}/res${i}`, channels, size, norm: 'adain' });
  }
  for (let i = 0; i < g.downBlocks; i++) {
    // Mirror of the down path; the last up block keeps minChannels (paper: 512→256→128→64→64).
    const out = generatorChannelsAt(config, Math.max(g.downBlocks - 2 - i, 0));
    const lateralChannels = g.encoderSkips ? (encoder.get(2 * size) ?? 0) : 0;
    blocks.push({ kind: 'up', name: `${prefix}/up${i}`, inChannels: channels, outChannels: out, inputSize: size, lateralChannels });
    channels = out;
    size *= 2;
    if (g.attentionAfterUpBlock === i) blocks.push(attention(`${prefix}/attention_up`, channels, size));
  }
  const blend = blends(config);
  const outChannels = blend ? BLEND_OUTPUT_CHANNELS + (g.flow ? FLOW_CHANNELS : 0) : IMAGE_CHANNELS;
  blocks.push({ kind: 'output', name: `${prefix}/output`, inChannels: channels, outChannels, size, blend });
  return { network: 'generator', inputChannels, blocks };
}

/** The mouth generator's blocks (config.mouth), or undefined for a preset without one. */
export function mouthPlan(config: NetConfig): NetworkPlan | undefined {
  return config.mouth ? generatorPlan(mouthNetConfig(config), MOUTH_PREFIX) : undefined;
}

export function planFor(config: NetConfig, network: NetworkName): NetworkPlan {
  if (network === 'embedder') return embedderPlan(config);
  if (network === 'generator') return generatorPlan(config);
  return discriminatorPlan(config);
}

/** The AdaIN layers of G in forward order; ψ is their [scale, bias] pairs concatenated. */
export function adainSlots(plan: NetworkPlan): AdainSlot[] {
  const slots: AdainSlot[] = [];
  let offset = 0;
  const add = (name: string, channels: number): void => {
    slots.push({ name, channels, offset });
    offset += 2 * channels;
  };
  for (const block of plan.blocks) {
    if (block.kind === 'res' && block.norm === 'adain') {
      add(`${block.name}/norm1`, block.channels);
      add(`${block.name}/norm2`, block.channels);
    } else if (block.kind === 'up') {
      add(`${block.name}/norm1`, block.inChannels);
      add(`${block.name}/norm2`, block.outChannels);
    } else if (block.kind === 'output') {
      add(`${block.name}/norm`, block.inChannels);
    }
  }
  return slots;
}

/** Length of ψ: two numbers (scale, bias) per channel of every AdaIN layer. */
export function psiSize(plan: NetworkPlan): number {
  return adainSlots(plan).reduce((sum, slot) => sum + 2 * slot.channels, 0);
}

function conv(name: string, kernel: number, inChannels: number, outChannels: number): ParamSpec[] {
  return [
    { name: `${name}/kernel`, shape: [kernel, kernel, inChannels, outChannels], init: 'glorot', spectralNorm: true },
    { name: `${name}/bias`, shape: [outChannels], init: 'zeros', spectralNorm: false },
  ];
}

function instanceNorm(name: string, channels: number): ParamSpec[] {
  return [
    { name: `${name}/gamma`, shape: [channels], init: 'ones', spectralNorm: false },
    { name: `${name}/beta`, shape: [channels], init: 'zeros', spectralNorm: false },
  ];
}

export function blockParamSpecs(block: Block): ParamSpec[] {
  switch (block.kind) {
    case 'down': {
      const specs: ParamSpec[] = [];
      if (block.norm === 'instance' && block.preActivation) specs.push(...instanceNorm(`${block.name}/norm1`, block.inChannels));
      specs.push(...conv(`${block.name}/conv1`, 3, block.inChannels, block.outChannels));
      if (block.norm === 'instance') specs.push(...instanceNorm(`${block.name}/norm2`, block.outChannels));
      specs.push(...conv(`${block.name}/conv2`, 3, block.outChannels, block.outChannels));
      if (block.inChannels !== block.outChannels) specs.push(...conv(`${block.name}/skip`, 1, block.inChannels, block.outChannels));
      return specs;
    }
    case 'res':
      return [
        ...conv(`${block.name}/conv1`, 3, block.channels, block.channels),
        ...conv(`${block.name}/conv2`, 3, block.channels, block.channels),
      ];
    case 'up': {
      const specs = [
        ...conv(`${block.name}/conv1`, 3, block.inChannels, block.outChannels),
        ...conv(`${block.name}/conv2`, 3, block.outChannels, block.outChannels),
      ];
      if (block.inChannels !== block.outChannels) specs.push(...conv(`${block.name}/skip`, 1, block.inChannels, block.outChannels));
      if (block.lateralChannels > 0) {
        // Not spectrally normalised and zero, as the blend head: a new skip starts as a no-op.
        specs.push(
          {
            name: `${block.name}/lateral/kernel`,
            shape: [3, 3, block.lateralChannels, block.outChannels],
            init: 'zeros',
            spectralNorm: false,
          },
          { name: `${block.name}/lateral/bias`, shape: [block.outChannels], init: 'zeros', spectralNorm: false },
        );
      }
      return specs;
    }
    case 'attention':
      return [
        ...conv(`${block.name}/query`, 1, block.channels, block.keyChannels),
        ...conv(`${block.name}/key`, 1, block.channels, block.keyChannels),
        ...conv(`${block.name}/value`, 1, block.channels, block.channels),
        { name: `${block.name}/gamma`, shape: [], init: 'zeros', spectralNorm: false },
      ];
    case 'output':
      if (block.blend) {
        // Not spectrally normalised: σ of the zero kernel is 0, and the head must start as a no-op.
        return [
          { name: `${block.name}/conv/kernel`, shape: [3, 3, block.inChannels, block.outChannels], init: 'zeros', spectralNorm: false },
          { name: `${block.name}/conv/bias`, shape: [block.outChannels], init: 'zeros', spectralNorm: false },
        ];
      }
      return conv(`${block.name}/conv`, 3, block.inChannels, block.outChannels);
  }
}

/**
 * Every parameter of a network. Beyond its blocks, G owns the projection P (ê → ψ, no bias, as
 * ψ̂ = P ê in the paper) and D owns w0, b and, when numVideos > 0, the embedding matrix W.
 */
export function networkParamSpecs(config: NetConfig, plan: NetworkPlan, numVideos = config.discriminator.numVideos): ParamSpec[] {
  const specs = plan.blocks.flatMap(blockParamSpecs);
  if (plan.network === 'generator') {
    specs.push({ name: 'generator/projection/kernel', shape: [config.embedDim, psiSize(plan)], init: 'glorot', spectralNorm: true });
    const mouth = mouthPlan(config);
    if (mouth) {
      // The mouth generator: its blocks and its own projection P_m (ψ_m = P_m ê).
      specs.push(...mouth.blocks.flatMap(blockParamSpecs));
      specs.push({ name: MOUTH_PROJECTION_KERNEL, shape: [config.embedDim, psiSize(mouth)], init: 'glorot', spectralNorm: true });
    }
  }
  if (plan.network === 'discriminator') {
    // W and w0 are not spectrally normalised: L_MCH compares W_i with ê directly.
    if (numVideos > 0) {
      specs.push({ name: 'discriminator/embedding', shape: [config.embedDim, numVideos], init: 'small-normal', spectralNorm: false });
    }
    specs.push({ name: 'discriminator/w0', shape: [config.embedDim], init: 'small-normal', spectralNorm: false });
    specs.push({ name: 'discriminator/b', shape: [], init: 'zeros', spectralNorm: false });
  }
  return specs;
}
