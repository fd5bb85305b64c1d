// Functional building blocks over NHWC tensors. Weights come from a WeightSource by name, so the
// same code runs with live spectral-normalised variables (training) or frozen tensors (driving).
import * as tf from '@tensorflow/tfjs';
import type { WeightSource } from '../spectral-norm.ts';
import { tensorsInCpuMemory } from '../backend.ts';
import { hasNormKernel, runNormAffineRelu } from './norm-kernel.ts';

const NORM_EPSILON = 1e-5;

/**
 * Whether a gradient tape records (training, fine-tuning). Without one (driving, previews,
 * evaluation) the ops below take faster forms with equal values that have no usable gradient here:
 * the fused norm kernel (norm-kernel.ts; tf.batchNorm on the GPU backends), the conv with its bias
 * fused, nearest resizing.
 */
const recording = () => tf.engine().isTapeOn();

/** "same"-padded stride-1 convolution with bias: weights `<name>/kernel` (HWIO) and `<name>/bias`. */
export function conv2d(w: WeightSource, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const kernel = w(`${name}/kernel`) as tf.Tensor4D;
  if (!recording()) return tf.fused.conv2d({ x, filter: kernel, bias: w(`${name}/bias`), strides: 1, pad: 'same' });
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
function instanceNormalize(x: tf.Tensor4D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, NORM_EPSILON)));
}

/**
 * relu(γ · IN(x) + β) for one sample x [1, H, W, C], γ and β [C] or [1, 1, 1, C], in as few tf.js
 * kernels as the GPU backends allow (untaped there): the mean, the squared difference and its mean,
 * then tf.batchNorm, one fused kernel, and the ReLU: 5 kernels where the taped form runs about 12.
 * One sample only: the CPU and WASM batchNorm kernels broadcast statistics along channels alone.
 * Exported for its test.
 */
export function batchNormRelu(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  if (x.shape[0] !== 1) throw new Error(`batchNormRelu: one sample only, got ${x.shape[0]}`);
  const mean = tf.mean(x, [1, 2], true);
  const variance = tf.mean(tf.squaredDifference(x, mean), [1, 2], true);
  const [scale, offset] = [gamma, beta].map((t) => (t.rank === 4 ? t : tf.reshape(t, [1, 1, 1, -1]))) as tf.Tensor4D[];
  return tf.relu(tf.batchNorm(x, mean as tf.Tensor4D, variance as tf.Tensor4D, offset, scale, NORM_EPSILON));
}

/** relu(γ · IN(x) + β) with learned γ (`<name>/gamma`) and β (`<name>/beta`), each [C]. */
export function instanceNormRelu(w: WeightSource, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const gamma = w(`${name}/gamma`);
  const beta = w(`${name}/beta`);
  if (!recording()) {
    if (hasNormKernel()) return runNormAffineRelu(x, gamma, beta, { scaleOffset: 0, biasOffset: 0, epsilon: NORM_EPSILON, relu: true });
    if (x.shape[0] === 1) return batchNormRelu(x, gamma, beta);
  }
  return tf.relu(tf.add(tf.mul(instanceNormalize(x), gamma), beta));
}

/**
 * relu(AdaIN(x)) = relu(γ · IN(x) + β) with per-sample γ = ψ[:, offset … offset + C) and
 * β = ψ[:, offset + C … offset + 2C), ψ [B or 1, psiSize].
 */
export function adaptiveInstanceNormRelu(x: tf.Tensor4D, psi: tf.Tensor2D, offset: number): tf.Tensor4D {
  const channels = x.shape[3];
  if (!recording() && hasNormKernel())
    return runNormAffineRelu(x, psi, psi, { scaleOffset: offset, biasOffset: offset + channels, epsilon: NORM_EPSILON, relu: true });
  const batch = psi.shape[0];
  const scale = tf.reshape(tf.slice(psi, [0, offset], [-1, channels]), [batch, 1, 1, channels]);
  const bias = tf.reshape(tf.slice(psi, [0, offset + channels], [-1, channels]), [batch, 1, 1, channels]);
  if (!recording() && x.shape[0] === 1) return batchNormRelu(x, scale, bias);
  return tf.relu(tf.add(tf.mul(instanceNormalize(x), scale), bias));
}

/**
 * tf.concat along channels. On the backends whose tensors live in CPU memory, while no tape records,
 * a sum of the parts zero-padded to the full channel count instead (equal values): tf.js's concat
 * there copies each pixel's run of channels in a JS loop, about 1 ms for G's 64 px input on WASM,
 * where a pad is one WASM call.
 */
export function concatChannels(parts: readonly tf.Tensor4D[]): tf.Tensor4D {
  if (parts.length < 2 || recording() || !tensorsInCpuMemory()) return tf.concat([...parts], 3);
  const total = parts.reduce((n, p) => n + p.shape[3], 0);
  let offset = 0;
  let sum: tf.Tensor4D | undefined;
  for (const part of parts) {
    const c = part.shape[3];
    const padded = tf.pad(part, [
      [0, 0],
      [0, 0],
      [0, 0],
      [offset, total - offset - c],
    ]);
    sum = sum === undefined ? padded : tf.add(sum, padded);
    offset += c;
  }
  return sum!;
}

export function averagePool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 2, 2, 'valid');
}

/**
 * Nearest-neighbour ×2 up-sampling (each pixel becomes a 2×2 block, as PyTorch's mode="nearest"),
 * built from concat + reshape. Not tf.image.resizeNearestNeighbor: tf.js 4.22's CPU gradient of
 * that kernel reads dy with the input's batch stride, wrong for every sample after the first; used
 * only while no tape records (its values are these).
 */
export function upsampleNearest2(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (!recording()) return tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w]);
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
