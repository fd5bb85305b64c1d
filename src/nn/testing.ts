// Shared fixtures of the src/nn unit tests: the CPU backend and deterministic inputs.
import * as tf from '@tensorflow/tfjs';
import { loadPreset, usesWarp, validateConfig, type NetConfig } from './config.ts';
import { createDiscriminator } from './discriminator.ts';
import { createEmbedder } from './embedder.ts';
import { computeEmbedding } from './ff.ts';
import { createFineTuner, type FineTuneOptions } from './finetune.ts';
import { createGenerator } from './generator.ts';

/** Tests run on the pure-JS CPU backend so results do not depend on the machine's GPU. */
export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** A batch of `count` deterministic pseudo-images [count, size, size, 3] in [-1, 1]. */
export function randomImages(count: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([count, size, size, 3], -1, 1, 'float32', seed) as tf.Tensor4D;
}

/** A batch of `count` deterministic pseudo-masks [count, size, size, 1] in [0, 1]. */
export function randomMasks(count: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([count, size, size, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
}

/** Sets every self-attention γ of a registry (they start at 0, which blocks gradients to q, k, v). */
export function setAttentionGammas(params: { list(): { name: string; variable: tf.Variable }[] }, value: number): void {
  for (const { name, variable } of params.list()) {
    if (/attention[^/]*\/gamma$/.test(name)) variable.assign(tf.scalar(value));
  }
}

/**
 * An even smaller network than the "tiny" preset (8 px, 4→8 channels, one block of each kind) for
 * tests that loop hundreds of times, such as the tensor-leak checks.
 */
export function microConfig(): NetConfig {
  return validateConfig({
    ...loadPreset('tiny'),
    name: 'micro',
    resolution: 8,
    minChannels: 4,
    maxChannels: 8,
    embedDim: 8,
    embedder: { downBlocks: 2, attentionAfterBlock: 0 },
    generator: { downBlocks: 1, bottleneckBlocks: 1, attentionAfterDownBlock: 0, attentionAfterUpBlock: 0 },
    discriminator: { downBlocks: 2, extraBlocks: 1, attentionAfterBlock: 0, numVideos: 0 },
  });
}

/** microConfig with the warp-guided generator (generator.input "landmarks+warp", alphaBias −3). */
export function microWarpConfig(): NetConfig {
  const micro = microConfig();
  return validateConfig({ ...micro, name: 'micro-warp', generator: { ...micro.generator, input: 'landmarks+warp', alphaBias: -3 } });
}

/** A smooth, structured [1, size, size, 3] target in [-1, 1] (a bright disc on a colour ramp). */
export function syntheticFrame(size: number): tf.Tensor4D {
  const values = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inDisc = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 3) ** 2;
      const i = 3 * (y * size + x);
      values[i] = inDisc ? 0.8 : -0.6 + x / size;
      values[i + 1] = inDisc ? 0.5 : -0.8 + y / size;
      values[i + 2] = inDisc ? -0.2 : 0.3;
    }
  }
  return tf.tensor4d(values, [1, size, size, 3]);
}

/**
 * Meta-learned stand-ins (random weights) plus K frames, ready for fine-tuning; a warp-guided G
 * also gets K warped images and masks (random stand-ins for the caller's warps).
 */
export function fineTuneFixture(config: NetConfig, k: number, options: FineTuneOptions = {}) {
  const embedder = createEmbedder(config);
  const generator = createGenerator(config);
  const discriminator = createDiscriminator(config, 0);
  const frames = randomImages(k, config.resolution, 1);
  const landmarkImages = randomImages(k, config.resolution, 2);
  const warp = usesWarp(config) ? { warped: randomImages(k, config.resolution, 3), mask: randomMasks(k, config.resolution, 4) } : {};
  const embedding = computeEmbedding(embedder, frames, landmarkImages);
  const tuner = createFineTuner({ generator, discriminator, embedding, frames, landmarkImages, ...warp }, options);
  const dispose = (): void => {
    tuner.dispose();
    [embedder, generator, discriminator].forEach((n) => n.dispose());
    tf.dispose([frames, landmarkImages, embedding, ...Object.values(warp)]);
  };
  return { generator, discriminator, embedding, frames, landmarkImages, ...warp, tuner, dispose };
}
