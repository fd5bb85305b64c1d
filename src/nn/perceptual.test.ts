import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CAFFE_BGR_MEAN, preprocess, resizeTo } from './perceptual-preprocess.ts';
import { DEFAULT_PERCEPTUAL_DIR, loadPerceptualNetworksFromDir, missingPerceptualModels, readModelArtifacts } from './perceptual-node.ts';
import {
  CONTENT_INPUT_SIZE,
  PERCEPTUAL_MODELS,
  contentLossConfig,
  perceptualContentLoss,
  perceptualFeatures,
  type ContentLossConfig,
  type PerceptualNetworks,
  type PerceptualRole,
} from './perceptual.ts';
import { freezeKerasModel } from './perceptual-frozen-keras.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const pixel = (t: tf.Tensor) => Array.from(t.dataSync());

describe('preprocessing (no models needed)', () => {
  it('maps RGB [0,1] to caffe BGR 0..255 minus the ImageNet means, channel order reversed', () => {
    const white = tf.ones([1, 1, 1, 3]) as tf.Tensor4D;
    const red = tf.tensor4d([1, 0, 0], [1, 1, 1, 3]);
    expect(pixel(preprocess(white, 'caffe-bgr'))).toEqual(CAFFE_BGR_MEAN.map((m) => expect.closeTo(255 - m, 3)));
    // Red lands in the LAST channel (BGR), blue/green sit at minus their means.
    const [b, g, r] = pixel(preprocess(red, 'caffe-bgr'));
    expect([b, g, r]).toEqual([expect.closeTo(-103.939, 3), expect.closeTo(-116.779, 3), expect.closeTo(131.32, 3)]);
  });

  it('keeps RGB [0,1] for the ImageNet-role network and declares each model`s input', () => {
    const x = tf.randomUniform([1, 4, 4, 3]) as tf.Tensor4D;
    expect(preprocess(x, 'rgb-unit')).toBe(x);
    expect(PERCEPTUAL_MODELS.imagenet).toMatchObject({ preprocess: 'rgb-unit', inputSize: 224, format: 'layers-model' });
    expect(PERCEPTUAL_MODELS.face).toMatchObject({ preprocess: 'caffe-bgr', inputSize: 224, format: 'graph-model' });
  });

  it('resizes to the network size and leaves the right size alone', () => {
    const x = tf.zeros([2, 256, 200, 3]) as tf.Tensor4D;
    expect(resizeTo(x, 224).shape).toEqual([2, 224, 224, 3]);
    const y = tf.zeros([1, 224, 224, 3]) as tf.Tensor4D;
    expect(resizeTo(y, 224)).toBe(y);
  });

  it('carries the paper weights in the default config', () => {
    expect(contentLossConfig.imagenet.weight).toBe(1.5e-1);
    expect(contentLossConfig.face.weight).toBe(2.5e-2);
  });
});

/** A deterministic smooth test picture (gradients and blobs), NHWC RGB in [0,1]. */
function syntheticImage(size: number, phase: number): tf.Tensor4D {
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size;
      const v = y / size;
      const blob = Math.exp(-((u - 0.5) ** 2 + (v - 0.45) ** 2) / 0.04);
      const i = (y * size + x) * 3;
      data[i] = 0.5 + 0.4 * Math.sin(6 * u + phase) * (1 - blob) + 0.1 * blob;
      data[i + 1] = 0.3 + 0.5 * blob + 0.2 * Math.cos(5 * v + phase);
      data[i + 2] = 0.2 + 0.6 * v * (1 - blob);
    }
  }
  return tf.tensor4d(data, [1, size, size, 3]);
}

function withNoise(image: tf.Tensor4D, amount: number, seed: number): tf.Tensor4D {
  return tf.clipByValue(tf.add(image, tf.randomNormal(image.shape, 0, amount, 'float32', seed)), 0, 1) as tf.Tensor4D;
}

const modelsMissing = missingPerceptualModels();
/** The networks run in pure-JS tf.js on CPU here: seconds per pass, more on a loaded machine. */
const NETWORK_TEST_TIMEOUT_MS = 400_000;

/** Cheap configs for CPU tests: the two earliest default layers of one or both networks. */
const lightConfig = (roles: readonly PerceptualRole[]): ContentLossConfig => ({
  imagenet: roles.includes('imagenet')
    ? { weight: 0.15, layers: contentLossConfig.imagenet.layers.slice(0, 2) }
    : { weight: 0, layers: [] },
  face: roles.includes('face') ? { weight: 0.025, layers: contentLossConfig.face.layers.slice(0, 2) } : { weight: 0, layers: [] },
});

describe.skipIf(modelsMissing !== null)('perceptual networks', () => {
  let networks: PerceptualNetworks | undefined;
  afterEach(() => {
    networks?.imagenet.dispose();
    networks?.face.dispose();
    networks = undefined;
  });

  it(
    'runs the Keras MobileNetV2 front with plain ops exactly like tf-layers does',
    async () => {
      const model = await tf.loadLayersModel(await readModelArtifacts(join(DEFAULT_PERCEPTUAL_DIR, PERCEPTUAL_MODELS.imagenet.dir)));
      const layers = contentLossConfig.imagenet.layers;
      const reference = tf.model({ inputs: model.inputs, outputs: layers.map((n) => model.getLayer(n).output as tf.SymbolicTensor) });
      const frozen = freezeKerasModel(model, layers);
      const input = syntheticImage(224, 1);
      const expected = reference.predict(input) as tf.Tensor[];
      const actual = frozen.run(input);
      expect(actual.map((t) => t.shape)).toEqual(expected.map((t) => t.shape));
      for (const [i, t] of actual.entries()) {
        const maxDiff = tf.max(tf.abs(tf.sub(t, expected[i]))).dataSync()[0];
        const scale = tf.max(tf.abs(expected[i])).dataSync()[0];
        expect(maxDiff / scale, layers[i]).toBeLessThan(1e-4);
      }
      frozen.dispose();
      model.dispose();
    },
    NETWORK_TEST_TIMEOUT_MS,
  );

  it(
    'loads from disk with the default config, returns early-to-mid activations, leaves no variables',
    async () => {
      const variableCount = () => Object.keys(tf.engine().registeredVariables).length;
      const variablesBefore = variableCount();
      // Resized to the content loss's input size (perceptual.json), not the networks' native 224.
      networks = await loadPerceptualNetworksFromDir();
      expect([networks.imagenet.inputSize, networks.face.inputSize]).toEqual([CONTENT_INPUT_SIZE, CONTENT_INPUT_SIZE]);
      const feats = perceptualFeatures(networks, syntheticImage(256, 0));
      const at = (n: number, channels: number) => [1, n, n, channels];
      const n = CONTENT_INPUT_SIZE;
      expect(feats.imagenet.map((t) => t.shape)).toEqual([at(n / 2, 96), at(n / 4, 144), at(n / 8, 192), at(n / 16, 384)]);
      expect(feats.face.map((t) => t.shape)).toEqual([at(n / 2, 64), at(n / 4, 128), at(n / 8, 256), at(n / 16, 512)]);
      for (const t of [...feats.imagenet, ...feats.face]) expect(tf.mean(tf.abs(t)).dataSync()[0]).toBeGreaterThan(1e-3);
      // Any other size on request, the networks' own 224 included.
      networks.imagenet.dispose();
      networks.face.dispose();
      networks = await loadPerceptualNetworksFromDir(DEFAULT_PERCEPTUAL_DIR, contentLossConfig, 224);
      const native = perceptualFeatures(networks, syntheticImage(256, 0));
      expect(native.imagenet.map((t) => t.shape)).toEqual([at(112, 96), at(56, 144), at(28, 192), at(14, 384)]);
      expect(native.face.map((t) => t.shape)).toEqual([at(112, 64), at(56, 128), at(28, 256), at(14, 512)]);
      // No tf.Variable may come from the perceptual networks (optimizer.minimize would train them).
      expect(variableCount()).toBe(variablesBefore);
    },
    NETWORK_TEST_TIMEOUT_MS,
  );

  it(
    'content loss is 0 for identical images and grows with the difference',
    async () => {
      const config = lightConfig(['imagenet', 'face']);
      const nets = (networks = await loadPerceptualNetworksFromDir(DEFAULT_PERCEPTUAL_DIR, config));
      const image = syntheticImage(224, 0);
      const real = perceptualFeatures(nets, image);
      const loss = (fake: tf.Tensor4D) => perceptualContentLoss(nets, real, fake, config).dataSync()[0];
      const other = tf.reverse(syntheticImage(224, 2.5), 2) as tf.Tensor4D;
      const blend = (t: number) => tf.add(tf.mul(image, 1 - t), tf.mul(other, t)) as tf.Tensor4D;
      expect(loss(image)).toBe(0);
      // Moving towards another picture: the loss grows monotonically with the distance.
      const towardsOther = [0.1, 0.4, 1].map((t) => loss(blend(t)));
      expect(towardsOther[0]).toBeGreaterThan(0);
      expect(towardsOther[1]).toBeGreaterThan(towardsOther[0]);
      expect(towardsOther[2]).toBeGreaterThan(towardsOther[1]);
      // Heavier noise is further away too.
      expect(loss(withNoise(image, 0.2, 2))).toBeGreaterThan(2 * loss(withNoise(image, 0.02, 1)));
    },
    NETWORK_TEST_TIMEOUT_MS,
  );

  it.each(['imagenet', 'face'] as const)(
    'sends finite, non-zero, downhill gradients through the %s network',
    async (role) => {
      // One network at a time, so one that silently blocks gradients can't hide behind the other.
      const config = lightConfig([role]);
      const nets = (networks = await loadPerceptualNetworksFromDir(DEFAULT_PERCEPTUAL_DIR, config));
      const image = syntheticImage(224, 0);
      const real = perceptualFeatures(nets, image);
      const fake = withNoise(image, 0.1, 3);
      const lossOf = (x: tf.Tensor) => perceptualContentLoss(nets, real, x as tf.Tensor4D, config);
      const { value, grad } = tf.valueAndGrad(lossOf)(fake);
      const values = grad.dataSync();
      expect(value.dataSync()[0]).toBeGreaterThan(0);
      expect(values.every(Number.isFinite)).toBe(true);
      expect(values.filter((v) => v !== 0).length / values.length).toBeGreaterThan(0.5);
      // The gradient points downhill: a small step against it lowers the loss.
      const step = tf.sub(fake, tf.mul(tf.div(grad, tf.max(tf.abs(grad))), 0.01));
      expect(lossOf(step).dataSync()[0]).toBeLessThan(value.dataSync()[0]);
    },
    NETWORK_TEST_TIMEOUT_MS,
  );
});

// Real-photo checks that each network is fed the range it was trained with; they need the shared
// face data (../shared) and ffmpeg to decode JPEGs.
const celebaDir = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'celeba');
const hasFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const realPhotosMissing = !existsSync(celebaDir)
  ? `shared face data not found at ${celebaDir}`
  : !hasFfmpeg
    ? 'ffmpeg not installed (needed to decode the JPEG test photos)'
    : null;

/** First photo of the first `count` CelebA identities, 224×224 RGB [0,1]. */
function celebaPhotos(count: number): tf.Tensor4D {
  const ids = readdirSync(celebaDir).sort().slice(0, count);
  const pixels = ids.map((id) => {
    const file = readdirSync(join(celebaDir, id))
      .filter((f) => f.endsWith('.jpg'))
      .sort()[0];
    const raw = execFileSync('ffmpeg', [
      '-v',
      'error',
      '-i',
      join(celebaDir, id, file),
      '-vf',
      'scale=224:224',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ]);
    return Float32Array.from(raw, (b) => b / 255);
  });
  const flat = new Float32Array(pixels.length * 224 * 224 * 3);
  pixels.forEach((p, i) => flat.set(p, i * p.length));
  return tf.tensor4d(flat, [pixels.length, 224, 224, 3]);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

describe.skipIf(modelsMissing !== null || realPhotosMissing !== null)('input ranges on real photos', () => {
  it(
    'MobileNetV2: [0,1] input reproduces its batch-norm statistics, ImageNet [-1,1] does not',
    async () => {
      const model = await tf.loadLayersModel(await readModelArtifacts(join(DEFAULT_PERCEPTUAL_DIR, PERCEPTUAL_MODELS.imagenet.dir)));
      const photos = celebaPhotos(6);
      const bnNames = ['bn_Conv1', 'block_1_expand_BN', 'block_2_expand_BN'];
      const probe = tf.model({ inputs: model.inputs, outputs: bnNames.map((n) => model.getLayer(n).input as tf.SymbolicTensor) });
      /** Median over channels of |log(activation variance / BN moving variance)|, per BN layer. */
      const varianceMismatch = (input: tf.Tensor4D) =>
        (probe.predict(input) as tf.Tensor[]).map((activation, i) => {
          const movingVariance = model.getLayer(bnNames[i]).getWeights()[3].dataSync();
          const variance = tf.moments(activation, [0, 1, 2]).variance.dataSync();
          return median(Array.from(variance, (v, c) => Math.abs(Math.log((v + 1e-6) / (movingVariance[c] + 1e-3)))));
        });
      const chosen = varianceMismatch(preprocess(photos, PERCEPTUAL_MODELS.imagenet.preprocess));
      const imagenetRange = varianceMismatch(tf.sub(tf.mul(photos, 2), 1) as tf.Tensor4D);
      for (const m of chosen) expect(m).toBeLessThan(0.4);
      for (const m of imagenetRange.slice(0, 2)) expect(m).toBeGreaterThan(0.5);
      model.dispose();
    },
    NETWORK_TEST_TIMEOUT_MS,
  );

  it(
    'faceres: caffe-BGR input tells different faces apart, a [0,1] or [-1,1] input makes the L1 loss vanish',
    async () => {
      const model = await tf.loadGraphModel(await readModelArtifacts(join(DEFAULT_PERCEPTUAL_DIR, PERCEPTUAL_MODELS.face.dir)));
      const photos = celebaPhotos(2);
      const node = 'conv_pw_3_relu/clip_by_value';
      /** mean|f(a) − f(b)| relative to mean|f|: what the content loss sees between two people. */
      const relativeSpread = (input: tf.Tensor4D) =>
        tf.tidy(() => {
          const [a, b] = tf.unstack(model.execute(input, node) as tf.Tensor4D);
          const diff = tf.mean(tf.abs(tf.sub(a, b))).dataSync()[0];
          return diff / tf.mean(tf.abs(tf.stack([a, b]))).dataSync()[0];
        });
      const chosen = relativeSpread(preprocess(photos, PERCEPTUAL_MODELS.face.preprocess));
      const unitRange = relativeSpread(photos);
      const signedRange = relativeSpread(tf.sub(tf.mul(photos, 2), 1) as tf.Tensor4D);
      expect(chosen).toBeGreaterThan(0.3);
      expect(unitRange).toBeLessThan(chosen / 10);
      expect(signedRange).toBeLessThan(chosen / 5);
      model.dispose();
    },
    NETWORK_TEST_TIMEOUT_MS,
  );
});

if (modelsMissing) console.warn(`perceptual.test: skipping network tests: ${modelsMissing}`);
if (realPhotosMissing) console.warn(`perceptual.test: skipping real-photo range tests: ${realPhotosMissing}`);
