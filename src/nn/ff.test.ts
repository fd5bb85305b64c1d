import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPreset } from './config.ts';
import { createEmbedder, type Embedder } from './embedder.ts';
import { computeEmbedding, createRenderer, renderFrame, rgbaToTensor, tensorToRgba } from './ff.ts';
import { createGenerator, type Generator } from './generator.ts';
import { microConfig, randomImages, useCpuBackend } from './testing.ts';

const config = loadPreset('tiny');
const size = config.resolution;
let embedder: Embedder;
let generator: Generator;

beforeAll(async () => {
  await useCpuBackend();
  embedder = createEmbedder(config);
  generator = createGenerator(config);
});

afterAll(() => {
  embedder.dispose();
  generator.dispose();
});

describe('feed-forward path', () => {
  it('ê is the mean of the per-frame embeddings, across embedding chunks too (K = 10)', () => {
    tf.tidy(() => {
      const frames = randomImages(10, size, 1);
      const landmarks = randomImages(10, size, 2);
      const e = computeEmbedding(embedder, frames, landmarks);
      expect(e.shape).toEqual([config.embedDim]);
      const perFrame = embedder.embed(frames, landmarks);
      const diff = tf.max(tf.abs(tf.sub(e, tf.mean(perFrame, 0)))).dataSync()[0];
      expect(diff / tf.max(tf.abs(e)).dataSync()[0]).toBeLessThan(1e-5);
    });
  });

  it('refuses mismatched frame and landmark counts', () => {
    tf.tidy(() => {
      expect(() => computeEmbedding(embedder, randomImages(2, size, 1), randomImages(3, size, 2))).toThrow(/as many landmark images/);
    });
  });

  it('the renderer draws what renderFrame draws, from a 3-D landmark image too', () => {
    tf.tidy(() => {
      const psi = generator.psiFromEmbedding(computeEmbedding(embedder, randomImages(2, size, 3), randomImages(2, size, 4)));
      const landmark = tf.squeeze(randomImages(1, size, 5), [0]) as tf.Tensor3D;
      const renderer = createRenderer(generator, psi);
      const fast = renderer.render(landmark);
      const plain = renderFrame(generator, psi, landmark);
      expect(fast.shape).toEqual([1, size, size, 3]);
      expect(tf.max(tf.abs(tf.sub(fast, plain))).dataSync()[0]).toBeLessThan(1e-5);
      renderer.dispose();
    });
  });

  it('converts RGBA bytes to [-1, 1] tensors and back', async () => {
    const data = new Uint8ClampedArray([0, 128, 255, 7, 10, 20, 30, 255]);
    const tensor = rgbaToTensor({ width: 2, height: 1, data });
    expect(tensor.shape).toEqual([1, 2, 3]);
    expect(tensor.dataSync()[0]).toBeCloseTo(-1, 6);
    expect(tensor.dataSync()[2]).toBeCloseTo(1, 6);
    const back = await tensorToRgba(tensor);
    expect(Array.from(back.data)).toEqual([0, 128, 255, 255, 10, 20, 30, 255]);
    tensor.dispose();
  });

  it('leaks no tensor over 1,000 renders', () => {
    const micro = microConfig();
    const small = createGenerator(micro);
    const psi = tf.tidy(() => small.psiFromEmbedding(tf.ones([micro.embedDim])));
    const landmark = randomImages(1, micro.resolution, 6);
    const renderer = createRenderer(small, psi);
    renderer.render(landmark).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) renderer.render(landmark).dispose();
    expect(tf.memory().numTensors).toBe(before);
    renderer.dispose();
    small.dispose();
    tf.dispose([psi, landmark]);
  });
});
