// Fine-tuning on the new person's K frames (paper §3.3): ψ′ starts at P ê_new and trains together
// with G's generic weights (or alone: learningRateG 0; at its own rate); D's w′ starts at
// w0 + ê_new and trains with V and b. D and G updates alternate (Adam, β1 = 0), several D steps
// per G step. G and D are trained in place: to keep the
// meta-learned weights, fine-tune fresh networks whose params were `assign`ed from them. A
// warp-guided G renders each photo from its landmarks and another photo warped onto them (the
// caller precomputes those warps); its output head trains like the rest of G. The weights may carry
// their own recipe (manifest meta.fineTune: e.g. a G meta-learned on reconstruction alone, whose D was
// never trained against it, fine-tunes on L1 and the content loss instead of the adversarial terms).
import * as tf from '@tensorflow/tfjs';
import { usesWarp } from './config.ts';
import { EMBEDDING_MATRIX, W0, type Discriminator } from './discriminator.ts';
import { PROJECTION_KERNEL, type Generator, type GeneratorInputs, type GeneratorOutput } from './generator.ts';
import { advLossG, featureMatchingLoss, hingeLossD, meanAbsoluteError } from './losses.ts';
import { powerIterate } from './spectral-norm.ts';
import { MOUTH_PREFIX } from './plan.ts';
import { seededRandom } from '../util/random.ts';

/** Perceptual content loss L_CNT on generated vs real frames (e.g. VGG19 + VGGFace), injected. */
export type ContentLossFn = (fake: tf.Tensor4D, real: tf.Tensor4D) => tf.Scalar;

export interface FineTuneOptions {
  /** Adam learning rate of G's weights (paper: 5e-5); 0 leaves them as meta-learned (only ψ′ trains). */
  readonly learningRateG?: number;
  /** Adam learning rate of ψ′ (paper: that of G); omitted: learningRateG. */
  readonly learningRatePsi?: number;
  /** Adam learning rate of D (paper: 2e-4). */
  readonly learningRateD?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  /** D updates before each G update (paper: 2). */
  readonly discriminatorStepsPerGeneratorStep?: number;
  /** Weight of the feature-matching term (paper: 10). */
  readonly featureMatchingWeight?: number;
  readonly adversarialWeight?: number;
  /**
   * Weight of a pixel L1 term between G's frame and the photo (not in the paper; 0). A warp-guided G
   * meta-learned on reconstruction alone (no adversarial term, an untrained D) fine-tunes on the
   * objective it was meta-learned on: its weights say so (`fineTuneOptionsFromMeta`).
   */
  readonly l1Weight?: number;
  /** Omitted: G trains on the adversarial and feature-matching terms only. */
  readonly contentLoss?: ContentLossFn;
  /** Frames drawn (with replacement) from the K per update. */
  readonly batchSize?: number;
  /** Seed of the frame sampler, so runs are reproducible. */
  readonly seed?: number;
}

export interface FineTuneInputs {
  readonly generator: Generator;
  readonly discriminator: Discriminator;
  /** ê_new [N]: computeEmbedding over the K frames. */
  readonly embedding: tf.Tensor;
  /** The K frames and their landmark images, [K, H, W, 3] in [-1, 1]. */
  readonly frames: tf.Tensor4D;
  readonly landmarkImages: tf.Tensor4D;
  /**
   * Warp-guided G only (required there): for each photo k, another of the photos warped onto photo
   * k's landmarks, [K, H, W, 3] in [-1, 1], and that warp's validity mask [K, H, W, 1] in [0, 1].
   */
  readonly warped?: tf.Tensor4D;
  readonly mask?: tf.Tensor4D;
  /**
   * Warp-guided G, optional: the frames as the app shows them, at a side S above G's: `warped`
   * [K, S, S, 3], the same other photo warped onto photo k's landmarks at S, and `real` [K, S, S, 3],
   * photo k at S. With them the content and L1 terms compare warp_S + α↑·Δ↑ (G's α and Δ upsampled
   * bilinearly, as the app composes) with the photo at S, as meta-learning's display twin does:
   * at G's size they teach residuals that fix a blurred 64 px warp, which upsampled onto the sharp
   * warp the app shows add blocks. D keeps scoring G's own frame.
   */
  readonly shown?: { readonly warped: tf.Tensor4D; readonly real: tf.Tensor4D };
}

export interface FineTuneTerms {
  readonly adversarial: number;
  readonly featureMatching: number;
  readonly content: number;
  readonly l1: number;
}

export interface FineTuneStepResult {
  /** Generator updates done so far, this one included. */
  readonly step: number;
  readonly lossG: number;
  /** Hinge loss of the last D update of this step (NaN when D steps are 0). */
  readonly lossD: number;
  /** Weighted terms of lossG. */
  readonly terms: FineTuneTerms;
}

export interface FineTuner {
  /** ψ′: the person-specific AdaIN parameters, [1, psiSize]. */
  readonly psi: tf.Variable<tf.Rank.R2>;
  /** w′: D's person-specific projection vector, [N]. */
  readonly projection: tf.Variable<tf.Rank.R1>;
  /**
   * One generator update preceded by the configured number of discriminator updates. Resolves
   * after the losses are read back; do not start another step before it resolves.
   */
  step(): Promise<FineTuneStepResult>;
  /** G's frames for the given inputs with the current ψ′ and weights (caller disposes). */
  preview(inputs: GeneratorInputs): tf.Tensor4D;
  dispose(): void;
}

export const FINE_TUNE_DEFAULTS = {
  learningRateG: 5e-5,
  learningRateD: 2e-4,
  beta1: 0,
  beta2: 0.999,
  discriminatorStepsPerGeneratorStep: 2,
  featureMatchingWeight: 10,
  adversarialWeight: 1,
  l1Weight: 0,
  batchSize: 1,
  seed: 1,
} as const;

export function createFineTuner(inputs: FineTuneInputs, options: FineTuneOptions = {}): FineTuner {
  const opts = { ...FINE_TUNE_DEFAULTS, ...options };
  const { generator: g, discriminator: d, frames, landmarkImages, warped, mask } = inputs;
  const k = frames.shape[0];
  if (k === 0 || landmarkImages.shape[0] !== k) throw new Error('Fine-tuning needs K ≥ 1 frames and as many landmark images');
  const warpGuided = usesWarp(g.config);
  if (warpGuided && (warped === undefined || mask === undefined || warped.shape[0] !== k || mask.shape[0] !== k)) {
    throw new Error(
      `Fine-tuning the warp-guided generator "${g.config.name}" needs warped [K, H, W, 3] and mask [K, H, W, 1] ` +
        `for the K = ${k} photos (another photo warped onto each photo's landmarks)`,
    );
  }

  const psi = tf.tidy(() => tf.variable(g.psiFromEmbedding(inputs.embedding), true));
  const projection = tf.tidy(() => tf.variable(tf.add(d.params.get(W0), tf.reshape(inputs.embedding, [-1])) as tf.Tensor1D, true));
  // P is replaced by ψ′, and W / w0 by w′, so they get no gradient during fine-tuning. The mouth
  // generator (config.mouth) works on the shown frame, after G: it is not on this loss's path and
  // keeps its meta-learned weights and ψ_m.
  const untouched = new Set<tf.Variable>([
    g.params.get(PROJECTION_KERNEL),
    ...g.params
      .list()
      .filter((e) => e.name.startsWith(`${MOUTH_PREFIX}/`))
      .map((e) => e.variable),
  ]);
  // ψ′ has its own optimiser: Adam's steps do not scale with the gradient, so its rate is its own.
  const weightVars = opts.learningRateG > 0 ? g.params.trainableVariables().filter((v) => !untouched.has(v)) : [];
  const generatorVars = [...weightVars, psi];
  const learningRatePsi = opts.learningRatePsi ?? opts.learningRateG;
  if (!(learningRatePsi > 0)) throw new Error('Fine-tuning needs a learning rate > 0 for ψ′');
  const discriminatorVars = [...d.params.trainableVariables().filter((v) => !isOneOf(d, v, [EMBEDDING_MATRIX, W0])), projection];
  const optimizerG = tf.train.adam(opts.learningRateG, opts.beta1, opts.beta2);
  const optimizerPsi = tf.train.adam(learningRatePsi, opts.beta1, opts.beta2);
  const optimizerD = tf.train.adam(opts.learningRateD, opts.beta1, opts.beta2);
  const nextRandom = seededRandom(opts.seed);
  let steps = 0;

  const shown = warpGuided ? inputs.shown : undefined;
  if (shown && (shown.warped.shape[0] !== k || !tf.util.arraysEqual(shown.warped.shape, shown.real.shape))) {
    throw new Error(`Fine-tuning's shown frames need warped and real of one shape [K = ${k}, S, S, 3]`);
  }
  if (shown && g.config.generator.flow) throw new Error('Fine-tuning on shown frames does not support generator.flow');

  /** A batch of real frames and G's inputs for them (call inside a tidy). */
  const sampleBatch = (): {
    real: tf.Tensor4D;
    landmarks: tf.Tensor4D;
    inputs: GeneratorInputs;
    shown?: { warped: tf.Tensor4D; real: tf.Tensor4D };
  } => {
    const indices = Array.from({ length: opts.batchSize }, () => Math.floor(nextRandom() * k));
    const index = tf.tensor1d(indices, 'int32');
    const landmarks = tf.gather(landmarkImages, index);
    const generatorInputs: GeneratorInputs =
      warpGuided && warped && mask ? { landmarks, warped: tf.gather(warped, index), mask: tf.gather(mask, index) } : { landmarks };
    return {
      real: tf.gather(frames, index),
      landmarks,
      inputs: generatorInputs,
      ...(shown && { shown: { warped: tf.gather(shown.warped, index), real: tf.gather(shown.real, index) } }),
    };
  };

  /** One D update; returns its loss as a tensor (the caller reads it back once per step). */
  const discriminatorStep = (): tf.Scalar =>
    tf.tidy(() => {
      powerIterate(d.params);
      const { real, landmarks, inputs: generatorInputs } = sampleBatch();
      const fake = g.render(psi, generatorInputs).frame; // outside the closure: a constant for D's update
      const { value, grads } = tf.variableGrads(
        () => hingeLossD(d.score(real, landmarks, projection).realism, d.score(fake, landmarks, projection).realism),
        discriminatorVars,
      );
      optimizerD.applyGradients(asNamedList(grads));
      return value;
    });

  /** One G update; returns [lossG, adversarial, featureMatching, content, l1]. */
  const generatorStep = (): tf.Tensor1D =>
    tf.tidy(() => {
      powerIterate(g.params);
      const { real, landmarks, inputs: generatorInputs, shown: shownBatch } = sampleBatch();
      const realFeatures = d.features(real, landmarks).features; // detached targets of L_FM
      let terms: tf.Tensor1D | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const out = g.render(psi, generatorInputs);
        const fake = out.frame;
        const scored = d.score(fake, landmarks, projection);
        const adversarial = tf.mul(advLossG(scored.realism), opts.adversarialWeight);
        const matching = tf.mul(featureMatchingLoss(realFeatures, scored.features), opts.featureMatchingWeight);
        // The reconstruction terms judge the shown frame when there is one (the app's composition).
        const [judged, truth] = shownBatch ? [composeShown(shownBatch.warped, out), shownBatch.real] : [fake, real];
        const content = opts.contentLoss ? opts.contentLoss(judged, truth) : tf.scalar(0);
        const l1 = opts.l1Weight > 0 ? tf.mul(meanAbsoluteError(judged, truth), opts.l1Weight) : tf.scalar(0);
        // Kept past the gradient scope, which disposes everything but the loss.
        terms = tf.keep(tf.stack([adversarial, matching, content, l1]) as tf.Tensor1D);
        return tf.addN([adversarial, matching, content, l1]) as tf.Scalar;
      }, generatorVars);
      const { [psi.name]: psiGrad, ...weightGrads } = grads;
      if (weightVars.length > 0) optimizerG.applyGradients(asNamedList(weightGrads));
      optimizerPsi.applyGradients([{ name: psi.name, tensor: psiGrad }]);
      const all = tf.concat([tf.reshape(value, [1]), terms as tf.Tensor1D]) as tf.Tensor1D;
      (terms as tf.Tensor1D).dispose();
      return all;
    });

  return {
    psi,
    projection,
    async step() {
      let lossD: tf.Scalar = tf.scalar(Number.NaN);
      for (let i = 0; i < opts.discriminatorStepsPerGeneratorStep; i++) {
        lossD.dispose();
        lossD = discriminatorStep();
      }
      const generatorLosses = generatorStep();
      const packed = tf.tidy(() => tf.concat([tf.reshape(lossD, [1]), generatorLosses]));
      tf.dispose([lossD, generatorLosses]);
      // One asynchronous read-back per step: WebGPU cannot read synchronously (dataSync gives zeros).
      const [lossDValue, lossG, adversarial, featureMatching, content, l1] = await packed.data();
      packed.dispose();
      steps += 1;
      return { step: steps, lossG, lossD: lossDValue, terms: { adversarial, featureMatching, content, l1 } };
    },
    preview: (previewInputs) => tf.tidy(() => g.render(psi, previewInputs).frame),
    dispose() {
      optimizerG.dispose();
      optimizerPsi.dispose();
      optimizerD.dispose();
      psi.dispose();
      projection.dispose();
    },
  };
}

/** warp_S + α↑·Δ↑: G's α and Δ resized bilinearly (half-pixel centres) onto a warp of side S. */
export function composeShown(warped: tf.Tensor4D, out: GeneratorOutput): tf.Tensor4D {
  const size = warped.shape[1];
  const up = (t: tf.Tensor4D) => (t.shape[1] === size ? t : tf.image.resizeBilinear(t, [size, size], false, true));
  return tf.add(warped, tf.mul(up(out.alpha as tf.Tensor4D), up(out.delta as tf.Tensor4D))) as tf.Tensor4D;
}

/** variableGrads' map (keyed by variable name) in the list form every optimizer accepts. */
function asNamedList(grads: tf.NamedTensorMap): { name: string; tensor: tf.Tensor }[] {
  return Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
}

function isOneOf(d: Discriminator, variable: tf.Variable, names: readonly string[]): boolean {
  return names.some((name) => d.params.has(name) && d.params.get(name) === variable);
}

/**
 * How a set of weights fine-tunes: the tuner's options, plus `shownSize` for the caller that builds
 * its inputs (a warp-guided avatar: the side S of FineTuneInputs.shown; 0 or absent: none).
 */
export interface FineTuneRecipe extends FineTuneOptions {
  readonly shownSize?: number;
}

/** The options a weights manifest may set for fine-tuning its networks (meta.fineTune). */
const META_OPTIONS = [
  'learningRateG',
  'learningRatePsi',
  'learningRateD',
  'discriminatorStepsPerGeneratorStep',
  'featureMatchingWeight',
  'adversarialWeight',
  'l1Weight',
  'batchSize',
  'shownSize',
] as const;

/**
 * The fine-tuning recipe a weights manifest carries (meta.fineTune: numbers ≥ 0 for some of
 * META_OPTIONS), since how to fine-tune depends on how the networks were meta-learned; {} without one.
 * Throws on anything else, so a typo in shipped weights cannot silently fall back to the defaults.
 */
export function fineTuneOptionsFromMeta(meta: Readonly<Record<string, unknown>> | undefined): FineTuneRecipe {
  const raw = meta?.fineTune;
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('weights: meta.fineTune must be an object');
  const options: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(META_OPTIONS as readonly string[]).includes(key)) {
      throw new Error(`weights: meta.fineTune.${key} is not a fine-tuning option (known: ${META_OPTIONS.join(', ')})`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`weights: meta.fineTune.${key} must be a finite number ≥ 0`);
    }
    if ((key === 'batchSize' || key === 'learningRatePsi') && value === 0) {
      throw new Error(`weights: meta.fineTune.${key} must be > 0`);
    }
    if (['shownSize', 'discriminatorStepsPerGeneratorStep', 'batchSize'].includes(key) && !Number.isInteger(value)) {
      throw new Error(`weights: meta.fineTune.${key} must be an integer`);
    }
    options[key] = value;
  }
  return options as FineTuneRecipe;
}
