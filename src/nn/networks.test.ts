import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPreset } from './config.ts';
import { specSize } from './cost.ts';
import { createDiscriminator, type Discriminator } from './discriminator.ts';
import { createEmbedder, type Embedder } from './embedder.ts';
import {
  alphaBorderRamp,
  createGenerator,
  DELTA_RANGE,
  FLOW_RANGE,
  generatorInputTensor,
  PROJECTION_KERNEL,
  type Generator,
} from './generator.ts';
import { displace } from '../landmarks/warp.ts';
import { conv2d, selfAttention, upsampleNearest2 } from './layers/ops.ts';
import { SN_U_SUFFIX } from './params.ts';
import { networkParamSpecs } from './plan.ts';
import { liveWeights, spectralSigma } from './spectral-norm.ts';
import { randomImages, randomMasks, setAttentionGammas, useCpuBackend } from './testing.ts';

const config = loadPreset('tiny');
const size = config.resolution;
let embedder: Embedder;
let generator: Generator;
let discriminator: Discriminator;

beforeAll(async () => {
  await useCpuBackend();
  embedder = createEmbedder(config);
  generator = createGenerator(config);
  discriminator = createDiscriminator(config);
});

afterAll(() => {
  embedder.dispose();
  generator.dispose();
  discriminator.dispose();
});

describe('tiny networks', () => {
  it('produce the documented shapes', () => {
    tf.tidy(() => {
      const frames = randomImages(2, size, 1);
      const landmarks = randomImages(2, size, 2);
      expect(embedder.embed(frames, landmarks).shape).toEqual([2, config.embedDim]);
      const psi = generator.psiFromEmbedding(tf.ones([2, config.embedDim]));
      expect(psi.shape).toEqual([2, generator.psiSize]);
      const image = generator.render(psi, { landmarks }).frame;
      expect(image.shape).toEqual([2, size, size, 3]);
      const values = image.dataSync();
      expect(Math.max(...values)).toBeLessThanOrEqual(1);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
      const out = discriminator.score(image, landmarks, discriminator.videoProjection([0, 3]));
      expect(out.realism.shape).toEqual([2]);
      expect(out.v.shape).toEqual([2, config.embedDim]);
      const blocks = config.discriminator.downBlocks + config.discriminator.extraBlocks;
      expect(out.features).toHaveLength(blocks);
      expect(out.features[blocks - 1].shape).toEqual([2, 4, 4, config.embedDim]);
    });
  });

  it('allocate exactly the parameters the plan lists (so nn:summary counts what runs)', () => {
    for (const net of [embedder, generator, discriminator]) {
      const specs = networkParamSpecs(config, net.plan, net === discriminator ? discriminator.numVideos : undefined);
      const expected = specs.reduce((sum, spec) => sum + specSize(spec), 0);
      expect(net.params.countTrainable()).toBe(expected);
      for (const spec of specs.filter((s) => s.spectralNorm)) {
        expect(net.params.get(`${spec.name}${SN_U_SUFFIX}`).shape).toEqual([spec.shape[spec.shape.length - 1]]);
      }
    }
  });

  it('send a gradient to every trainable tensor of E, G (P included) and D (W, w0, b included)', () => {
    for (const net of [embedder, generator, discriminator]) setAttentionGammas(net.params, 0.5);
    const variables = [embedder, generator, discriminator].flatMap((n) => n.params.trainableVariables());
    const { grads } = tf.variableGrads(() => {
      const frames = randomImages(2, size, 3);
      const landmarks = randomImages(2, size, 4);
      const psi = generator.psiFromEmbedding(embedder.embed(frames, landmarks));
      const fake = generator.render(psi, { landmarks }).frame;
      const scored = discriminator.score(fake, landmarks, discriminator.videoProjection([1, 2]));
      return tf.addN([tf.mean(scored.realism), tf.mean(tf.abs(tf.sub(fake, frames)))]) as tf.Scalar;
    }, variables);
    const missing = variables.filter((v) => grads[v.name] === undefined || tf.max(tf.abs(grads[v.name])).dataSync()[0] === 0);
    expect(missing.map((v) => v.name)).toEqual([]);
    tf.dispose(grads);
    for (const net of [embedder, generator, discriminator]) setAttentionGammas(net.params, 0);
  });

  it('use ψ̂ = P ê in the AdaIN layers: another embedding gives another image', () => {
    tf.tidy(() => {
      const landmarks = randomImages(1, size, 5);
      const e1 = embedder.embed(randomImages(1, size, 6), landmarks);
      const e2 = embedder.embed(randomImages(1, size, 7), landmarks);
      const psi1 = generator.psiFromEmbedding(e1);
      const kernel = generator.params.get(PROJECTION_KERNEL);
      const sigma = spectralSigma(kernel, generator.params.get(`${PROJECTION_KERNEL}${SN_U_SUFFIX}`));
      expectClose(psi1, tf.matMul(e1, tf.div(kernel, sigma)), 1e-4);
      const a = generator.render(psi1, { landmarks }).frame;
      const b = generator.render(generator.psiFromEmbedding(e2), { landmarks }).frame;
      expect(tf.mean(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-3);
    });
  });

  it('let D score with a given projection: r = V·w + b', () => {
    tf.tidy(() => {
      const images = randomImages(2, size, 8);
      const landmarks = randomImages(2, size, 9);
      const w = tf.randomNormal([config.embedDim], 0, 1, 'float32', 10);
      const out = discriminator.score(images, landmarks, w);
      const expected = tf.add(tf.sum(tf.mul(out.v, w), 1), discriminator.params.get('discriminator/b'));
      expectClose(out.realism, expected, 1e-4);
    });
  });
});

describe('warp-guided tiny generator (tiny-warp)', () => {
  const warpConfig = loadPreset('tiny-warp');
  const alphaBias = warpConfig.generator.alphaBias as number;
  const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
  let warpG: Generator;
  const inputs = (batch: number, seed: number) => ({
    landmarks: randomImages(batch, size, seed),
    warped: randomImages(batch, size, seed + 1),
    mask: randomMasks(batch, size, seed + 2),
  });

  beforeAll(() => {
    warpG = createGenerator(warpConfig);
  });

  afterAll(() => warpG.dispose());

  it('untrained, returns the warped input exactly, with α = sigmoid(alphaBias + alphaMaskGain·(1 − mask)) and Δ = 0', () => {
    tf.tidy(() => {
      const x = inputs(2, 20);
      const psi = warpG.psiFromEmbedding(tf.randomNormal([2, warpConfig.embedDim], 0, 1, 'float32', 23));
      const out = warpG.render(psi, x);
      expect(out.frame.shape).toEqual([2, size, size, 3]);
      expect(out.alpha?.shape).toEqual([2, size, size, 1]);
      expect(out.delta?.shape).toEqual([2, size, size, 3]);
      expect(tf.max(tf.abs(tf.sub(out.frame, x.warped))).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(out.delta as tf.Tensor)).dataSync()[0]).toBe(0);
      // The landmark prior: α is higher where the mask says the warp stretched the photo.
      const gain = warpConfig.generator.alphaMaskGain ?? 0;
      expect(gain).toBeGreaterThan(0);
      const prior = tf.sigmoid(tf.add(tf.mul(tf.sub(1, x.mask as tf.Tensor4D), gain), alphaBias));
      expect(tf.max(tf.abs(tf.sub(out.alpha as tf.Tensor, prior))).dataSync()[0]).toBeLessThan(1e-6);
      const full = warpG.render(psi, { ...x, mask: tf.onesLike(x.mask as tf.Tensor4D) });
      expect(tf.max(tf.abs(tf.sub(full.alpha as tf.Tensor, sigmoid(alphaBias)))).dataSync()[0]).toBeLessThan(1e-6);
    });
  });

  it('reads landmarks, warp and 2·mask − 1 as 7 input channels, and refuses a render without the warp', () => {
    tf.tidy(() => {
      const x = inputs(1, 30);
      const stacked = generatorInputTensor(warpConfig, x);
      expect(stacked.shape).toEqual([1, size, size, 7]);
      const maskChannel = tf.slice(stacked, [0, 0, 0, 6], [-1, -1, -1, 1]);
      expect(tf.max(tf.abs(tf.sub(maskChannel, tf.sub(tf.mul(x.mask, 2), 1)))).dataSync()[0]).toBeLessThan(1e-6);
      const psi = tf.zeros([1, warpG.psiSize]) as tf.Tensor2D;
      expect(() => warpG.render(psi, { landmarks: x.landmarks })).toThrow(
        /"tiny-warp" blends with the warped source.*inputs\.warped.*inputs\.mask/,
      );
      expect(() => warpG.render(psi, { landmarks: x.landmarks, warped: x.warped })).toThrow(/inputs\.mask/);
      expect(() => warpG.render(psi, { ...x, mask: randomImages(1, size, 33) })).toThrow(
        /"mask" has shape \[1,16,16,3\], expected \[1,16,16,1\]/,
      );
      // The paper's G ignores a warp it is given.
      expect(generatorInputTensor(config, x).shape).toEqual([1, size, size, 3]);
    });
  });

  it('blends frame = warp + α·Δ with Δ = 2·tanh(raw) and α = sigmoid(raw + alphaBias) once the head is non-zero', () => {
    const head = warpG.params.get('generator/output/conv/kernel');
    const bias = warpG.params.get('generator/output/conv/bias');
    try {
      tf.tidy(() => {
        head.assign(tf.randomNormal(head.shape, 0, 0.2, 'float32', 40));
        bias.assign(tf.randomNormal(bias.shape, 0, 0.5, 'float32', 41));
      });
      tf.tidy(() => {
        const x = inputs(2, 42);
        const out = warpG.render(tf.randomNormal([1, warpG.psiSize], 0, 1, 'float32', 45) as tf.Tensor2D, x);
        const alpha = out.alpha as tf.Tensor4D;
        const delta = out.delta as tf.Tensor4D;
        expect(tf.min(alpha).dataSync()[0]).toBeGreaterThan(0);
        expect(tf.max(alpha).dataSync()[0]).toBeLessThan(1);
        expect(tf.max(tf.abs(delta)).dataSync()[0]).toBeLessThanOrEqual(DELTA_RANGE);
        expect(tf.max(tf.abs(delta)).dataSync()[0]).toBeGreaterThan(1e-3);
        expect(tf.max(tf.abs(tf.sub(out.frame, tf.add(x.warped, tf.mul(alpha, delta))))).dataSync()[0]).toBeLessThan(1e-6);
        expect(tf.max(tf.abs(tf.sub(out.frame, x.warped))).dataSync()[0]).toBeGreaterThan(1e-3);
      });
    } finally {
      tf.tidy(() => {
        head.assign(tf.zerosLike(head));
        bias.assign(tf.zerosLike(bias));
      });
    }
  });

  it('untrained, sends a gradient to the head; with the head non-zero, to every trainable tensor of G (P included)', () => {
    const head = warpG.params.get('generator/output/conv/kernel');
    const bias = warpG.params.get('generator/output/conv/bias');
    const x = inputs(2, 50);
    const target = randomImages(2, size, 53);
    const e = tf.randomNormal([2, warpConfig.embedDim], 0, 1, 'float32', 54);
    const variables = warpG.params.trainableVariables();
    const gradients = (): tf.NamedTensorMap =>
      tf.variableGrads(() => tf.mean(tf.abs(tf.sub(warpG.render(warpG.psiFromEmbedding(e), x).frame, target))) as tf.Scalar, variables)
        .grads;
    const nonZero = (grads: tf.NamedTensorMap, v: tf.Variable): boolean =>
      grads[v.name] !== undefined && tf.max(tf.abs(grads[v.name])).dataSync()[0] > 0;
    setAttentionGammas(warpG.params, 0.5);
    try {
      const initial = gradients();
      // A zero head passes no gradient upstream, so at first only the head learns (Δ first: α's
      // gradient is Σ Δ ⊙ ∂L/∂frame, zero while Δ is).
      expect(nonZero(initial, head) && nonZero(initial, bias)).toBe(true);
      tf.dispose(initial);
      tf.tidy(() => {
        head.assign(tf.randomNormal(head.shape, 0, 0.2, 'float32', 55));
        bias.assign(tf.randomNormal(bias.shape, 0, 0.5, 'float32', 56));
      });
      const grads = gradients();
      expect(variables.filter((v) => !nonZero(grads, v)).map((v) => warpG.params.logicalName(v))).toEqual([]);
      tf.dispose(grads);
    } finally {
      setAttentionGammas(warpG.params, 0);
      tf.tidy(() => {
        head.assign(tf.zerosLike(head));
        bias.assign(tf.zerosLike(bias));
      });
      tf.dispose([x.landmarks, x.warped, x.mask, target, e]);
    }
  });

  it('leaks no tensor when rendering (α and Δ included) or when refusing a render', () => {
    const x = inputs(1, 60);
    const psi = tf.tidy(() => warpG.psiFromEmbedding(tf.ones([warpConfig.embedDim])));
    tf.dispose(Object.values(warpG.render(psi, x)));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) tf.dispose(Object.values(warpG.render(psi, x)));
    expect(() => warpG.render(psi, { landmarks: x.landmarks })).toThrow();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([psi, x.landmarks, x.warped, x.mask]);
  });
});

describe('warp-guided tiny generator with a learned flow (tiny-warp-flow)', () => {
  const flowConfig = loadPreset('tiny-warp-flow');
  let flowG: Generator;
  const inputs = (batch: number, seed: number) => ({
    landmarks: randomImages(batch, size, seed),
    warped: randomImages(batch, size, seed + 1),
    mask: randomMasks(batch, size, seed + 2),
  });

  beforeAll(() => {
    flowG = createGenerator(flowConfig);
  });

  afterAll(() => flowG.dispose());

  it('untrained, returns the warp exactly with a zero flow; once the head is non-zero, frame = displace(warp, flow) + α·Δ', () => {
    const head = flowG.params.get('generator/output/conv/kernel');
    const bias = flowG.params.get('generator/output/conv/bias');
    expect(head.shape[3]).toBe(6);
    const x = inputs(2, 70);
    const psi = tf.tidy(() => flowG.psiFromEmbedding(tf.randomNormal([2, flowConfig.embedDim], 0, 1, 'float32', 71)));
    try {
      tf.tidy(() => {
        const out = flowG.render(psi, x);
        expect(out.flow?.shape).toEqual([2, size, size, 2]);
        expect(tf.max(tf.abs(out.flow as tf.Tensor)).dataSync()[0]).toBe(0);
        expect(tf.max(tf.abs(tf.sub(out.frame, x.warped))).dataSync()[0]).toBe(0);
      });
      tf.tidy(() => {
        head.assign(tf.randomNormal(head.shape, 0, 0.2, 'float32', 72));
        bias.assign(tf.randomNormal(bias.shape, 0, 0.5, 'float32', 73));
      });
      tf.tidy(() => {
        const out = flowG.render(psi, x);
        const flow = out.flow as tf.Tensor4D;
        expect(tf.max(tf.abs(flow)).dataSync()[0]).toBeLessThanOrEqual(FLOW_RANGE);
        expect(tf.max(tf.abs(flow)).dataSync()[0]).toBeGreaterThan(1e-3);
        const expected = tf.add(displace(x.warped, flow), tf.mul(out.alpha as tf.Tensor4D, out.delta as tf.Tensor4D));
        expect(tf.max(tf.abs(tf.sub(out.frame, expected))).dataSync()[0]).toBeLessThan(1e-5);
        // The flow moved the warp: not the plain blend.
        const plain = tf.add(x.warped, tf.mul(out.alpha as tf.Tensor4D, out.delta as tf.Tensor4D));
        expect(tf.max(tf.abs(tf.sub(out.frame, plain))).dataSync()[0]).toBeGreaterThan(1e-3);
      });
      // A gradient reaches the flow's channels of the head through the resampling.
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(flowG.render(psi, x).frame, randomImages(2, size, 74))) as tf.Scalar, [head]);
      const flowGrad = tf.tidy(() => tf.max(tf.abs(tf.slice(grads[head.name], [0, 0, 0, 4], [-1, -1, -1, 2]))).dataSync()[0]);
      expect(flowGrad).toBeGreaterThan(0);
      tf.dispose(grads);
    } finally {
      tf.tidy(() => {
        head.assign(tf.zerosLike(head));
        bias.assign(tf.zerosLike(bias));
      });
      tf.dispose([psi, x.landmarks, x.warped, x.mask]);
    }
  });
});

describe('layers', () => {
  it('conv2d gives the stock tf.conv2d values and gradients (its CPU kernel gradient is custom)', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 5, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
      for (const k of [1, 3]) {
        const kernel = tf.randomNormal([k, k, 3, 4], 0, 1, 'float32', 12);
        const bias = tf.randomNormal([4], 0, 1, 'float32', 13);
        const weights = (name: string): tf.Tensor => (name.endsWith('kernel') ? kernel : bias);
        const target = tf.randomNormal([2, 6, 5, 4], 0, 1, 'float32', 14);
        const loss = (y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(y, target));
        const ours = tf.grads((xx: tf.Tensor, kk: tf.Tensor) =>
          loss(conv2d((n) => (n.endsWith('kernel') ? kk : bias), 'c', xx as tf.Tensor4D)),
        );
        const stock = tf.grads((xx: tf.Tensor, kk: tf.Tensor) =>
          loss(tf.add(tf.conv2d(xx as tf.Tensor4D, kk as tf.Tensor4D, 1, 'same'), bias)),
        );
        const [dxOurs, dkOurs] = ours([x, kernel]);
        const [dxStock, dkStock] = stock([x, kernel]);
        expectClose(conv2d(weights, 'c', x), tf.add(tf.conv2d(x, kernel as tf.Tensor4D, 1, 'same'), bias), 1e-4);
        expectClose(dxOurs, dxStock, 1e-3);
        expectClose(dkOurs, dkStock, 1e-3);
      }
    });
  });

  it('nearest up-sampling repeats each pixel into a 2×2 block', () => {
    tf.tidy(() => {
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      expect(Array.from(upsampleNearest2(x).dataSync())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    });
  });

  it('nearest up-sampling sends each sample its own gradient (sum of its 2×2 block), batch > 1', () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 2, 2, 1]);
      const dy = tf.tensor4d(
        Array.from({ length: 32 }, (_, i) => i),
        [2, 4, 4, 1],
      );
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2(t as tf.Tensor4D), dy)))(x);
      // Block sums of 0..15 and of 16..31 laid out as 4×4 images.
      expect(Array.from(dx.dataSync())).toEqual([10, 18, 42, 50, 74, 82, 106, 114]);
    });
  });

  it('self-attention with γ = 0 (its initial value) is the identity', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 4, 4, 8], 0, 1, 'float32', 15) as tf.Tensor4D;
      const params = generator.params;
      const weights = liveWeights(params);
      expectClose(selfAttention(weights, 'generator/attention_down', x), x, 1e-6);
    });
  });
});

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tolerance: number): void {
  expect(actual.shape).toEqual(expected.shape);
  const diff = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0];
  const scale = Math.max(1, tf.max(tf.abs(expected)).dataSync()[0]);
  expect(diff / scale).toBeLessThan(tolerance);
}

describe('alphaBorderRamp', () => {
  it('rises from (0.5 / width) at the edge to 1 at width pixels in, on both axes, and is all ones for width 0', () => {
    const ramp = alphaBorderRamp(8, 2);
    const axis = [0.25, 0.75, 1, 1, 1, 1, 0.75, 0.25];
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(ramp[y * 8 + x]).toBeCloseTo(axis[y] * axis[x], 7);
    expect([...alphaBorderRamp(4, 0)]).toEqual([...new Float32Array(16).fill(1)]);
    // An odd size has one centre row; a border wider than half the size never reaches 1.
    const odd = [0.125, 0.375, 0.125];
    const oddRamp = alphaBorderRamp(3, 4);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) expect(oddRamp[y * 3 + x]).toBeCloseTo(odd[y] * odd[x], 7);
  });
});

describe('warp-guided tiny generator with an α border (tiny-warp-border)', () => {
  it('multiplies α by the ramp, so the outermost pixels stay nearly the warp, and is otherwise tiny-warp-skips', () => {
    const borderConfig = loadPreset('tiny-warp-border');
    const width = borderConfig.generator.alphaBorder ?? 0;
    expect(width).toBeGreaterThan(0);
    const bordered = createGenerator(borderConfig);
    const plain = createGenerator(loadPreset('tiny-warp-skips'));
    const x = { landmarks: randomImages(2, size, 80), warped: randomImages(2, size, 81), mask: randomMasks(2, size, 82) };
    try {
      // Same weights in both (same seed, same plan), with a non-zero head so that α·Δ is not zero.
      for (const g of [bordered, plain]) {
        tf.tidy(() => {
          g.params
            .get('generator/output/conv/kernel')
            .assign(tf.randomNormal(g.params.get('generator/output/conv/kernel').shape, 0, 0.2, 'float32', 83));
          g.params
            .get('generator/output/conv/bias')
            .assign(tf.randomNormal(g.params.get('generator/output/conv/bias').shape, 0, 0.5, 'float32', 84));
        });
      }
      tf.tidy(() => {
        const psi = bordered.psiFromEmbedding(tf.randomNormal([2, borderConfig.embedDim], 0, 1, 'float32', 85));
        const a = bordered.render(psi, x);
        const b = plain.render(psi, x);
        const ramp = tf.tensor4d(alphaBorderRamp(size, width), [1, size, size, 1]);
        expect(tf.max(tf.abs(tf.sub(a.alpha as tf.Tensor, tf.mul(b.alpha as tf.Tensor, ramp)))).dataSync()[0]).toBeLessThan(1e-6);
        expect(tf.max(tf.abs(tf.sub(a.delta as tf.Tensor, b.delta as tf.Tensor))).dataSync()[0]).toBe(0);
        const expected = tf.add(x.warped, tf.mul(a.alpha as tf.Tensor4D, a.delta as tf.Tensor4D));
        expect(tf.max(tf.abs(tf.sub(a.frame, expected))).dataSync()[0]).toBeLessThan(1e-6);
        // The corner moves at most (0.5 / width)² · α · |Δ| ≤ DELTA_RANGE / (2·width)² from the warp; inside, the two agree.
        const corner = (t: tf.Tensor) => tf.slice(t, [0, 0, 0, 0], [-1, 1, 1, -1]);
        expect(tf.max(tf.abs(tf.sub(corner(a.frame), corner(x.warped)))).dataSync()[0]).toBeLessThanOrEqual(DELTA_RANGE / (2 * width) ** 2);
        const inside = (t: tf.Tensor) => tf.slice(t, [0, width, width, 0], [-1, size - 2 * width, size - 2 * width, -1]);
        expect(tf.max(tf.abs(tf.sub(inside(a.frame), inside(b.frame)))).dataSync()[0]).toBeLessThan(1e-6);
      });
    } finally {
      bordered.dispose();
      plain.dispose();
      tf.dispose([x.landmarks, x.warped, x.mask]);
    }
  });
});
