import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPreset } from './config.ts';
import { createDiscriminator, W0 } from './discriminator.ts';
import { createFineTuner, fineTuneOptionsFromMeta } from './finetune.ts';
import { createGenerator, PROJECTION_KERNEL } from './generator.ts';
import { meanAbsoluteError } from './losses.ts';
import { fineTuneFixture, microConfig, microWarpConfig, randomImages, randomMasks, syntheticFrame, useCpuBackend } from './testing.ts';

beforeAll(useCpuBackend);

const snapshot = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe('createFineTuner', () => {
  it('starts ψ′ at P ê_new and w′ at w0 + ê_new', () => {
    const s = fineTuneFixture(loadPreset('tiny'), 2);
    tf.tidy(() => {
      const psiHat = s.generator.psiFromEmbedding(s.embedding);
      expect(tf.max(tf.abs(tf.sub(s.tuner.psi, psiHat))).dataSync()[0]).toBe(0);
      const w = tf.add(s.discriminator.params.get(W0), s.embedding);
      expect(tf.max(tf.abs(tf.sub(s.tuner.projection, w))).dataSync()[0]).toBe(0);
    });
    s.dispose();
  });

  it('trains ψ′, G and D (V, b, w′) but leaves P and w0 alone', async () => {
    const s = fineTuneFixture(loadPreset('tiny'), 3, { contentLoss: (fake, real) => meanAbsoluteError(fake, real) });
    const watched = {
      psi: s.tuner.psi,
      projection: s.tuner.projection,
      gConv: s.generator.params.get('generator/res0/conv1/kernel'),
      dConv: s.discriminator.params.get('discriminator/extra0/conv2/kernel'),
      dBias: s.discriminator.params.get('discriminator/b'),
      p: s.generator.params.get(PROJECTION_KERNEL),
      w0: s.discriminator.params.get(W0),
    };
    const before = Object.fromEntries(Object.entries(watched).map(([k, v]) => [k, snapshot(v)]));
    const first = await s.tuner.step();
    const second = await s.tuner.step();
    expect(first.step).toBe(1);
    expect(second.step).toBe(2);
    for (const result of [first, second]) {
      expect(Number.isFinite(result.lossG) && Number.isFinite(result.lossD)).toBe(true);
      const { adversarial, featureMatching, content, l1 } = result.terms;
      expect(l1).toBe(0);
      expect(adversarial + featureMatching + content).toBeCloseTo(result.lossG, 4);
      expect(featureMatching).toBeGreaterThan(0);
      expect(content).toBeGreaterThan(0);
    }
    const changed = (key: keyof typeof watched): boolean => snapshot(watched[key]).some((x, i) => x !== before[key][i]);
    expect(['psi', 'projection', 'gConv', 'dConv', 'dBias'].filter((k) => !changed(k as keyof typeof watched))).toEqual([]);
    expect(changed('p')).toBe(false);
    expect(changed('w0')).toBe(false);
    s.dispose();
  });

  it('with learningRateG 0 trains ψ′ alone, at its own rate (learningRatePsi)', async () => {
    const recipe = { learningRateG: 0, learningRatePsi: 1e-2, l1Weight: 10, adversarialWeight: 0, featureMatchingWeight: 0 };
    const s = fineTuneFixture(loadPreset('tiny'), 2, recipe);
    const gConv = s.generator.params.get('generator/res0/conv1/kernel');
    const before = { psi: snapshot(s.tuner.psi), gConv: snapshot(gConv) };
    const l1 = [];
    for (let i = 0; i < 5; i++) l1.push((await s.tuner.step()).terms.l1);
    expect(snapshot(gConv)).toEqual(before.gConv);
    const moved = snapshot(s.tuner.psi).map((x, i) => Math.abs(x - before.psi[i]));
    // Adam (β1 = 0) moves an entry by about the rate per step (up to √t of it when a gradient
    // outgrows the earlier ones), whatever the gradient's scale.
    expect(Math.max(...moved)).toBeGreaterThan(5e-3);
    expect(Math.max(...moved)).toBeLessThan(5 * Math.sqrt(5) * 1e-2);
    expect(l1.every(Number.isFinite)).toBe(true);
    s.dispose();
    expect(() => fineTuneFixture(loadPreset('tiny'), 1, { learningRateG: 0 })).toThrow('learning rate > 0 for ψ′');
    expect(fineTuneOptionsFromMeta({ fineTune: { learningRateG: 0, learningRatePsi: 1e-3, batchSize: 4 } })).toEqual({
      learningRateG: 0,
      learningRatePsi: 1e-3,
      batchSize: 4,
    });
    expect(() => fineTuneOptionsFromMeta({ fineTune: { batchSize: 0 } })).toThrow('meta.fineTune.batchSize must be > 0');
    expect(() => fineTuneOptionsFromMeta({ fineTune: { batchSize: 2.5 } })).toThrow('meta.fineTune.batchSize must be an integer');
  });

  it('runs G on adversarial and feature-matching terms alone without a content loss', async () => {
    const s = fineTuneFixture(microConfig(), 1, { discriminatorStepsPerGeneratorStep: 0 });
    const result = await s.tuner.step();
    expect(result.terms.content).toBe(0);
    expect(Number.isNaN(result.lossD)).toBe(true);
    s.dispose();
  });

  it('adds a pixel L1 term when l1Weight is set, and the weights can set the recipe (meta.fineTune)', async () => {
    const s = fineTuneFixture(microConfig(), 1, { l1Weight: 10, adversarialWeight: 0, featureMatchingWeight: 0 });
    const result = await s.tuner.step();
    const { adversarial, featureMatching, content, l1 } = result.terms;
    expect([adversarial, featureMatching, content].map(Math.abs)).toEqual([0, 0, 0]);
    expect(l1).toBeGreaterThan(0);
    expect(result.lossG).toBeCloseTo(l1, 5);
    s.dispose();
    const plain = fineTuneFixture(microConfig(), 1);
    expect((await plain.tuner.step()).terms.l1).toBe(0);
    plain.dispose();

    expect(fineTuneOptionsFromMeta(undefined)).toEqual({});
    expect(fineTuneOptionsFromMeta({ steps: 3 })).toEqual({});
    expect(fineTuneOptionsFromMeta({ fineTune: { adversarialWeight: 0, l1Weight: 10 } })).toEqual({ adversarialWeight: 0, l1Weight: 10 });
    expect(() => fineTuneOptionsFromMeta({ fineTune: { l1weight: 1 } })).toThrow(/meta.fineTune.l1weight is not a fine-tuning option/);
    expect(() => fineTuneOptionsFromMeta({ fineTune: { l1Weight: -1 } })).toThrow('meta.fineTune.l1Weight must be a finite number ≥ 0');
    expect(() => fineTuneOptionsFromMeta({ fineTune: [1] })).toThrow('meta.fineTune must be an object');
    expect(fineTuneOptionsFromMeta({ fineTune: { shownSize: 128 } })).toEqual({ shownSize: 128 });
    expect(() => fineTuneOptionsFromMeta({ fineTune: { shownSize: 12.5 } })).toThrow('meta.fineTune.shownSize must be an integer');
  });

  it('leaks no tensor over 100 steps', async () => {
    const s = fineTuneFixture(microConfig(), 2, { contentLoss: (fake, real) => meanAbsoluteError(fake, real) });
    await s.tuner.step(); // Adam allocates its moment variables on the first update
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) await s.tuner.step();
    expect(tf.memory().numTensors).toBe(before);
    const preview = s.tuner.preview({ landmarks: s.landmarkImages });
    expect(preview.shape).toEqual(s.frames.shape);
    preview.dispose();
    s.dispose();
  });

  it('overfits one frame: L1 to the target halves within 40 steps', async () => {
    const config = loadPreset('tiny');
    const generator = createGenerator(config);
    const discriminator = createDiscriminator(config, 0);
    const frame = syntheticFrame(config.resolution);
    const landmarks = tf.tidy(() => tf.mul(frame, 0.5)) as tf.Tensor4D;
    const embedding = tf.randomNormal([config.embedDim], 0, 1, 'float32', 3);
    const tuner = createFineTuner(
      { generator, discriminator, embedding, frames: frame, landmarkImages: landmarks },
      {
        learningRateG: 2e-3,
        discriminatorStepsPerGeneratorStep: 1,
        contentLoss: (fake, real) => tf.mul(meanAbsoluteError(fake, real), 20),
      },
    );
    const l1 = (): number => tf.tidy(() => meanAbsoluteError(tuner.preview({ landmarks }), frame).dataSync()[0]);
    const initial = l1();
    for (let i = 0; i < 40; i++) await tuner.step();
    expect(l1()).toBeLessThan(0.5 * initial);
    tuner.dispose();
    generator.dispose();
    discriminator.dispose();
    tf.dispose([frame, landmarks, embedding]);
  });

  describe('with the warp-guided generator', () => {
    it('requires the K warped images and masks, with a clear error', () => {
      const config = loadPreset('tiny-warp');
      const [generator, discriminator] = [createGenerator(config), createDiscriminator(config, 0)];
      const frames = randomImages(2, config.resolution, 1);
      const landmarkImages = randomImages(2, config.resolution, 2);
      const embedding = tf.zeros([config.embedDim]);
      const base = { generator, discriminator, embedding, frames, landmarkImages };
      const message = /warp-guided generator "tiny-warp" needs warped \[K, H, W, 3\] and mask \[K, H, W, 1\] for the K = 2 photos/;
      expect(() => createFineTuner(base)).toThrow(message);
      const oneWarp = randomImages(1, config.resolution, 3);
      const oneMask = randomMasks(1, config.resolution, 4);
      expect(() => createFineTuner({ ...base, warped: oneWarp, mask: oneMask })).toThrow(message);
      tf.dispose([frames, landmarkImages, embedding, oneWarp, oneMask]);
      generator.dispose();
      discriminator.dispose();
    });

    it('renders the warp before any step and trains the output head, G and ψ′ from the warps', async () => {
      const s = fineTuneFixture(loadPreset('tiny-warp'), 3, { contentLoss: (fake, real) => meanAbsoluteError(fake, real) });
      const inputs = { landmarks: s.landmarkImages, warped: s.warped as tf.Tensor4D, mask: s.mask as tf.Tensor4D };
      const fromWarp = (): number => tf.tidy(() => tf.max(tf.abs(tf.sub(s.tuner.preview(inputs), inputs.warped))).dataSync()[0]);
      expect(fromWarp()).toBe(0);
      const watched = {
        psi: s.tuner.psi,
        head: s.generator.params.get('generator/output/conv/kernel'),
        headBias: s.generator.params.get('generator/output/conv/bias'),
        gConv: s.generator.params.get('generator/res0/conv1/kernel'),
        p: s.generator.params.get(PROJECTION_KERNEL),
      };
      const before = Object.fromEntries(Object.entries(watched).map(([k, v]) => [k, snapshot(v)]));
      // The zero head passes no gradient upstream on the first update; from the second on it does.
      for (let i = 0; i < 2; i++) {
        const result = await s.tuner.step();
        expect(Number.isFinite(result.lossG) && Number.isFinite(result.lossD)).toBe(true);
      }
      const changed = (key: keyof typeof watched): boolean => snapshot(watched[key]).some((x, i) => x !== before[key][i]);
      expect(['psi', 'head', 'headBias', 'gConv'].filter((k) => !changed(k as keyof typeof watched))).toEqual([]);
      expect(changed('p')).toBe(false);
      expect(fromWarp()).toBeGreaterThan(0);
      s.dispose();
    });

    it('with the shown frames, judges warp_S + α↑·Δ↑ against the photo at S (the zero head: the warp at S)', async () => {
      const config = loadPreset('tiny-warp');
      const [generator, discriminator] = [createGenerator(config), createDiscriminator(config, 0)];
      const k = 2;
      const size = 2 * config.resolution;
      const frames = randomImages(k, config.resolution, 1);
      const landmarkImages = randomImages(k, config.resolution, 2);
      const warped = randomImages(k, config.resolution, 3);
      const mask = randomMasks(k, config.resolution, 4);
      const shown = { warped: randomImages(k, size, 5), real: randomImages(k, size, 6) };
      const embedding = tf.zeros([config.embedDim]);
      const base = { generator, discriminator, embedding, frames, landmarkImages, warped, mask };
      const options = { l1Weight: 10, adversarialWeight: 0, featureMatchingWeight: 0, batchSize: 2 };
      const tuner = createFineTuner({ ...base, shown }, options);
      // Batch 2 of K = 2 drawn with replacement: the expected L1 is the mean over the drawn pairs, so
      // compare with the per-photo errors' range instead of a single number.
      const perPhoto = tf.tidy(() => Array.from(tf.mean(tf.abs(tf.sub(shown.warped, shown.real)), [1, 2, 3]).dataSync()));
      const { l1 } = (await tuner.step()).terms;
      expect(l1).toBeGreaterThanOrEqual(10 * Math.min(...perPhoto) - 1e-4);
      expect(l1).toBeLessThanOrEqual(10 * Math.max(...perPhoto) + 1e-4);
      const atG = tf.tidy(() => tf.mean(tf.abs(tf.sub(warped, frames))).dataSync()[0]);
      expect(Math.abs(l1 - 10 * atG)).toBeGreaterThan(1e-3); // not G's own frame against the photo at G's size
      tuner.dispose();
      const bad = { warped: shown.warped, real: randomImages(k, config.resolution, 7) };
      expect(() => createFineTuner({ ...base, shown: bad }, options)).toThrow(/shown frames need warped and real of one shape/);
      tf.dispose([frames, landmarkImages, warped, mask, shown.warped, shown.real, bad.real, embedding]);
      generator.dispose();
      discriminator.dispose();
    });

    it('leaks no tensor over 30 steps', async () => {
      const s = fineTuneFixture(microWarpConfig(), 2, { contentLoss: (fake, real) => meanAbsoluteError(fake, real) });
      await s.tuner.step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 30; i++) await s.tuner.step();
      expect(tf.memory().numTensors).toBe(before);
      s.dispose();
    });
  });
});
