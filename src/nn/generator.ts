// Generator G(y, ψ): landmark image → frame, with every AdaIN's scale and bias taken from ψ.
// ψ is an explicit input so fine-tuning can train ψ′ directly; psiFromEmbedding gives ψ̂ = P ê.
import * as tf from '@tensorflow/tfjs';
import type { NetConfig } from './config.ts';
import { applyBlock } from './layers/blocks.ts';
import { createParams, type ParamRegistry } from './params.ts';
import { adainSlots, generatorPlan, networkParamSpecs, psiSize, type AdainSlot, type NetworkPlan } from './plan.ts';
import { liveWeights, type WeightSource } from './spectral-norm.ts';

export const PROJECTION_KERNEL = 'generator/projection/kernel';

export interface Generator {
  readonly config: NetConfig;
  readonly plan: NetworkPlan;
  readonly params: ParamRegistry;
  /** Length of ψ (see plan.ts adainSlots for its layout). */
  readonly psiSize: number;
  readonly adainSlots: readonly AdainSlot[];
  /** ψ̂ = P ê for embeddings [N] or [B, N]; returns [B, psiSize]. */
  psiFromEmbedding(embedding: tf.Tensor, weights?: WeightSource): tf.Tensor2D;
  /** Frames [B, H, W, 3] in [-1, 1] for landmark images [B, H, W, 3] and ψ [B or 1, psiSize]. */
  render(psi: tf.Tensor2D, landmarkImages: tf.Tensor4D, weights?: WeightSource): tf.Tensor4D;
  dispose(): void;
}

export function createGenerator(config: NetConfig, seed = 2): Generator {
  const plan = generatorPlan(config);
  const params = createParams(networkParamSpecs(config, plan), seed);
  const slots = adainSlots(plan);
  const slotsByName = new Map(slots.map((slot) => [slot.name, slot]));
  const size = psiSize(plan);
  return {
    config,
    plan,
    params,
    psiSize: size,
    adainSlots: slots,
    psiFromEmbedding(embedding, weights = liveWeights(params)) {
      return tf.tidy(() => tf.matMul(tf.reshape(embedding, [-1, config.embedDim]), weights(PROJECTION_KERNEL) as tf.Tensor2D));
    },
    render(psi, landmarkImages, weights = liveWeights(params)) {
      if (psi.shape[1] !== size) throw new Error(`ψ has ${psi.shape[1]} values, the generator needs ${size}`);
      return tf.tidy(() => {
        let x: tf.Tensor4D = landmarkImages;
        for (const block of plan.blocks) x = applyBlock(block, x, { weights, psi, adainSlots: slotsByName });
        return x;
      });
    },
    dispose: () => params.dispose(),
  };
}
