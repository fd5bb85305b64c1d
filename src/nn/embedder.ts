// Embedder E(x, y): frame ⊕ landmark image → N-vector (paper §3.1, appendix A).
import * as tf from '@tensorflow/tfjs';
import type { NetConfig } from './config.ts';
import { applyBlock } from './layers/blocks.ts';
import { reluSumPool } from './layers/ops.ts';
import { createParams, type ParamRegistry } from './params.ts';
import { embedderPlan, networkParamSpecs, type NetworkPlan } from './plan.ts';
import { liveWeights, type WeightSource } from './spectral-norm.ts';

export interface Embedder {
  readonly config: NetConfig;
  readonly plan: NetworkPlan;
  readonly params: ParamRegistry;
  /**
   * Per-frame embeddings [B, N] of frames and landmark images [B, H, W, 3] in [-1, 1]:
   * residual down blocks, ReLU, global sum pooling.
   */
  embed(frames: tf.Tensor4D, landmarkImages: tf.Tensor4D, weights?: WeightSource): tf.Tensor2D;
  dispose(): void;
}

export function createEmbedder(config: NetConfig, seed = 1): Embedder {
  const plan = embedderPlan(config);
  const params = createParams(networkParamSpecs(config, plan), seed);
  return {
    config,
    plan,
    params,
    embed(frames, landmarkImages, weights = liveWeights(params)) {
      return tf.tidy(() => {
        let x = tf.concat([frames, landmarkImages], 3);
        for (const block of plan.blocks) x = applyBlock(block, x, { weights });
        return reluSumPool(x);
      });
    },
    dispose: () => params.dispose(),
  };
}
