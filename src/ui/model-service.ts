// The app's wiring of the model client: one ModelClient for the page, started on first use with the
// preferred weights and backends (model-preferences.ts), its health reported to the store and an
// avatar it could not restore forgotten there; switching generators and backends; and, on `?debug=1`
// pages only, the test hook window.__avatarDebug.
import type { BackendPreference } from '../nn/backend.ts';
import type { GeneratorKind } from '../nn/registry.ts';
import type { ModelInfo, WorkerMemory } from '../workers/avatar-protocol.ts';
import { ModelClient, type ModelApi, type Restored, type WorkerDeath } from './model-client.ts';
import { BACKEND_KEY, GENERATOR_KEY, backendInit, backendOverride, backendPreference, weightsUrl } from './model-preferences.ts';
import { useAppStore } from './store.ts';

const params = typeof location === 'undefined' ? new URLSearchParams() : new URLSearchParams(location.search);
/** `?debug=1`: tests may crash the worker or lose its GPU through window.__avatarDebug. */
const DEBUG = params.get('debug') === '1';

let client: ModelClient | undefined;

function theClient(): ModelClient {
  client ??= new ModelClient({
    createWorker: () => new Worker(new URL('../workers/avatar.worker.ts', import.meta.url), { type: 'module' }),
    init: {
      weightsUrl: weightsUrl(),
      debug: DEBUG || undefined,
      ...backendInit(backendPreference(), backendOverride() ? 'url' : 'setting'),
    },
    hangMs: DEBUG && params.has('hangMs') ? Number(params.get('hangMs')) : undefined,
    onStatus: (status) =>
      useAppStore.getState().setModelStatus({
        phase: status.phase,
        text: status.text,
        generation: status.generation,
        backend: status.phase === 'recovered' ? status.info.backend : undefined,
        adapter: status.phase === 'recovered' ? status.info.adapter : undefined,
      }),
    onAvatarLost: () => useAppStore.getState().setAvatar(null),
  });
  return client;
}

/**
 * The model worker, started and loaded once, and restarted (with the avatar restored) when it dies.
 * `api` stays valid across restarts; `ready` follows them. A failed start is retried on the next call;
 * after a crash loop the client stops restarting until a user action passes `revive`.
 */
export function modelWorker(options: { revive?: boolean } = {}): { api: ModelApi; ready: Promise<ModelInfo> } {
  const c = theClient();
  if (options.revive) c.revive();
  const ready = c.whenReady();
  ready.catch(() => undefined); // callers that only want `api` must not leave a rejection unhandled
  return { api: c.api, ready };
}

/**
 * Uses another generator from now on (remembered): a fresh worker loads its weights and the avatar
 * is remade from its photos. With `?weights=` on the page the weights stay the page's.
 */
export async function switchGenerator(kind: GeneratorKind): Promise<{ info: ModelInfo; restored: Restored }> {
  try {
    localStorage.setItem(GENERATOR_KEY, kind);
  } catch {
    // Not remembered, but still used now.
  }
  return theClient().switchWeights(weightsUrl(kind));
}

/**
 * Runs the model on another backend from now on (remembered unless the page's ?backend= fixes it):
 * a fresh worker starts with the new order and the avatar is put back, fine-tuning included.
 */
export async function switchBackend(preference: BackendPreference): Promise<{ info: ModelInfo; restored: Restored }> {
  try {
    localStorage.setItem(BACKEND_KEY, preference);
  } catch {
    // Not remembered, but still used now.
  }
  return theClient().switchBackends(backendInit(preference, 'setting'));
}

/** Workers started so far: 1 until the first restart. */
export function modelGeneration(): number {
  return theClient().generation;
}

/** Test hooks on `?debug=1` pages only; never part of the normal UI. */
export interface AvatarDebugHook {
  /** The worker throws an uncaught error from a timer. */
  crash(): Promise<void>;
  /** The worker's WebGPU device is destroyed (reported as a real loss), or its WebGL context lost. */
  loseDevice(): Promise<void>;
  /** The worker spins forever; the heartbeat (`?hangMs=`) finds it. */
  hang(): Promise<void>;
  /** Workers started so far (1 until the first restart). */
  generation(): number;
  deaths(): readonly WorkerDeath[];
  info(): ModelInfo | undefined;
  memory(): Promise<WorkerMemory>;
  checkpoint(): ReturnType<ModelClient['checkpointSummary']>;
}

declare global {
  interface Window {
    __avatarDebug?: AvatarDebugHook;
  }
}

if (DEBUG && typeof window !== 'undefined') {
  window.__avatarDebug = {
    crash: () => theClient().debug('crash'),
    loseDevice: () => theClient().debug('lose-device'),
    hang: () => theClient().debug('hang'),
    generation: () => theClient().generation,
    deaths: () => theClient().history,
    info: () => theClient().info,
    memory: () => theClient().api.memory(),
    checkpoint: () => theClient().checkpointSummary(),
  };
}
