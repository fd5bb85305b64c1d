// Loss terms of "Few-Shot Adversarial Learning of Realistic Neural Talking Head Models"
// (Zakharov et al. 2019), as pure tf.js functions: each returns a scalar tensor and keeps no state,
// so callers can wrap them in tf.tidy / tf.variableGrads freely.
//
// Detaching (PyTorch's `.detach()`): tf.js has no stopGradient op. A tensor is "detached" when it is
// computed OUTSIDE the function handed to tf.grad / tf.variableGrads / optimizer.minimize: gradients
// only flow through ops recorded while that function runs. So the discriminator features of the
// real frame (featureMatchingLoss) and the perceptual activations of the real frame (contentLoss)
// must be computed before the gradient closure and passed in as constants.
import * as tf from '@tensorflow/tfjs';

/** Discriminator hinge loss: mean(max(0, 1 − r_real)) + mean(max(0, 1 + r_fake)). */
export function hingeLossD(rReal: tf.Tensor, rFake: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const real = tf.mean(tf.relu(tf.sub(1, rReal)));
    const fake = tf.mean(tf.relu(tf.add(1, rFake)));
    return tf.add(real, fake) as tf.Scalar;
  });
}

/** Generator adversarial loss: −mean(r_fake). */
export function advLossG(rFake: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(rFake)) as tf.Scalar);
}

/** Mean absolute difference of two same-shaped tensors. */
export function meanAbsoluteError(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`L1 loss: shape mismatch [${a.shape}] vs [${b.shape}]`);
  }
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar);
}

/**
 * Σ_l weight_l · mean|real_l − fake_l| over paired activation lists (layer weights default to 1).
 * Pass `real` computed outside any gradient closure so it acts as a constant (see header).
 */
export function weightedL1Sum(real: readonly tf.Tensor[], fake: readonly tf.Tensor[], layerWeights?: readonly number[]): tf.Scalar {
  if (real.length !== fake.length) {
    throw new Error(`L1 sum: ${real.length} real activations vs ${fake.length} fake`);
  }
  if (layerWeights && layerWeights.length !== real.length) {
    throw new Error(`L1 sum: ${layerWeights.length} layer weights for ${real.length} activations`);
  }
  if (real.length === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const terms = real.map((r, i) => tf.mul(meanAbsoluteError(r, fake[i]), layerWeights?.[i] ?? 1));
    return tf.addN(terms) as tf.Scalar;
  });
}

/**
 * Feature matching loss (paper eq. 4's L_FM): Σ_l mean|D_l(real) − D_l(fake)| over the
 * discriminator's intermediate activations. `featsReal` must be computed outside the gradient
 * closure (that is how it is detached).
 */
export function featureMatchingLoss(featsReal: tf.Tensor[], featsFake: tf.Tensor[]): tf.Scalar {
  return weightedL1Sum(featsReal, featsFake);
}

/** Embedding match loss L_MCH: mean|ê − W_i| (L1) between embedder output and discriminator column. */
export function embeddingMatchLoss(e: tf.Tensor, w: tf.Tensor): tf.Scalar {
  return meanAbsoluteError(e, w);
}

/** Activations of one perceptual network for the real and the generated frame, with its weight. */
export interface ContentTerm {
  /** Activations of the real frame: computed outside the gradient closure (constants). */
  readonly real: readonly tf.Tensor[];
  /** Activations of the generated frame, same layers and order as `real`. */
  readonly fake: readonly tf.Tensor[];
  /** Weight of this network's term (paper: VGG19 1.5e-1, VGGFace 2.5e-2). */
  readonly weight: number;
  /** Optional per-layer weights inside the term (default 1 each). */
  readonly layerWeights?: readonly number[];
}

/** Content loss L_CNT: Σ_networks weight · Σ_layers layerWeight · mean|real − fake|. */
export function contentLoss(terms: readonly ContentTerm[]): tf.Scalar {
  if (terms.length === 0) return tf.scalar(0);
  return tf.tidy(() => tf.addN(terms.map((t) => tf.mul(weightedL1Sum(t.real, t.fake, t.layerWeights), t.weight))) as tf.Scalar);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
