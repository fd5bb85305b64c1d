// Feed-forward use of the meta-learned networks (paper §3.2 "few-shot by feed-forward"):
// ê = mean_k E(x_k, y_k), ψ̂ = P ê, then one G pass per driving landmark image.
import * as tf from '@tensorflow/tfjs';
import type { RgbaImage } from '../landmarks/types.ts';
import type { Embedder } from './embedder.ts';
import type { Generator } from './generator.ts';
import { freezeWeights, type WeightSource } from './spectral-norm.ts';

/** Frames embedded per E call: bounds peak memory for K = 32 at paper resolution. */
const EMBED_CHUNK = 8;

/** ê [N]: the mean of E over K frames and their landmark images ([K, H, W, 3] each, in [-1, 1]). */
export function computeEmbedding(
  embedder: Embedder,
  frames: tf.Tensor4D,
  landmarkImages: tf.Tensor4D,
  weights?: WeightSource,
): tf.Tensor1D {
  const k = frames.shape[0];
  if (k === 0 || landmarkImages.shape[0] !== k) {
    throw new Error(`computeEmbedding needs K ≥ 1 frames and as many landmark images (got ${k} and ${landmarkImages.shape[0]})`);
  }
  return tf.tidy(() => {
    const sums: tf.Tensor[] = [];
    for (let start = 0; start < k; start += EMBED_CHUNK) {
      const size = Math.min(EMBED_CHUNK, k - start);
      const chunk = embedder.embed(
        tf.slice(frames, [start, 0, 0, 0], [size, -1, -1, -1]),
        tf.slice(landmarkImages, [start, 0, 0, 0], [size, -1, -1, -1]),
        weights,
      );
      sums.push(tf.sum(chunk, 0));
    }
    return tf.div(tf.addN(sums), k) as tf.Tensor1D;
  });
}

/** One frame [1, H, W, 3] in [-1, 1] from ψ [1, psiSize] and a landmark image [H, W, 3] or [1, H, W, 3]. */
export function renderFrame(
  generator: Generator,
  psi: tf.Tensor2D,
  landmarkImage: tf.Tensor3D | tf.Tensor4D,
  weights?: WeightSource,
): tf.Tensor4D {
  return tf.tidy(() => {
    const batch = landmarkImage.rank === 3 ? tf.expandDims(landmarkImage, 0) : landmarkImage;
    return generator.render(psi, batch as tf.Tensor4D, weights);
  });
}

export interface Renderer {
  readonly psi: tf.Tensor2D;
  render(landmarkImage: tf.Tensor3D | tf.Tensor4D): tf.Tensor4D;
  dispose(): void;
}

/**
 * Driving loop helper: ψ and the spectral-normalised weights are computed once, so each frame costs
 * one G pass. Build a new renderer after the generator's weights change (e.g. after fine-tuning).
 */
export function createRenderer(generator: Generator, psi: tf.Tensor2D): Renderer {
  const frozen = freezeWeights(generator.params);
  const ownPsi = tf.clone(psi);
  return {
    psi: ownPsi,
    render: (landmarkImage) => renderFrame(generator, ownPsi, landmarkImage, frozen.get),
    dispose: () => {
      frozen.dispose();
      ownPsi.dispose();
    },
  };
}

/** RGBA bytes → [H, W, 3] float tensor in [-1, 1] (alpha dropped). */
export function rgbaToTensor(image: RgbaImage): tf.Tensor3D {
  return tf.tidy(() => {
    const rgba = tf.tensor3d(Uint8Array.from(image.data), [image.height, image.width, 4], 'int32');
    const rgb = tf.slice(rgba, [0, 0, 0], [-1, -1, 3]);
    return tf.sub(tf.div(tf.cast(rgb, 'float32'), 127.5), 1) as tf.Tensor3D;
  });
}

/**
 * [H, W, 3] or [1, H, W, 3] tensor in [-1, 1] → opaque RGBA bytes (values clipped). Asynchronous
 * because WebGPU cannot read tensors back synchronously.
 */
export async function tensorToRgba(image: tf.Tensor3D | tf.Tensor4D): Promise<RgbaImage> {
  const [height, width] = image.rank === 4 ? image.shape.slice(1, 3) : image.shape.slice(0, 2);
  const rgb = tf.tidy(() => tf.round(tf.mul(tf.add(tf.clipByValue(tf.reshape(image, [height, width, 3]), -1, 1), 1), 127.5)));
  const values = await rgb.data();
  rgb.dispose();
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data[4 * p] = values[3 * p];
    data[4 * p + 1] = values[3 * p + 1];
    data[4 * p + 2] = values[3 * p + 2];
    data[4 * p + 3] = 255;
  }
  return { width, height, data };
}
