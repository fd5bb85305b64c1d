// Functional building blocks over NHWC tensors. Weights come from a WeightSource by name, so the
// same code runs with live spectral-normalised variables (training) or frozen tensors (driving).
import * as tf from '@tensorflow/tfjs';
import type { WeightSource } from '../spectral-norm.ts';

const NORM_EPSILON = 1e-5;

/** "same"-padded stride-1 convolution with bias: weights `<name>/kernel` (HWIO) and `<name>/bias`. */
export function conv2d(w: WeightSource, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const kernel = w(`${name}/kernel`) as tf.Tensor4D;
  const y = tf.getBackend() === 'cpu' ? convWithMatMulFilterGrad(x, kernel) : tf.conv2d(x, kernel, 1, 'same');
  return tf.add(y, w(`${name}/bias`));
}

/**
 * tf.conv2d whose kernel gradient is kh·kw matrix products instead of tf.js's CPU
 * Conv2DBackpropFilter, which is ~100× slower than the forward conv and made fine-tuning on the CPU
 * fallback (and the unit tests) crawl. Same values, same input gradient.
 */
const convWithMatMulFilterGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, kernel, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([x, kernel]);
  return {
    value: tf.conv2d(x, kernel, 1, 'same'),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dy4 = dy as tf.Tensor4D;
      const dx = tf.conv2dTranspose(dy4, filter, input.shape, 1, 'same');
      return [dx, kernelGradient(input, filter.shape, dy4)];
    },
  };
});

/**
 * dL/dK[i, j, c, o] = Σ_{b,y,x} x_pad[b, y + i, x + j, c] · dy[b, y, x, o] for a "same"-padded odd
 * kernel, computed as one "valid" forward conv with the batch axis as the contracted channel axis
 * (input x_pad as [C, H+2p, W+2p, B], filter dy as [H, W, B, O]): the CPU forward conv is fast.
 */
function kernelGradient(x: tf.Tensor4D, kernelShape: readonly number[], dy: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw] = kernelShape;
  const padY = (kh - 1) / 2;
  const padX = (kw - 1) / 2;
  const padded =
    padY === 0 && padX === 0
      ? x
      : tf.pad(x, [
          [0, 0],
          [padY, padY],
          [padX, padX],
          [0, 0],
        ]);
  const gradient = tf.conv2d(tf.transpose(padded, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 'valid');
  return tf.transpose(gradient, [1, 2, 0, 3]);
}

/** Per-sample, per-channel normalisation over H and W (biased variance, ε = 1e-5, like PyTorch). */
export function instanceNormalize(x: tf.Tensor4D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, NORM_EPSILON)));
}

/** Instance norm with learned affine γ (`<name>/gamma`) and β (`<name>/beta`). */
export function instanceNorm(w: WeightSource, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return tf.add(tf.mul(instanceNormalize(x), w(`${name}/gamma`)), w(`${name}/beta`));
}

/** AdaIN(x, γ, β) = γ · IN(x) + β with per-sample γ, β of shape [B or 1, C] taken from ψ. */
export function adaptiveInstanceNorm(x: tf.Tensor4D, scale: tf.Tensor2D, bias: tf.Tensor2D): tf.Tensor4D {
  const [batch, channels] = scale.shape;
  const scale4 = tf.reshape(scale, [batch, 1, 1, channels]);
  const bias4 = tf.reshape(bias, [batch, 1, 1, channels]);
  return tf.add(tf.mul(instanceNormalize(x), scale4), bias4);
}

export function averagePool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 2, 2, 'valid');
}

/**
 * Nearest-neighbour ×2 up-sampling (each pixel becomes a 2×2 block, as PyTorch's mode="nearest"),
 * built from concat + reshape. Not tf.image.resizeNearestNeighbor: tf.js 4.22's CPU gradient of
 * that kernel reads dy with the input's batch stride, wrong for every sample after the first.
 */
export function upsampleNearest2(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const columns = tf.reshape(x, [b, h, w, 1, c]);
  const wide = tf.reshape(tf.concat([columns, columns], 3), [b, h, 1, 2 * w, c]);
  return tf.reshape(tf.concat([wide, wide], 2), [b, 2 * h, 2 * w, c]);
}

/**
 * SAGAN self-attention: y = x + γ · (softmax_j(q_i · k_j) v_j), with 1×1 convs `query`, `key`
 * (C/8 channels) and `value` (C channels) and a scalar γ (`<name>/gamma`, initialised to 0 so a
 * fresh block is the identity). No 1/√d scaling, as in SAGAN.
 */
export function selfAttention(w: WeightSource, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, wd, c] = x.shape;
  const n = h * wd;
  const q = tf.reshape(conv2d(w, `${name}/query`, x), [b, n, -1]);
  const k = tf.reshape(conv2d(w, `${name}/key`, x), [b, n, -1]);
  const v = tf.reshape(conv2d(w, `${name}/value`, x), [b, n, c]);
  const attention = tf.softmax(tf.matMul(q, k, false, true));
  const attended = tf.reshape(tf.matMul(attention, v), [b, h, wd, c]);
  return tf.add(x, tf.mul(w(`${name}/gamma`), attended));
}

/** Global sum pooling over H and W after ReLU: [B, H, W, C] → [B, C]. */
export function reluSumPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.sum(tf.relu(x), [1, 2]);
}
