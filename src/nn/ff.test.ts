import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPreset } from './config.ts';
import { createEmbedder, type Embedder } from './embedder.ts';
import {
  computeEmbedding,
  createRenderer,
  renderFrame,
  renderOutput,
  rgbaToTensor,
  rgbaToUnitTensor,
  signedToByte,
  tensorToRgba,
  toRgbaBytes,
} from './ff.ts';
import { createGenerator, type Generator } from './generator.ts';
import { microConfig, microWarpConfig, randomImages, randomMasks, useCpuBackend } from './testing.ts';

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
      const fast = renderer.render({ landmarks: landmark });
      const plain = renderFrame(generator, psi, { landmarks: landmark });
      expect(fast.shape).toEqual([1, size, size, 3]);
      expect(tf.max(tf.abs(tf.sub(fast, plain))).dataSync()[0]).toBeLessThan(1e-5);
      renderer.dispose();
    });
  });

  it('renders the warp-guided G from 3-D inputs too; the renderer gives frame alone or frame, α and Δ', () => {
    const warpConfig = loadPreset('tiny-warp');
    const warpG = createGenerator(warpConfig);
    const head = warpG.params.get('generator/output/conv/kernel');
    tf.tidy(() => head.assign(tf.randomNormal(head.shape, 0, 0.2, 'float32', 7)));
    tf.tidy(() => {
      const psi = warpG.psiFromEmbedding(tf.randomNormal([warpConfig.embedDim], 0, 1, 'float32', 8));
      const single = {
        landmarks: tf.squeeze(randomImages(1, size, 9), [0]) as tf.Tensor3D,
        warped: tf.squeeze(randomImages(1, size, 10), [0]) as tf.Tensor3D,
        mask: tf.squeeze(randomMasks(1, size, 11), [0]) as tf.Tensor3D,
      };
      const renderer = createRenderer(warpG, psi);
      const fast = renderer.render(single);
      const all = renderer.renderOutput(single);
      const plain = renderOutput(warpG, psi, single);
      expect(fast.shape).toEqual([1, size, size, 3]);
      expect(all.alpha?.shape).toEqual([1, size, size, 1]);
      expect(tf.max(tf.abs(tf.sub(fast, all.frame))).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(tf.sub(fast, plain.frame))).dataSync()[0]).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(tf.sub(all.alpha as tf.Tensor, plain.alpha as tf.Tensor))).dataSync()[0]).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(tf.sub(renderFrame(warpG, psi, single), plain.frame))).dataSync()[0]).toBe(0);
      expect(() => renderer.render({ landmarks: single.landmarks })).toThrow(/inputs\.warped/);
      renderer.dispose();
    });
    warpG.dispose();
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

  it('maps RGB bytes to x / 127.5 - 1 or x / 255, dropping alpha, and clips on the way back', async () => {
    const image = { width: 2, height: 1, data: new Uint8ClampedArray([0, 255, 51, 7, 255, 0, 0, 255]) };
    const signed = rgbaToTensor(image);
    const unit = rgbaToUnitTensor(image);
    expect(Array.from(signed.dataSync())).toEqual([-1, 1, 51 / 127.5 - 1, 1, -1, -1].map((v) => Math.fround(v)));
    expect(Array.from(unit.dataSync())).toEqual([0, 1, 51 / 255, 1, 0, 0].map((v) => Math.fround(v)));
    const batch = tf.tensor4d([-2, 0, 2, 0.5, -0.5, 1], [1, 1, 2, 3]);
    const bytes = toRgbaBytes(batch);
    expect(bytes.shape).toEqual([1, 1, 2, 4]);
    expect(bytes.dtype).toBe('int32');
    expect(Array.from(bytes.dataSync())).toEqual([0, 128, 255, 255, 191, 64, 255, 255]);
    expect((await tensorToRgba(batch)).data).toEqual(new Uint8ClampedArray(bytes.dataSync()));
    tf.dispose([signed, unit, batch, bytes]);
  });

  it('reads frames back on CPU-memory backends with the bytes toRgbaBytes gives (half-way values too)', async () => {
    expect(tf.getBackend()).toBe('cpu'); // tensorToRgba's JS path
    const halves = Array.from({ length: 256 }, (_, k) => Math.fround((k + 0.5) / 127.5 - 1));
    const random = Array.from({ length: 3 * 4000 }, (_, i) => Math.sin(i * 12.9898) * 1.3);
    const values = [...halves, -1, 1, -5, 5, 0, NaN, ...random].slice(0, 3 * 1400);
    const image = tf.tensor3d(values, [1, values.length / 3, 3]);
    const bytes = toRgbaBytes(image);
    expect((await tensorToRgba(image)).data).toEqual(new Uint8ClampedArray(bytes.dataSync()));
    expect([-1, 0, 1, -0.5, 7, NaN].map(signedToByte)).toEqual([0, 128, 255, 64, 255, 0]); // 127.5 → 128: half to even
    tf.dispose([image, bytes]);
  });

  it('leaks no tensor over 1,000 renders', () => {
    const micro = microConfig();
    const small = createGenerator(micro);
    const psi = tf.tidy(() => small.psiFromEmbedding(tf.ones([micro.embedDim])));
    const landmark = randomImages(1, micro.resolution, 6);
    const renderer = createRenderer(small, psi);
    renderer.render({ landmarks: landmark }).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) renderer.render({ landmarks: landmark }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    renderer.dispose();
    small.dispose();
    tf.dispose([psi, landmark]);
  });

  it('leaks no tensor over 300 warp-guided renders (frame alone, and frame, α and Δ)', () => {
    const micro = microWarpConfig();
    const small = createGenerator(micro);
    const psi = tf.tidy(() => small.psiFromEmbedding(tf.ones([micro.embedDim])));
    const r = micro.resolution;
    const inputs = { landmarks: randomImages(1, r, 6), warped: randomImages(1, r, 7), mask: randomMasks(1, r, 8) };
    const renderer = createRenderer(small, psi);
    renderer.render(inputs).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 150; i++) renderer.render(inputs).dispose();
    for (let i = 0; i < 150; i++) tf.dispose(Object.values(renderer.renderOutput(inputs)));
    expect(tf.memory().numTensors).toBe(before);
    renderer.dispose();
    small.dispose();
    tf.dispose([psi, inputs.landmarks, inputs.warped, inputs.mask]);
  });
});
