// The model worker: tf.js on WebGPU (WebGL, CPU fallbacks), the meta-learned networks, and the
// current avatar. All heavy work happens here so the UI thread only draws.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { AvatarSession } from '../nn/avatar-session';
import { selectBackend } from '../nn/backend';
import { loadModelFromUrl, type TalkingHeadModel } from '../nn/model';
import { decodeWeights, encodeWeights } from '../nn/weights-io';
import { loadPerceptualNetworks, perceptualContentLoss, perceptualFeatures, type PerceptualNetworks } from '../nn/perceptual';
import type { ContentLossFn } from '../nn/finetune';
import type { AvatarWorkerApi, FineTuneProgress, ModelInfo } from './avatar-protocol';

let model: TalkingHeadModel | undefined;
let session: AvatarSession | undefined;
let perceptualBaseUrl = '/models/perceptual/';
let perceptual: Promise<PerceptualNetworks | undefined> | undefined;
let control: { stop: boolean; paused: boolean; resume?: () => void } | undefined;

const to01 = (x: tf.Tensor4D) => tf.div(tf.add(x, 1), 2) as tf.Tensor4D;

/** L_CNT on the shipped perceptual networks, or undefined when they cannot be loaded here. */
function contentLoss(): Promise<ContentLossFn | undefined> {
  perceptual ??= loadPerceptualNetworks(perceptualBaseUrl).catch((error: unknown) => {
    console.warn('content-loss networks unavailable; fine-tuning without L_CNT:', error);
    return undefined;
  });
  return perceptual.then(
    (nets) =>
      nets &&
      ((fake, real) => tf.tidy(() => perceptualContentLoss(nets, perceptualFeatures(nets, to01(real)), to01(fake)))),
  );
}

async function adapterDescription(): Promise<string | undefined> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
  const info = (await gpu?.requestAdapter())?.info;
  if (!info) return undefined;
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || undefined;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const api: AvatarWorkerApi = {
  async init(options) {
    const choice = await selectBackend(options.backends);
    if (options.perceptualBaseUrl) perceptualBaseUrl = options.perceptualBaseUrl;
    session?.clear();
    model?.dispose();
    const loaded = await loadModelFromUrl(options.weightsUrl);
    model = loaded.model;
    session = new AvatarSession(model);
    const info: ModelInfo = {
      backend: choice.backend,
      fallbacks: choice.fallbacks,
      adapter: choice.backend === 'webgpu' ? await adapterDescription() : undefined,
      configName: model.config.name,
      resolution: model.config.resolution,
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

  async render(points, frameSize) {
    if (!session) throw new Error('The model is not loaded yet');
    const frame = await session.render(points, frameSize);
    return Comlink.transfer(frame, [frame.data.buffer]);
  },

  async fineTune(request, onProgress) {
    if (!session) throw new Error('The model is not loaded yet');
    const loss = request.useContentLoss === false ? undefined : await contentLoss();
    session.startFineTune({ contentLoss: loss });
    control = { stop: false, paused: false };
    const start = performance.now();
    let step = 0;
    try {
      while (step < request.steps && !control.stop) {
        if (control.paused) {
          await new Promise<void>((resolve) => {
            if (control) control.resume = resolve;
          });
          continue;
        }
        const result = await session.fineTuneStep();
        step = result.step;
        const progress: FineTuneProgress = {
          step,
          steps: request.steps,
          lossG: result.lossG,
          lossD: result.lossD,
          elapsedMs: performance.now() - start,
        };
        if (request.preview && (step % request.previewEvery === 0 || step === request.steps)) {
          session.adoptFineTuned();
          progress.preview = await session.render(request.preview.points, request.preview.frameSize);
        }
        onProgress(progress);
        // Lets pause/stop messages in between steps.
        await nextTask();
      }
      session.adoptFineTuned();
      return { stepsDone: step, stopped: control.stop, elapsedMs: performance.now() - start, usedContentLoss: loss !== undefined };
    } finally {
      session.stopFineTune();
      control = undefined;
    }
  },

  pauseFineTune() {
    if (control) control.paused = true;
  },

  resumeFineTune() {
    if (!control) return;
    control.paused = false;
    control.resume?.();
  },

  stopFineTune() {
    if (!control) return;
    control.stop = true;
    control.paused = false;
    control.resume?.();
  },

  async exportAvatar() {
    if (!session || !model) throw new Error('The model is not loaded yet');
    const encoded = await encodeWeights(await session.exportAvatar(), {
      dtype: 'float16',
      config: model.config,
      shardPrefix: 'avatar',
      meta: { kind: 'avatar', fineTuned: session.isFineTuned, saved: new Date().toISOString() },
    });
    return Comlink.transfer({ manifest: encoded.manifest, shards: encoded.shards }, encoded.shards.map((s) => s.buffer));
  },

  async importAvatar(saved) {
    if (!session || !model) throw new Error('The model is not loaded yet');
    const named = await decodeWeights(saved.manifest, async (file) => {
      const index = saved.manifest.shards.findIndex((s) => s.file === file);
      if (index < 0) throw new Error(`saved avatar: no shard ${file}`);
      return saved.shards[index];
    });
    session.importAvatar(named, saved.manifest.meta?.fineTuned === true);
  },

  memory() {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes, backend: tf.getBackend() };
  },
};

Comlink.expose(api);
