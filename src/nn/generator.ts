// Generator G(y, ψ): landmark image → frame, with every AdaIN's scale and bias taken from ψ.
// ψ is an explicit input so fine-tuning can train ψ′ directly; psiFromEmbedding gives ψ̂ = P ê.
// A warp-guided G (generator.input "landmarks+warp") also reads the source photo warped to the
// driving landmarks and the warp's validity mask, and blends: frame = warp + α·Δ, where its head
// (zero at initialisation) gives Δ = 2·tanh(raw[:3]) and α = sigmoid(raw[3] + alphaBias + alphaMaskGain·(1 − mask)).
// With generator.flow the head also gives flow = FLOW_RANGE·tanh(raw[4:6]) (crop units) and the warp is
// first resampled at p + flow(p): frame = warp(p + flow) + α·Δ. With generator.alphaBorder, α is
// multiplied by a fixed ramp (alphaBorderRamp) that is 0 at the crop's edge. With config.mouth, G also
// holds the mouth generator (`mouth`): the same forward pass over its own plan and projection, reading
// a crop of the shown frame and the lips (mouth.ts runs it; src/nn/README.md, "Mouth generator").
import * as tf from '@tensorflow/tfjs';
import { blends, MOUTH_INPUT, mouthNetConfig, usesWarp, type NetConfig } from './config.ts';
import { applyBlock } from './layers/blocks.ts';
import { concatChannels } from './layers/ops.ts';
import { displace } from '../landmarks/warp.ts';
import { createParams, type ParamRegistry } from './params.ts';
import {
  adainSlots,
  generatorPlan,
  IMAGE_CHANNELS,
  LIP_CHANNELS,
  MASK_CHANNELS,
  MOUTH_PREFIX,
  MOUTH_PROJECTION_KERNEL,
  networkParamSpecs,
  psiSize,
  WARP_CHANNELS,
  type AdainSlot,
  type NetworkPlan,
} from './plan.ts';
import { liveWeights, type WeightSource } from './spectral-norm.ts';

export const PROJECTION_KERNEL = 'generator/projection/kernel';

/** Δ = DELTA_RANGE · tanh(raw): a residual can take any frame in [-1, 1] to any other. */
export const DELTA_RANGE = 2;
/** flow = FLOW_RANGE · tanh(raw), crop units: at most 1/20 of the crop (3.2 px at 64, 12.8 at 256). */
export const FLOW_RANGE = 0.05;

/** G's inputs by name (the config says which it needs); images NHWC in [-1, 1], batch B. */
export interface GeneratorInputs {
  /** [B, H, W, 3] the driving landmark image. */
  readonly landmarks: tf.Tensor4D;
  /** [B, H, W, 3] the source photo warped to the driving landmarks (warp-guided G only). */
  readonly warped?: tf.Tensor4D;
  /** [B, H, W, 1] the warp's validity in [0, 1] (warp-guided G only). */
  readonly mask?: tf.Tensor4D;
}

export interface GeneratorOutput {
  /** [B, H, W, 3]: in [-1, 1] for the paper's G; warp + α·Δ (about [-1, 1]) when warp-guided. */
  readonly frame: tf.Tensor4D;
  /** [B, H, W, 1] blend mask in (0, 1); absent for the paper's G. */
  readonly alpha?: tf.Tensor4D;
  /** [B, H, W, 3] residual added where α is high; absent for the paper's G. */
  readonly delta?: tf.Tensor4D;
  /** [B, H, W, 2] the learned flow's x, y in crop units (generator.flow); absent otherwise. */
  readonly flow?: tf.Tensor4D;
}

/**
 * The mouth generator (config.mouth): G's blocks at the mouth's own size, reading the shown frame's
 * crop around the driving mouth as `warped` and the lips' polygons [B, R, R, 2] in [0, 1] as
 * `landmarks` (src/landmarks/mouth-region.ts); its frame is crop + α·Δ. Its weights live in G's
 * registry under MOUTH_PREFIX, ψ_m = P_m ê.
 */
export type MouthGenerator = Omit<Generator, 'mouth' | 'dispose'> & {
  /** The crop's side: the inner lips' extent plus 2·pad outer-eye-corner distances (config.mouth.pad). */
  readonly pad: number;
  /** config.mouth.openingRamp: the driving mouth's openings over which the pass fades in. */
  readonly openingRamp?: readonly [number, number];
};

export interface Generator {
  readonly config: NetConfig;
  readonly plan: NetworkPlan;
  readonly params: ParamRegistry;
  /** Length of ψ (see plan.ts adainSlots for its layout). */
  readonly psiSize: number;
  readonly adainSlots: readonly AdainSlot[];
  /** ψ̂ = P ê for embeddings [N] or [B, N]; returns [B, psiSize]. */
  psiFromEmbedding(embedding: tf.Tensor, weights?: WeightSource): tf.Tensor2D;
  /**
   * The frame (and, warp-guided, α and Δ) for ψ [B or 1, psiSize] and the named inputs. Every
   * returned tensor is the caller's to dispose.
   */
  render(psi: tf.Tensor2D, inputs: GeneratorInputs, weights?: WeightSource): GeneratorOutput;
  /** config.mouth's generator (its parameters are in `params`), absent without one. */
  readonly mouth?: MouthGenerator;
  dispose(): void;
}

/**
 * The channels G's first block reads: the landmark image, then (warp-guided) the warped source and
 * 2·mask − 1. Throws when a warp-guided G lacks the warp or an input has the wrong shape.
 */
export function generatorInputTensor(config: NetConfig, inputs: GeneratorInputs): tf.Tensor4D {
  const { landmarks, warped, mask } = inputs;
  const [b, h, w] = landmarks.shape;
  if (config.generator.input === MOUTH_INPUT) {
    // The mouth generator: the frame's crop, then 2·lips − 1.
    checkShape('lips', landmarks, [b, h, w, LIP_CHANNELS]);
    if (warped === undefined) throw new Error("The mouth generator needs inputs.warped: the frame's crop around the mouth");
    checkShape('crop', warped, [b, h, w, IMAGE_CHANNELS]);
    return tf.tidy(() => concatChannels([warped, tf.sub(tf.mul(landmarks, 2), 1) as tf.Tensor4D]));
  }
  checkShape('landmarks', landmarks, [b, h, w, IMAGE_CHANNELS]);
  if (!usesWarp(config)) return landmarks;
  if (warped === undefined || mask === undefined) {
    throw new Error(
      `Generator "${config.name}" blends with the warped source (generator.input "landmarks+warp"): ` +
        `render needs inputs.warped [B, H, W, 3] and inputs.mask [B, H, W, 1] besides inputs.landmarks`,
    );
  }
  checkShape('warped', warped, [b, h, w, WARP_CHANNELS]);
  checkShape('mask', mask, [b, h, w, MASK_CHANNELS]);
  return tf.tidy(() => concatChannels([landmarks, warped, tf.sub(tf.mul(mask, 2), 1) as tf.Tensor4D]));
}

/**
 * The fixed factor on α of generator.alphaBorder = `width`: [size × size], row-major, the product of
 * min(1, (d + 0.5) / width) over both axes, d the pixel's distance in pixels from the nearer edge
 * (0 for the outermost row). All ones for width 0. nets.py alpha_border_ramp is its twin.
 */
export function alphaBorderRamp(size: number, width: number): Float32Array {
  const axis = Array.from({ length: size }, (_, i) => (width > 0 ? Math.min(1, (Math.min(i, size - 1 - i) + 0.5) / width) : 1));
  const ramp = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) ramp[y * size + x] = axis[y] * axis[x];
  return ramp;
}

function checkShape(label: string, tensor: tf.Tensor, expected: readonly number[]): void {
  if (!tf.util.arraysEqual(tensor.shape, expected as number[])) {
    throw new Error(`Generator input "${label}" has shape [${tensor.shape}], expected [${expected}]`);
  }
}

export function createGenerator(config: NetConfig, seed = 2): Generator {
  const plan = generatorPlan(config);
  const params = createParams(networkParamSpecs(config, plan), seed);
  const mouthConfig = config.mouth ? mouthNetConfig(config) : undefined;
  const mouth = mouthConfig && {
    ...forward(mouthConfig, generatorPlan(mouthConfig, MOUTH_PREFIX), params, MOUTH_PROJECTION_KERNEL),
    params,
    pad: config.mouth!.pad,
    openingRamp: config.mouth!.openingRamp,
  };
  return { ...forward(config, plan, params, PROJECTION_KERNEL), params, mouth, dispose: () => params.dispose() };
}

/** G's (or the mouth generator's) forward passes over `plan`'s blocks, reading weights from `params`. */
function forward(
  config: NetConfig,
  plan: NetworkPlan,
  params: ParamRegistry,
  projection: string,
): Omit<Generator, 'mouth' | 'dispose' | 'params'> {
  const slots = adainSlots(plan);
  const slotsByName = new Map(slots.map((slot) => [slot.name, slot]));
  const size = psiSize(plan);
  const blend = blends(config);
  const mouthInput = config.generator.input === MOUTH_INPUT;
  const alphaBias = config.generator.alphaBias ?? 0;
  const alphaMaskGain = blend ? (config.generator.alphaMaskGain ?? 0) : 0;
  const flow = usesWarp(config) && config.generator.flow === true;
  const alphaBorder = blend ? (config.generator.alphaBorder ?? 0) : 0;
  const lipRegion = mouthInput ? config.generator.alphaLipRegion : undefined;
  // The border's ramp, computed once per output size (a render is per frame).
  const ramps = new Map<number, Float32Array>();
  const rampFor = (size: number) => ramps.get(size) ?? ramps.set(size, alphaBorderRamp(size, alphaBorder)).get(size)!;
  return {
    config,
    plan,
    psiSize: size,
    adainSlots: slots,
    psiFromEmbedding(embedding, weights = liveWeights(params)) {
      return tf.tidy(() => tf.matMul(tf.reshape(embedding, [-1, config.embedDim]), weights(projection) as tf.Tensor2D));
    },
    render(psi, inputs, weights = liveWeights(params)) {
      if (psi.shape[1] !== size) throw new Error(`ψ has ${psi.shape[1]} values, the generator needs ${size}`);
      return tf.tidy(() => {
        let x = generatorInputTensor(config, inputs);
        const ctx = { weights, psi, adainSlots: slotsByName };
        // The encoder's last activation at each size (the input at full size), for encoder skips.
        const encoder = new Map<number, tf.Tensor4D>([[x.shape[1], x]]);
        let decoding = false;
        for (const block of plan.blocks) {
          if (block.kind === 'up') {
            decoding = true;
            x = applyBlock(block, x, ctx, block.lateralChannels > 0 ? encoder.get(2 * block.inputSize) : undefined);
          } else {
            x = applyBlock(block, x, ctx);
            if (!decoding) encoder.set(x.shape[1], x);
          }
        }
        if (!blend) return { frame: x };
        // frame = warp + α·Δ (= α·(warp + Δ) + (1 − α)·warp): the untrained head (raw = 0) returns the warp.
        const delta = tf.mul(tf.tanh(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, IMAGE_CHANNELS])), DELTA_RANGE) as tf.Tensor4D;
        let logit = tf.add(tf.slice(x, [0, 0, 0, IMAGE_CHANNELS], [-1, -1, -1, 1]), alphaBias);
        // The landmark prior: α starts high where the warp stretched or folded the photo (mask → 0);
        // the mouth generator's, inside the inner lips.
        if (alphaMaskGain !== 0) {
          const prior = mouthInput ? tf.slice(inputs.landmarks, [0, 0, 0, 0], [-1, -1, -1, 1]) : tf.sub(1, inputs.mask as tf.Tensor4D);
          logit = tf.add(logit, tf.mul(prior, alphaMaskGain));
        }
        let alpha = tf.sigmoid(logit) as tf.Tensor4D;
        if (alphaBorder > 0) {
          const [, h, w] = alpha.shape;
          if (h !== w) throw new Error(`generator.alphaBorder needs a square output, got ${h}×${w}`);
          alpha = tf.mul(alpha, tf.tensor4d(rampFor(h), [1, h, w, 1]));
        }
        if (lipRegion !== undefined) {
          // The mouth generator's region: the outer lips' polygon, grown by lipRegion pixels.
          const outer = tf.slice(inputs.landmarks, [0, 0, 0, 1], [-1, -1, -1, 1]);
          alpha = tf.mul(alpha, lipRegion > 0 ? tf.maxPool(outer, 2 * lipRegion + 1, 1, 'same') : outer);
        }
        if (!flow) return { frame: tf.add(inputs.warped as tf.Tensor4D, tf.mul(alpha, delta)) as tf.Tensor4D, alpha, delta };
        const offsets = tf.mul(tf.tanh(tf.slice(x, [0, 0, 0, IMAGE_CHANNELS + 1], [-1, -1, -1, 2])), FLOW_RANGE) as tf.Tensor4D;
        // G's own frame: the warp itself resampled (the app's display frame samples the photo once
        // at the warp's positions moved by the flow: avatar-session.ts, compose.ts displacePositions).
        const frame = tf.add(displace(inputs.warped as tf.Tensor4D, offsets), tf.mul(alpha, delta)) as tf.Tensor4D;
        return { frame, alpha, delta, flow: offsets };
      });
    },
  };
}
