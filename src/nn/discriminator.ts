// Discriminator D(x, y, i) = V(x, y)ᵀ (W_i + w0) + b (paper eq. 7), a projection discriminator whose
// ConvNet V mirrors the embedder plus residual blocks at the final resolution.
import * as tf from '@tensorflow/tfjs';
import type { NetConfig } from './config.ts';
import { applyBlock } from './layers/blocks.ts';
import { reluSumPool } from './layers/ops.ts';
import { createParams, type ParamRegistry } from './params.ts';
import { discriminatorPlan, networkParamSpecs, type NetworkPlan } from './plan.ts';
import { liveWeights, type WeightSource } from './spectral-norm.ts';

export const EMBEDDING_MATRIX = 'discriminator/embedding';
export const W0 = 'discriminator/w0';
export const BIAS = 'discriminator/b';

export interface DiscriminatorFeatures {
  /** V(x, y): [B, N]. */
  readonly v: tf.Tensor2D;
  /** Activations after each residual block, for the feature-matching loss. */
  readonly features: tf.Tensor4D[];
}

export interface DiscriminatorOutput extends DiscriminatorFeatures {
  /** Realism scores r: [B]. */
  readonly realism: tf.Tensor1D;
}

export interface Discriminator {
  readonly config: NetConfig;
  readonly plan: NetworkPlan;
  readonly params: ParamRegistry;
  /** Columns of W; 0 when built for fine-tuning only. */
  readonly numVideos: number;
  /** Runs V on images and landmark images [B, H, W, 3] in [-1, 1]. */
  features(images: tf.Tensor4D, landmarkImages: tf.Tensor4D, weights?: WeightSource): DiscriminatorFeatures;
  /** W_i + w0 for each sample's training video index: [B, N]. */
  videoProjection(videoIndices: readonly number[], weights?: WeightSource): tf.Tensor2D;
  /**
   * r = V(x, y) · w + b, with w = W_i + w0 (meta-learning) or the fine-tuned w′, shaped [N] or [B, N].
   * Tensors it returns are the caller's to dispose.
   */
  score(images: tf.Tensor4D, landmarkImages: tf.Tensor4D, projection: tf.Tensor, weights?: WeightSource): DiscriminatorOutput;
  dispose(): void;
}

export function createDiscriminator(config: NetConfig, numVideos = config.discriminator.numVideos, seed = 3): Discriminator {
  const plan = discriminatorPlan(config);
  const params = createParams(networkParamSpecs(config, plan, numVideos), seed);
  const features = (images: tf.Tensor4D, landmarkImages: tf.Tensor4D, weights: WeightSource): DiscriminatorFeatures =>
    tf.tidy(() => {
      const activations: tf.Tensor4D[] = [];
      let x = tf.concat([images, landmarkImages], 3);
      for (const block of plan.blocks) {
        x = applyBlock(block, x, { weights });
        if (block.kind !== 'attention') activations.push(x);
      }
      return { v: reluSumPool(x), features: activations };
    });
  return {
    config,
    plan,
    params,
    numVideos,
    features: (images, landmarkImages, weights = liveWeights(params)) => features(images, landmarkImages, weights),
    videoProjection(videoIndices, weights = liveWeights(params)) {
      if (numVideos === 0) throw new Error('This discriminator was built without the per-video matrix W');
      return tf.tidy(() => {
        const columns = tf.gather(weights(EMBEDDING_MATRIX), tf.tensor1d([...videoIndices], 'int32'), 1);
        return tf.add(tf.transpose(columns), weights(W0)) as tf.Tensor2D;
      });
    },
    score(images, landmarkImages, projection, weights = liveWeights(params)) {
      const out = features(images, landmarkImages, weights);
      const realism = tf.tidy(
        () => tf.add(tf.sum(tf.mul(out.v, tf.reshape(projection, [-1, config.embedDim])), 1), weights(BIAS)) as tf.Tensor1D,
      );
      return { ...out, realism };
    },
    dispose: () => params.dispose(),
  };
}
