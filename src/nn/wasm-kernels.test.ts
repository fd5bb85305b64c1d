// The WASM backend's added training kernels (wasm-kernels.ts) against tf.js's CPU backend: values
// and gradients of conv2d and depthwiseConv2d for the strides and paddings our networks and the
// perceptual ones use, and one real fine-tuning step of the tiny presets (with the content loss's
// perceptual networks when they are installed) on both backends. In Node the WASM binaries load
// from node_modules.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backend.ts';
import { loadPreset, type NetConfig } from './config.ts';
import { type ContentLossFn } from './finetune.ts';
import { meanAbsoluteError } from './losses.ts';
import { loadPerceptualNetworksFromDir, missingPerceptualModels } from './perceptual-node.ts';
import { perceptualContentLoss, perceptualFeatures } from './perceptual.ts';
import { fineTuneFixture } from './testing.ts';
import { WASM_TRAINING_KERNELS } from './wasm-kernels.ts';

type Backend = 'cpu' | 'wasm';

async function on<T>(backend: Backend, run: () => T | Promise<T>): Promise<T> {
  await tf.setBackend(backend);
  await tf.ready();
  return run();
}

/** Relative max error: max |a − b| / max |b| (b the CPU's values). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const values = (seed: number, shape: number[]) => Array.from(tf.tidy(() => tf.randomUniform(shape, -1, 1, 'float32', seed).dataSync()));

/** y, dL/dx and dL/dw of L = Σ y · r (r fixed) for a conv `op`, on one backend. */
function convAndGrads(op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D, xShape: number[], wShape: number[]): number[][] {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(1, xShape), xShape as [number, number, number, number]);
    const w = tf.tensor4d(values(2, wShape), wShape as [number, number, number, number]);
    const y = op(x, w);
    const r = tf.tensor(values(3, y.shape), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
    return [Array.from(y.dataSync()), Array.from(dx.dataSync()), Array.from(dw.dataSync())];
  });
}

beforeAll(async () => {
  // Loads the WASM backend and registers the kernels, as the app does.
  expect((await selectBackend(['wasm'])).backend).toBe('wasm');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('WASM training kernels', () => {
  it('fills exactly the gaps of tf.js 4.22’s WASM backend', () => {
    const wasm = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    for (const name of Object.keys(WASM_TRAINING_KERNELS)) expect(wasm.has(name)).toBe(true);
    expect(wasm.has('Conv2DBackpropInput')).toBe(true);
  });

  const convCases: {
    name: string;
    x: number[];
    w: number[];
    strides: number;
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  }[] = [
    { name: '3×3 same, stride 1 (G, D, E)', x: [3, 10, 9, 4], w: [3, 3, 4, 5], strides: 1, pad: 'same' },
    { name: '1×1 (skips, attention)', x: [2, 8, 8, 6], w: [1, 1, 6, 3], strides: 1, pad: 'same' },
    { name: '3×3 same, stride 2, odd size', x: [2, 11, 13, 3], w: [3, 3, 3, 4], strides: 2, pad: 'same' },
    { name: '3×3 valid, stride 2 (MobileNetV2 stem after ZeroPadding)', x: [1, 13, 12, 3], w: [3, 3, 3, 4], strides: 2, pad: 'valid' },
    { name: '7×7 same, stride 2 (faceres stem)', x: [2, 17, 15, 3], w: [7, 7, 3, 4], strides: 2, pad: 'same' },
    { name: '3×3, pad 1 (a number)', x: [2, 9, 9, 2], w: [3, 3, 2, 3], strides: 1, pad: 1 },
    {
      name: 'explicit asymmetric padding',
      x: [2, 9, 8, 2],
      w: [3, 2, 2, 3],
      strides: 2,
      pad: [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ],
    },
  ];
  for (const c of convCases) {
    it(`conv2d ${c.name}: values and both gradients equal the CPU's`, async () => {
      const op = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, c.strides, c.pad as 'same');
      const cpu = await on('cpu', () => convAndGrads(op, c.x, c.w));
      const wasm = await on('wasm', () => convAndGrads(op, c.x, c.w));
      for (let i = 0; i < 3; i++) expect(relativeError(wasm[i], cpu[i]), ['y', 'dx', 'dw'][i]).toBeLessThan(1e-5);
    });
  }

  const depthwiseCases: { name: string; x: number[]; w: number[]; strides: number; pad: 'same' | 'valid' }[] = [
    { name: '3×3 same, stride 1', x: [2, 9, 10, 4], w: [3, 3, 4, 1], strides: 1, pad: 'same' },
    { name: '3×3 same, stride 2, odd size', x: [2, 11, 9, 3], w: [3, 3, 3, 1], strides: 2, pad: 'same' },
    { name: '3×3 valid, stride 2, multiplier 2', x: [1, 12, 11, 3], w: [3, 3, 3, 2], strides: 2, pad: 'valid' },
  ];
  for (const c of depthwiseCases) {
    it(`depthwiseConv2d ${c.name}: values and both gradients equal the CPU's`, async () => {
      const op = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.depthwiseConv2d(x, w, c.strides, c.pad);
      const cpu = await on('cpu', () => convAndGrads(op, c.x, c.w));
      const wasm = await on('wasm', () => convAndGrads(op, c.x, c.w));
      for (let i = 0; i < 3; i++) expect(relativeError(wasm[i], cpu[i]), ['y', 'dx', 'dw'][i]).toBeLessThan(1e-5);
    });
  }

  it('leaks no tensor and no WASM memory block per gradient', async () => {
    await on('wasm', () => undefined);
    const op = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, 2, 'same');
    convAndGrads(op, [2, 9, 9, 3], [3, 3, 3, 4]);
    const before = tf.memory().numTensors;
    const blocks = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    for (let i = 0; i < 5; i++) convAndGrads(op, [2, 9, 9, 3], [3, 3, 3, 4]);
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(blocks);
  });
});

/** Losses and a few trained weights after `steps` fine-tuning steps of `config`'s random networks. */
async function fineTune(config: NetConfig, steps: number, contentLoss: ContentLossFn): Promise<{ losses: number[]; weights: number[][] }> {
  const { generator, discriminator, tuner, dispose } = fineTuneFixture(config, 2, { contentLoss });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const result = await tuner.step();
    losses.push(result.lossG, result.lossD);
  }
  const weights = [
    tuner.psi,
    generator.params.get('generator/res0/conv1/kernel'),
    discriminator.params.get('discriminator/extra0/conv2/kernel'),
  ].map((t) => Array.from(t.dataSync()));
  dispose();
  return { losses, weights };
}

describe('fine-tuning on WASM', () => {
  const missing = missingPerceptualModels();
  for (const preset of ['tiny', 'tiny-warp'] as const) {
    it(`${preset}: two steps give the CPU's losses and weights (L1 content loss)`, async () => {
      const config = loadPreset(preset);
      const l1: ContentLossFn = (fake, real) => meanAbsoluteError(fake, real);
      const cpu = await on('cpu', () => fineTune(config, 2, l1));
      const wasm = await on('wasm', () => fineTune(config, 2, l1));
      expect(relativeError(wasm.losses, cpu.losses)).toBeLessThan(1e-3);
      for (let i = 0; i < cpu.weights.length; i++)
        expect(relativeError(wasm.weights[i], cpu.weights[i]), `weights ${i}`).toBeLessThan(1e-3);
    });
  }

  it.skipIf(missing !== null)(
    `tiny-warp: a step with the perceptual content loss gives the CPU's losses ${missing ? `(skipped: ${missing})` : ''}`,
    async () => {
      const config = loadPreset('tiny-warp');
      const run = async () => {
        const nets = await loadPerceptualNetworksFromDir();
        const to01 = (x: tf.Tensor4D) => tf.div(tf.add(x, 1), 2) as tf.Tensor4D;
        const loss: ContentLossFn = (fake, real) =>
          tf.tidy(() => perceptualContentLoss(nets, perceptualFeatures(nets, to01(real)), to01(fake)));
        try {
          return await fineTune(config, 1, loss);
        } finally {
          for (const net of Object.values(nets)) (net as unknown as { dispose?: () => void }).dispose?.();
        }
      };
      const cpu = await on('cpu', run);
      const wasm = await on('wasm', run);
      expect(relativeError(wasm.losses, cpu.losses)).toBeLessThan(1e-3);
      for (let i = 0; i < cpu.weights.length; i++)
        expect(relativeError(wasm.weights[i], cpu.weights[i]), `weights ${i}`).toBeLessThan(1e-3);
    },
  );
});
