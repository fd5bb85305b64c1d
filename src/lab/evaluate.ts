/**
 * window.lab.evaluation: the browser half of `npm run eval` (scripts/eval.ts). It does what needs a
 * browser: the app's landmark detector and crop, the app's model worker (so FF setup, fine-tuning
 * and ms/frame are timed on the path users run), and the pretrained networks behind the metrics
 * (mobilefacenet identity embeddings for CSIM, pooled MobileNetV2 features for the FID proxy).
 * Metric arithmetic, baselines and the report stay in Node (src/eval/), where they are unit-tested.
 * Several generators are evaluated side by side: each gets its own model worker, named by the
 * optional `worker` argument of the avatar calls. warpCost times the warp of warp-guided avatars for
 * `npm run bench` (scripts/bench.ts). track follows a driving clip as the app's drive loop does
 * (VIDEO-mode detector, smoothed crop), for the cross-identity evaluation.
 *
 * Images cross page.evaluate as raw RGBA in base64 (lossless and cheap at these sizes).
 */
import * as tf from '@tensorflow/tfjs';
import * as Comlink from 'comlink';
import { computeFaceCrop, CropSmoother, cropTransformFromBox, faceCropBox, mapLandmarksToCrop, resampleCrop } from '../landmarks/crop.ts';
import { createFaceDetector, decodeImageFile, lazyFaceDetector } from '../landmarks/detector.ts';
import { toFaceErrorInfo, type FaceErrorInfo } from '../landmarks/errors.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { nearestSource, sampleWarpGrid, warpGrid } from '../landmarks/warp.ts';
import { selectBackend, type BackendName } from '../nn/backend.ts';
import { rgbaToTensor, rgbaToUnitTensor } from '../nn/ff.ts';
import type { FineTuneValidation } from '../nn/finetune-validation.ts';
import { freezeKerasModel, type FrozenKerasFunction } from '../nn/perceptual-frozen-keras.ts';
import { PERCEPTUAL_MODELS } from '../nn/perceptual.ts';
import { preprocess, resizeTo } from '../nn/perceptual-preprocess.ts';
import { bitmapPixels, toImageData } from '../util/bitmap.ts';
import type { AvatarWorkerApi, FineTuneProgress, InitOptions, ModelInfo } from '../workers/avatar-protocol.ts';
import type { RenderOptions } from '../nn/avatar-session.ts';
import { detectInImageUrl } from './detect-url.ts';

export interface EvalImage {
  width: number;
  height: number;
  rgbaBase64: string;
}

/** A face crop at the network's resolution and its 478 landmarks (x, y, z flattened, crop pixels). */
export interface EvalFace {
  image: EvalImage;
  landmarks: number[];
}

export interface EvalFineTuneResult {
  ms: number;
  stepsDone: number;
  usedContentLoss: boolean;
  lossG: number | null;
  lossD: number | null;
  /** What the photos held out of fine-tuning decided (null: none were, all were trained on). */
  validation: FineTuneValidation | null;
}

/** Per driving frame, the warp's cost (ms): JS (nearest photo + grid) and sampling on the backend. */
export interface EvalWarpCost {
  backend: string;
  /** Side of the warped frames. */
  size: number;
  jsMs: number[];
  sampleMs: number[];
}

/** One frame of a driving clip as the app's drive loop sees it: the smoothed crop and the driver's landmarks in it. */
export interface EvalDriveFrame {
  /** The frame's smoothed face crop (what the drive loop crops, at the requested size). */
  image: EvalImage;
  /** The driver's 478 landmarks (flat x, y, z) in crop pixels, before any landmark adaptation. */
  landmarks: number[];
}

/** The model worker used when the avatar calls name none. */
export const DEFAULT_EVAL_WORKER = 'default';

export interface LabEvaluationApi {
  analyze(imageUrl: string, size: number): Promise<EvalFace | { error: FaceErrorInfo }>;
  /** Loads weights into the model worker named `worker` (created on first use; one per generator). */
  initAvatar(options: InitOptions, worker?: string): Promise<ModelInfo>;
  createAvatar(photos: EvalFace[], worker?: string): Promise<{ ms: number }>;
  fineTune(steps: number, useContentLoss: boolean, worker?: string): Promise<EvalFineTuneResult>;
  /** A frame (at the worker's ModelInfo.frameSize) for landmarks in a square of side `frameSize`. */
  /** One frame; `holdSource` for frames of a driving sequence, as the app's drive loop renders them. */
  render(landmarks: number[], frameSize: number, worker?: string, options?: RenderOptions): Promise<{ image: EvalImage; ms: number }>;
  /**
   * Times the warp-guided avatar's warp at the photos' size, on this page's main thread with
   * `backend` active (the previous backend is restored after): per target, picking the nearest photo
   * and computing the grid in JS, then sampling the photo on the backend (taps computed in JS and
   * uploaded, four gathers, one read-back to wait for the GPU). One untimed warm-up first.
   */
  warpCost(photos: EvalFace[], targets: number[][], backend: BackendName): Promise<EvalWarpCost>;
  /**
   * Identity embeddings (mobilefacenet, 112×112 inputs; other sizes are resized), fed RGB 0..255:
   * of the ranges tried on tight crops of 8 CelebA photos of 3 people ([0,1], [-1,1], BGR,
   * 0..255 − 127.5) it separates people best, and still weakly: same person 0.98–0.99, other people
   * 0.94–0.99 (in [0,1] and [-1,1] every pair scored 1.00). Hence the faceres cosine beside it.
   */
  identity(images: EvalImage[]): Promise<number[][]>;
  /**
   * Unit-length faceres embeddings (VGGFace2-trained; global average pool of conv_pw_13) of whole
   * crops: the trainer's held-out identity metric (train/talking_heads/evaluate_heldout.py).
   */
  faceresIdentity(images: EvalImage[]): Promise<number[][]>;
  /** Global-average-pooled MobileNetV2 `out_relu` activations (1280-d) for the FID proxy. */
  features(images: EvalImage[]): Promise<number[][]>;
  /** The detector's 478 landmarks (flat x, y, z) on an image, or null when it finds no face. */
  detect(image: EvalImage): Promise<number[] | null>;
  /**
   * Follows a driving clip's frames (in order, taken at `timesMs`) through the app's drive loop
   * (src/ui/driving.ts): a fresh VIDEO-mode detector with the app's options, the raw crop box of
   * each frame smoothed by CropSmoother on those timestamps, the landmarks mapped into the smoothed
   * crop of side `size`. A frame without a usable face comes back as { error } and, as in the app,
   * leaves the smoother untouched.
   */
  track(imageUrls: string[], timesMs: number[], size: number): Promise<(EvalDriveFrame | { error: FaceErrorInfo })[]>;
  /**
   * The backends the metric networks try, in order (default DEFAULT_METRICS_BACKENDS); only before
   * their first use, since they load once.
   */
  setMetricsBackends(backends: BackendName[]): Promise<void>;
  /** Main-thread backend of the metric networks and the model workers' tensors (all together), for the report. */
  describe(): Promise<{ metricsBackend: string; workerTensors: number | null }>;
}

/**
 * WASM first: on a machine without a GPU (SwiftShader), `npm run eval` on one clip, 8 hold-out frames,
 * T = 1, 8 spent 242 s in these networks on WebGL and 19 s on WASM, with the same numbers; SwiftShader's
 * WebGL in turn runs them faster than its WebGPU.
 */
export const DEFAULT_METRICS_BACKENDS: readonly BackendName[] = ['wasm', 'webgl', 'webgpu', 'cpu'];

export const IDENTITY_MODEL_URL = '/models/identity/mobilefacenet/model.json';
export const FEATURE_MODEL_URL = '/models/perceptual/mobilenet_v2/model.json';
export const FEATURE_LAYER = 'out_relu';
export const FACERES_MODEL_URL = `/models/perceptual/${PERCEPTUAL_MODELS.face.dir}/model.json`;
const FACERES_IDENTITY_NODE = PERCEPTUAL_MODELS.face.nodeForLayer!('conv_pw_13_relu');

export function encodeEvalImage(image: RgbaImage): EvalImage {
  const bytes = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { width: image.width, height: image.height, rgbaBase64: btoa(binary) };
}

export function decodeEvalImage(image: EvalImage): RgbaImage {
  const binary = atob(image.rgbaBase64);
  const data = new Uint8ClampedArray(binary.length);
  for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i);
  if (data.length !== image.width * image.height * 4)
    throw new Error(`eval image: ${data.length} bytes for ${image.width}×${image.height}`);
  return { width: image.width, height: image.height, data };
}

function toPoints(flat: readonly number[]): Landmarks {
  const points = [];
  for (let i = 0; i + 2 < flat.length; i += 3) points.push({ x: flat[i], y: flat[i + 1], z: flat[i + 2] });
  return points;
}

/** Batch of RGB images in [0,1], NHWC. */
function batch01(images: EvalImage[]): tf.Tensor4D {
  return tf.tidy(
    () =>
      tf.stack(
        images.map((image) => {
          return rgbaToUnitTensor(decodeEvalImage(image));
        }),
      ) as tf.Tensor4D,
  );
}

export function createEvaluationApi(createWorker: () => Comlink.Remote<AvatarWorkerApi>): LabEvaluationApi {
  // Evaluation keeps every face the detector finds: generated frames are small (the face spans
  // about 60% of a 128 px crop) and the app's 64 px refusal is about user photos, not metrics.
  const detector = lazyFaceDetector({ mode: 'IMAGE', minFaceSizePx: 0 });
  const workers = new Map<string, Comlink.Remote<AvatarWorkerApi>>();
  const avatarWorker = (name = DEFAULT_EVAL_WORKER) => {
    const worker = workers.get(name);
    if (!worker) throw new Error(`evaluation: initAvatar first (model worker "${name}")`);
    return worker;
  };

  let metricsReady:
    | Promise<{ backend: string; identity: tf.GraphModel; faceres: tf.GraphModel; features: FrozenKerasFunction }>
    | undefined;
  let metricsBackends: readonly BackendName[] = DEFAULT_METRICS_BACKENDS;
  const metricNetworks = () => {
    metricsReady ??= (async () => {
      const choice = await selectBackend([...metricsBackends]);
      const identity = await tf.loadGraphModel(IDENTITY_MODEL_URL);
      const faceres = await tf.loadGraphModel(FACERES_MODEL_URL);
      const featureModel = await tf.loadLayersModel(FEATURE_MODEL_URL);
      const features = freezeKerasModel(featureModel, [FEATURE_LAYER]);
      featureModel.dispose();
      return { backend: choice.backend, identity, faceres, features };
    })();
    return metricsReady;
  };

  return {
    analyze(imageUrl, size) {
      return detectInImageUrl(detector.get, imageUrl, (detection, decoded) => {
        const transform = computeFaceCrop(detection.landmarks, size);
        const crop = resampleCrop(bitmapPixels(decoded.image), transform, size);
        return {
          image: encodeEvalImage(crop),
          landmarks: mapLandmarksToCrop(detection.landmarks, transform).flatMap((p) => [p.x, p.y, p.z]),
        };
      });
    },

    async initAvatar(options, name = DEFAULT_EVAL_WORKER) {
      let worker = workers.get(name);
      if (!worker) {
        worker = createWorker();
        workers.set(name, worker);
      }
      return worker.init(options);
    },

    async createAvatar(photos, name) {
      const started = performance.now();
      await avatarWorker(name).createAvatar(
        photos.map((photo) => ({ crop: decodeEvalImage(photo.image), landmarks: toPoints(photo.landmarks) })),
      );
      return { ms: performance.now() - started };
    },

    async fineTune(steps, useContentLoss, name) {
      let last: FineTuneProgress | undefined;
      const started = performance.now();
      const summary = await avatarWorker(name).fineTune(
        { steps, previewEvery: steps, useContentLoss },
        Comlink.proxy((progress: FineTuneProgress) => {
          last = progress;
        }),
      );
      return {
        ms: performance.now() - started,
        stepsDone: summary.stepsDone,
        usedContentLoss: summary.usedContentLoss,
        lossG: last?.lossG ?? null,
        lossD: last?.lossD ?? null,
        validation: summary.validation ?? null,
      };
    },

    async render(landmarks, frameSize, name, options) {
      const started = performance.now();
      const image = await avatarWorker(name).render(toPoints(landmarks), frameSize, options);
      return { image: encodeEvalImage(image), ms: performance.now() - started };
    },

    async warpCost(photos, targets, backend) {
      if (photos.length === 0 || targets.length === 0) throw new Error('warpCost: needs photos and targets');
      const previous = tf.getBackend();
      const choice = await selectBackend([backend]);
      const crops = photos.map((photo) => decodeEvalImage(photo.image));
      const points = photos.map((photo) => toPoints(photo.landmarks));
      const size = crops[0].width;
      // The photos stay on the backend, as a warp-guided avatar keeps them ([1, S, S, 3] in [-1, 1]).
      const sources = crops.map((crop) => tf.tidy(() => rgbaToTensor(crop).expandDims(0) as tf.Tensor4D));
      const jsMs: number[] = [];
      const sampleMs: number[] = [];
      try {
        for (const [k, flat] of [targets[0], ...targets].entries()) {
          const target = toPoints(flat);
          const started = performance.now();
          const j = nearestSource(points, target);
          const grid = warpGrid(points[j], target, size);
          const gridDone = performance.now();
          const warped = sampleWarpGrid(sources[j], grid.positions);
          await warped.data();
          const sampled = performance.now();
          warped.dispose();
          if (k === 0) continue; // warm-up: shader compilation, first uploads
          jsMs.push(gridDone - started);
          sampleMs.push(sampled - gridDone);
        }
      } finally {
        tf.dispose(sources);
        if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
      }
      return { backend: choice.backend, size, jsMs, sampleMs };
    },

    async identity(images) {
      if (images.length === 0) return [];
      const { identity } = await metricNetworks();
      const [, height, width] = identity.inputs[0].shape ?? [-1, 112, 112];
      const input = tf.tidy(() =>
        tf.image.resizeBilinear(batch01(images).mul(255) as tf.Tensor4D, [height > 0 ? height : 112, width > 0 ? width : 112], false),
      );
      try {
        const output = identity.execute(input) as tf.Tensor;
        try {
          return (await output.array()) as number[][];
        } finally {
          output.dispose();
        }
      } finally {
        input.dispose();
      }
    },

    async faceresIdentity(images) {
      if (images.length === 0) return [];
      const { faceres } = await metricNetworks();
      const embeddings = tf.tidy(() => {
        const input = preprocess(resizeTo(batch01(images), PERCEPTUAL_MODELS.face.inputSize), PERCEPTUAL_MODELS.face.preprocess);
        const pooled = (faceres.execute(input, FACERES_IDENTITY_NODE) as tf.Tensor4D).mean([1, 2]);
        return pooled.div(pooled.norm('euclidean', 1, true).maximum(1e-12));
      });
      try {
        return (await embeddings.array()) as number[][];
      } finally {
        embeddings.dispose();
      }
    },

    async features(images) {
      if (images.length === 0) return [];
      const { features } = await metricNetworks();
      const pooled = tf.tidy(() => {
        const input = preprocess(resizeTo(batch01(images), 224), 'rgb-unit');
        const [activations] = features.run(input);
        return activations.mean([1, 2]);
      });
      try {
        return (await pooled.array()) as number[][];
      } finally {
        pooled.dispose();
      }
    },

    async detect(image) {
      const found = await detector.get();
      const rgba = decodeEvalImage(image);
      try {
        const result = found.detect(toImageData(rgba));
        return result.landmarks.flatMap((p) => [p.x, p.y, p.z]);
      } catch (error) {
        if (toFaceErrorInfo(error).code === 'no-face') return null;
        throw error;
      }
    },

    async track(imageUrls, timesMs, size) {
      if (imageUrls.length !== timesMs.length) throw new Error(`track: ${imageUrls.length} frames, ${timesMs.length} times`);
      // The drive loop's detector (driving.ts: VIDEO mode, the app's minimum face size), fresh per
      // clip so that one clip's tracking state never carries into the next.
      const video = await createFaceDetector({ mode: 'VIDEO' });
      const smoother = new CropSmoother();
      const frames: (EvalDriveFrame | { error: FaceErrorInfo })[] = [];
      try {
        for (const [k, url] of imageUrls.entries()) {
          try {
            const response = await fetch(url);
            if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
            const decoded = await decodeImageFile(await response.blob());
            try {
              const found = video.detect(decoded.image, timesMs[k]);
              const crop = cropTransformFromBox(smoother.update(faceCropBox(found.landmarks), timesMs[k]), size);
              frames.push({
                image: encodeEvalImage(resampleCrop(bitmapPixels(decoded.image), crop, size)),
                landmarks: mapLandmarksToCrop(found.landmarks, crop).flatMap((p) => [p.x, p.y, p.z]),
              });
            } finally {
              decoded.image.close();
            }
          } catch (error) {
            frames.push({ error: toFaceErrorInfo(error) });
          }
        }
      } finally {
        video.close();
      }
      return frames;
    },

    async setMetricsBackends(backends) {
      if (metricsReady) throw new Error('setMetricsBackends: the metric networks are loaded already');
      if (backends.length === 0) throw new Error('setMetricsBackends: give at least one backend');
      metricsBackends = [...backends];
    },

    async describe() {
      const metrics = await metricNetworks();
      let workerTensors: number | null = null;
      for (const worker of workers.values()) workerTensors = (workerTensors ?? 0) + (await worker.memory()).numTensors;
      return { metricsBackend: metrics.backend, workerTensors };
    },
  };
}
