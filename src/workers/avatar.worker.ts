// The model worker: tf.js on WebGPU or WASM (chosen by the adapter or a measurement; WebGL, CPU fallbacks), the meta-learned networks, and the
// current avatar. All heavy work happens here so the UI thread only draws. Fine-tuning's loop (pause,
// resume, stop, previews, checkpoint timing) is nn/fine-tune-loop.ts; this file only wires it up.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { AVATAR_SOURCE_POINTS, AvatarSession } from '../nn/avatar-session.ts';
import { GENERATORS, generatorKindOf, generatorOfSaved } from '../nn/registry.ts';
import { chooseBackend, selectBackend, watchDeviceLoss, type DeviceLossWatch } from '../nn/backend.ts';
import { loadModelFromUrl, type TalkingHeadModel } from '../nn/model.ts';
import { decodeWeights, encodeWeights } from '../nn/weights-io.ts';
import {
  CONTENT_INPUT_SIZE,
  loadPerceptualNetworks,
  perceptualContentLoss,
  perceptualFeatures,
  type PerceptualNetworks,
} from '../nn/perceptual.ts';
import { fineTuneOptionsFromMeta, type ContentLossFn, type FineTuneRecipe } from '../nn/finetune.ts';
import { FineTuneControl, runFineTuneLoop } from '../nn/fine-tune-loop.ts';
import type { RgbaImage } from '../landmarks/types.ts';
import {
  AVATAR_WORKER_EVENT,
  type AvatarWorkerApi,
  type AvatarWorkerEvent,
  type FineTuneProgress,
  type FineTuneSummary,
  type ModelInfo,
  type SavedAvatar,
} from './avatar-protocol.ts';

let model: TalkingHeadModel | undefined;
let session: AvatarSession | undefined;
let perceptualBaseUrl = '/models/perceptual/';
let perceptual: Promise<PerceptualNetworks | undefined> | undefined;
let contentSize = CONTENT_INPUT_SIZE;
let control: FineTuneControl | undefined;
/** How the loaded weights fine-tune (their manifest's meta.fineTune; finetune.ts fineTuneOptionsFromMeta). */
let fineTuneRecipe: FineTuneRecipe = {};
let debugEnabled = false;
let deviceWatch: DeviceLossWatch | undefined;

/** Tells the UI by a plain message (Comlink ignores messages without its ids). */
function postEvent(event: AvatarWorkerEvent): void {
  (globalThis as unknown as { postMessage(message: unknown): void }).postMessage(event);
}

const to01 = (x: tf.Tensor4D) => tf.div(tf.add(x, 1), 2) as tf.Tensor4D;

/** L_CNT on the shipped perceptual networks, or undefined when they cannot be loaded here. */
function contentLoss(): Promise<ContentLossFn | undefined> {
  perceptual ??= loadPerceptualNetworks(perceptualBaseUrl, undefined, contentSize).catch((error: unknown) => {
    console.warn('content-loss networks unavailable; fine-tuning without L_CNT:', error);
    return undefined;
  });
  return perceptual.then(
    (nets) => nets && ((fake, real) => tf.tidy(() => perceptualContentLoss(nets, perceptualFeatures(nets, to01(real)), to01(fake)))),
  );
}

/** The current avatar in the weights format (fp16), with its shards listed for transfer. */
async function exportCurrent(): Promise<SavedAvatar> {
  if (!session || !model) throw new Error('The model is not loaded yet');
  const encoded = await encodeWeights(await session.exportAvatar(), {
    // Landmarks in float32: float16 steps are 1/8 px at 256 px.
    dtype: (name) => (name === AVATAR_SOURCE_POINTS ? 'float32' : 'float16'),
    config: model.config,
    shardPrefix: 'avatar',
    meta: { kind: 'avatar', generator: generatorKindOf(model.config), fineTuned: session.isFineTuned, saved: new Date().toISOString() },
  });
  return { manifest: encoded.manifest, shards: encoded.shards };
}

/** The distinct buffers behind a saved avatar's shards (a buffer may be transferred only once). */
const buffersOf = (saved: SavedAvatar | undefined): ArrayBuffer[] => [...new Set(saved?.shards.map((s) => s.buffer as ArrayBuffer) ?? [])];

const api: AvatarWorkerApi = {
  async init(options) {
    const choice = options.backends ? await selectBackend(options.backends, options.backendReason) : await chooseBackend();
    if (options.perceptualBaseUrl) perceptualBaseUrl = options.perceptualBaseUrl;
    const wantedContentSize = options.contentSize ?? CONTENT_INPUT_SIZE;
    if (wantedContentSize !== contentSize) {
      // Networks loaded at another size are dropped; the next fine-tuning loads them again.
      const stale = perceptual;
      perceptual = undefined;
      contentSize = wantedContentSize;
      void stale?.then((nets) => {
        nets?.imagenet.dispose();
        nets?.face.dispose();
      });
    }
    debugEnabled = options.debug === true;
    // A lost GPU cannot be used again in this worker: the UI replaces the worker (and the device).
    deviceWatch ??= watchDeviceLoss((loss) => postEvent({ type: AVATAR_WORKER_EVENT, event: 'device-lost', ...loss }));
    session?.clear();
    model?.dispose();
    const loaded = await loadModelFromUrl(options.weightsUrl);
    try {
      fineTuneRecipe = fineTuneOptionsFromMeta(loaded.manifest.meta);
    } catch (error) {
      loaded.model.dispose();
      throw error;
    }
    model = loaded.model;
    session = new AvatarSession(model);
    const info: ModelInfo = {
      backend: choice.backend,
      fallbacks: choice.fallbacks,
      reason: choice.reason,
      detail: choice.detail,
      adapter: choice.backend === 'webgpu' ? choice.detail : undefined,
      configName: model.config.name,
      resolution: model.config.resolution,
      generator: generatorKindOf(model.config),
      frameSize: session.frameSize,
      mouthResolution: model.config.mouth?.resolution,
      meta: loaded.manifest.meta,
    };
    return info;
  },

  async createAvatar(photos) {
    if (!session) throw new Error('The model is not loaded yet');
    const start = performance.now();
    session.setPhotos(photos);
    return { photoCount: session.photoCount, ms: performance.now() - start };
  },

  async render(points, frameSize, options) {
    if (!session) throw new Error('The model is not loaded yet');
    const frame = await session.render(points, frameSize, options);
    return Comlink.transfer(frame, [frame.data.buffer]);
  },

  async fineTune(request, onProgress) {
    if (!session) throw new Error('The model is not loaded yet');
    const tuning = session;
    const loss = request.useContentLoss === false ? undefined : await contentLoss();
    tuning.startFineTune({ contentLoss: loss, ...fineTuneRecipe });
    const preview = request.preview;
    control = new FineTuneControl();
    try {
      const result = await runFineTuneLoop<RgbaImage, SavedAvatar>(
        {
          steps: request.steps,
          step: () => tuning.fineTuneStep(),
          adopt: () => tuning.adoptFineTuned(),
          preview: preview && (() => tuning.render(preview.points, preview.frameSize)),
          previewEvery: request.previewEvery,
          checkpoint: exportCurrent,
          checkpointEveryMs: request.checkpointEveryMs,
          report: (progress: FineTuneProgress) => onProgress(Comlink.transfer(progress, buffersOf(progress.checkpoint))),
          clock: () => performance.now(),
        },
        control,
      );
      const summary: FineTuneSummary = { ...result, usedContentLoss: loss !== undefined, validation: tuning.fineTuneValidation };
      return Comlink.transfer(summary, buffersOf(result.checkpoint));
    } finally {
      tuning.stopFineTune();
      control = undefined;
    }
  },

  pauseFineTune() {
    control?.pause();
  },

  resumeFineTune() {
    control?.resume();
  },

  stopFineTune() {
    control?.stop();
  },

  async exportAvatar() {
    const saved = await exportCurrent();
    return Comlink.transfer(saved, buffersOf(saved));
  },

  async importAvatar(saved) {
    if (!session || !model) throw new Error('The model is not loaded yet');
    const made = generatorOfSaved(saved.manifest);
    const loaded = generatorKindOf(model.config);
    if (made !== loaded) {
      throw new Error(
        `This avatar was made with the ${GENERATORS[made].label} generator, but the ${GENERATORS[loaded].label} generator is loaded: switch generators (Advanced) to load it.`,
      );
    }
    const named = await decodeWeights(saved.manifest, async (file) => {
      const index = saved.manifest.shards.findIndex((s) => s.file === file);
      if (index < 0) throw new Error(`saved avatar: no shard ${file}`);
      return saved.shards[index];
    });
    return session.importAvatar(named, saved.manifest.meta?.fineTuned === true);
  },

  memory() {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes, backend: tf.getBackend() };
  },

  ping() {
    return performance.now();
  },

  debug(action) {
    if (!debugEnabled) throw new Error('Debug actions are off (open the page with ?debug=1)');
    if (action === 'crash') {
      // Thrown from a timer, after this call has answered: an uncaught error, as a real bug would be.
      setTimeout(() => {
        throw new Error('Simulated worker crash (debug)');
      }, 0);
    } else if (action === 'hang') {
      setTimeout(() => {
        const until = Infinity;
        while (performance.now() < until) {
          // Spins until the UI terminates the worker.
        }
      }, 0);
    } else if (action === 'lose-device') {
      if (!deviceWatch?.simulate()) throw new Error(`No GPU device to lose on the ${tf.getBackend()} backend`);
    }
  },
};

Comlink.expose(api);
