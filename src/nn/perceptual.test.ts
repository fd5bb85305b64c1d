import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAFFE_BGR_MEAN, preprocess, resizeTo } from './perceptual-preprocess.ts';
import {
  DEFAULT_PERCEPTUAL_DIR,
  loadPerceptualNetworksFromDir,
  missingPerceptualModels,
  readModelArtifacts,
} from './perceptual-node.ts';
import {
  PERCEPTUAL_MODELS,
  contentLossConfig,
  perceptualContentLoss,
  perceptualFeatures,
  type PerceptualNetworks,
} from './perceptual.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const pixel = (t: tf.Tensor) => Array.from(t.dataSync());

describe('preprocessing (no models needed)', () => {
  it('maps RGB [0,1] to caffe BGR 0..255 minus the ImageNet means, channel order reversed', () => {
    const white = tf.ones([1, 1, 1, 3]) as tf.Tensor4D;
    const red = tf.tensor4d([1, 0, 0], [1, 1, 1, 3]);
    expect(pixel(preprocess(white, 'caffe-bgr'))).toEqual(
      CAFFE_BGR_MEAN.map((m) => expect.closeTo(255 - m, 3)),
    );
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

describe.skipIf(modelsMissing !== null)('perceptual networks', () => {
  let networks: PerceptualNetworks;
  beforeAll(async () => {
    networks = await loadPerceptualNetworksFromDir();
  });
  afterAll(() => {
    networks?.imagenet.dispose();
    networks?.face.dispose();
  });

  it('returns the configured early-to-mid activations and keeps the networks frozen', () => {
    const feats = perceptualFeatures(networks, syntheticImage(256, 0));
    expect(feats.imagenet.map((t) => t.shape)).toEqual([
      [1, 112, 112, 96],
      [1, 56, 56, 144],
      [1, 28, 28, 192],
      [1, 14, 14, 384],
    ]);
    expect(feats.face.map((t) => t.shape)).toEqual([
      [1, 112, 112, 64],
      [1, 56, 56, 128],
      [1, 28, 28, 256],
      [1, 14, 14, 512],
    ]);
    // Non-degenerate activations: the input range is one the networks respond to.
    for (const t of [...feats.imagenet, ...feats.face]) expect(tf.mean(tf.abs(t)).dataSync()[0]).toBeGreaterThan(1e-3);
    // No trainable tf.Variable may come from the perceptual networks (optimizer.minimize would train them).
    const trainable = Object.values(tf.engine().registeredVariables).filter((v) => v.trainable);
    expect(trainable.map((v) => v.name)).toEqual([]);
  });

  it('content loss is 0 for identical images and grows with the difference', () => {
    const image = syntheticImage(256, 0);
    const real = perceptualFeatures(networks, image);
    const same = perceptualContentLoss(networks, real, image).dataSync()[0];
    const slightly = perceptualContentLoss(networks, real, withNoise(image, 0.02, 1)).dataSync()[0];
    const very = perceptualContentLoss(networks, real, withNoise(image, 0.2, 2)).dataSync()[0];
    const other = perceptualContentLoss(networks, real, syntheticImage(256, 2.5)).dataSync()[0];
    expect(same).toBe(0);
    expect(slightly).toBeGreaterThan(0);
    expect(very).toBeGreaterThan(2 * slightly);
    expect(other).toBeGreaterThan(slightly);
  });

  it('sends finite, non-zero gradients through both networks to the generated image', () => {
    const image = syntheticImage(224, 0);
    const real = perceptualFeatures(networks, image);
    const fake = withNoise(image, 0.1, 3);
    const lossOf = (x: tf.Tensor4D) => perceptualContentLoss(networks, real, x);
    for (const role of ['imagenet', 'face'] as const) {
      // Each network alone, so a network that silently blocks gradients can't hide behind the other.
      const onlyRole = { ...contentLossConfig, [role === 'imagenet' ? 'face' : 'imagenet']: { weight: 0, layers: [] } };
      const realRole = { ...real, [role === 'imagenet' ? 'face' : 'imagenet']: [] };
      const netsRole = { ...networks, [role === 'imagenet' ? 'face' : 'imagenet']: { ...networks[role === 'imagenet' ? 'face' : 'imagenet'], features: () => [] } };
      const grad = tf.grad((x: tf.Tensor4D) => perceptualContentLoss(netsRole, realRole, x, onlyRole))(fake);
      const values = grad.dataSync();
      expect(values.every(Number.isFinite)).toBe(true);
      expect(values.filter((v) => v !== 0).length / values.length, role).toBeGreaterThan(0.5);
    }
    // The gradient points downhill: a small step against it lowers the loss.
    const { value, grad } = tf.valueAndGrad(lossOf)(fake);
    const step = tf.sub(fake, tf.mul(tf.div(grad, tf.max(tf.abs(grad))), 0.01)) as tf.Tensor4D;
    expect(lossOf(step).dataSync()[0]).toBeLessThan(value.dataSync()[0]);
  });
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
    const file = readdirSync(join(celebaDir, id)).filter((f) => f.endsWith('.jpg')).sort()[0];
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', join(celebaDir, id, file), '-vf', 'scale=224:224', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    return Float32Array.from(raw, (b) => b / 255);
  });
  const flat = new Float32Array(pixels.length * 224 * 224 * 3);
  pixels.forEach((p, i) => flat.set(p, i * p.length));
  return tf.tensor4d(flat, [pixels.length, 224, 224, 3]);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

describe.skipIf(modelsMissing !== null || realPhotosMissing !== null)('input ranges on real photos', () => {
  it('MobileNetV2: [0,1] input reproduces its batch-norm statistics, ImageNet [-1,1] does not', async () => {
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
  });

  it('faceres: caffe-BGR input keeps different faces apart, a [0,1] input collapses them', async () => {
    const model = await tf.loadGraphModel(await readModelArtifacts(join(DEFAULT_PERCEPTUAL_DIR, PERCEPTUAL_MODELS.face.dir)));
    const photos = celebaPhotos(3);
    const node = 'conv_pw_11_relu/clip_by_value';
    /** Mean pairwise cosine similarity of the spatially pooled activations of different people. */
    const similarity = (input: tf.Tensor4D) =>
      tf.tidy(() => {
        const pooled = tf.mean(model.execute(input, node) as tf.Tensor4D, [1, 2]);
        const unit = tf.div(pooled, tf.norm(pooled, 2, 1, true));
        const sims = tf.matMul(unit, unit, false, true).arraySync() as number[][];
        return (sims[0][1] + sims[0][2] + sims[1][2]) / 3;
      });
    const chosen = similarity(preprocess(photos, PERCEPTUAL_MODELS.face.preprocess));
    const unitRange = similarity(photos);
    expect(unitRange).toBeGreaterThan(0.97);
    expect(chosen).toBeLessThan(unitRange - 0.1);
    model.dispose();
  });
});

if (modelsMissing) console.warn(`perceptual.test: skipping network tests: ${modelsMissing}`);
if (realPhotosMissing) console.warn(`perceptual.test: skipping real-photo range tests: ${realPhotosMissing}`);
