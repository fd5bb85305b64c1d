import * as Comlink from 'comlink';
import type { AvatarWorkerApi, ModelInfo } from '../workers/avatar-protocol';

/** The shipped meta-learned weights; `?weights=URL` picks others (tests use tiny ones). */
export function weightsUrl(): string {
  return new URLSearchParams(location.search).get('weights') ?? '/weights/default/manifest.json';
}

let worker: Worker | undefined;
let api: Comlink.Remote<AvatarWorkerApi> | undefined;
let ready: Promise<ModelInfo> | undefined;

/** Said once per load when the model runs on a slower backend than WebGPU. */
export function fallbackNotice(info: ModelInfo): string | null {
  if (info.backend === 'webgpu') return null;
  const why = info.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
  return `WebGPU is not available in this browser, so the avatar runs on ${info.backend === 'webgl' ? 'WebGL' : 'the CPU'} and will be slower (${why}).`;
}

/** The model worker, started and loaded once; a failed start can be retried. */
export function modelWorker(): { api: Comlink.Remote<AvatarWorkerApi>; ready: Promise<ModelInfo> } {
  if (!api || !ready) {
    worker = new Worker(new URL('../workers/avatar.worker.ts', import.meta.url), { type: 'module' });
    api = Comlink.wrap<AvatarWorkerApi>(worker);
    ready = api.init({ weightsUrl: weightsUrl() });
    ready.catch(() => {
      worker?.terminate();
      worker = undefined;
      api = undefined;
      ready = undefined;
    });
  }
  return { api, ready };
}
