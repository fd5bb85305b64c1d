// The typed boundary between the UI (main thread) and the model worker.
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import type { BackendFallback, BackendName } from '../nn/backend.ts';
import type { AvatarPhoto, RenderOptions } from '../nn/avatar-session.ts';
import type { FineTuneValidation } from '../nn/finetune-validation.ts';
import type { WeightsManifest } from '../nn/weights-format.ts';
import type { GeneratorKind } from '../nn/registry.ts';

export interface InitOptions {
  /** URL of a weights manifest (public/weights/<name>/manifest.json). */
  weightsUrl: string;
  /**
   * Backends to try, in order (an override, or the fallbacks after lost GPU devices); when absent the
   * worker chooses by the adapter and, where that does not tell, a start-up measurement (nn/backend.ts).
   */
  backends?: BackendName[];
  /** Why `backends` is what it is, for ModelInfo.reason (e.g. "chosen under Advanced"). */
  backendReason?: string;
  /** Where the content-loss networks are served; fine-tuning runs without L_CNT if they fail to load. */
  perceptualBaseUrl?: string;
  /** Side the content loss resizes frames to (default perceptual.json's contentLoss.inputSize); for measurements. */
  contentSize?: number;
  /** Allows the debug actions (`?debug=1` pages only: tests crash the worker or lose the GPU with them). */
  debug?: boolean;
}

export interface ModelInfo {
  backend: BackendName;
  fallbacks: readonly BackendFallback[];
  /** Why this backend runs (the adapter, the measurement, the override), for the UI. */
  reason: string;
  /** How it runs: WASM's SIMD and threads, or the WebGPU adapter. */
  detail?: string;
  /** GPU adapter description where WebGPU reports one. */
  adapter?: string;
  configName: string;
  resolution: number;
  /** Which generator the weights are: warp-guided or the paper's (nn/registry.ts). */
  generator: GeneratorKind;
  /** Side of the frames `render` returns (256 for the warp-guided generator, else `resolution`). */
  frameSize: number;
  /** The mouth generator's resolution (config.mouth) where the weights have one. */
  mouthResolution?: number;
  meta?: Readonly<Record<string, unknown>>;
}

export interface FineTuneRequest {
  steps: number;
  /** Preview (and adopt the fine-tuned weights) every this many steps. */
  previewEvery: number;
  /** Landmarks the preview frame is rendered for, in a square crop of side frameSize. */
  preview?: { points: Landmarks; frameSize: number };
  useContentLoss?: boolean;
  /**
   * Checkpoints for crash recovery: when set, the avatar is exported (weights format, fp16) with the
   * progress report of an adoption at most this often, and with the summary. Off when omitted.
   */
  checkpointEveryMs?: number;
}

export interface FineTuneProgress {
  step: number;
  steps: number;
  lossG: number;
  lossD: number;
  elapsedMs: number;
  preview?: RgbaImage;
  /** The avatar as just adopted (see FineTuneRequest.checkpointEveryMs). */
  checkpoint?: SavedAvatar;
  /** With a preview: the step whose weights the avatar shows (undefined: none of this run's; see FineTuneSummary.validation). */
  adoptedStep?: number;
}

export interface FineTuneSummary {
  stepsDone: number;
  stopped: boolean;
  elapsedMs: number;
  usedContentLoss: boolean;
  /** The step whose weights the avatar ends with (undefined: none of this run's, every adoption declined). */
  adoptedStep?: number;
  /**
   * With enough photos, some were held out of fine-tuning and decided whether its weights were
   * adopted (nn/finetune-validation.ts); absent otherwise.
   */
  validation?: FineTuneValidation;
  /** The avatar as finally adopted (see FineTuneRequest.checkpointEveryMs). */
  checkpoint?: SavedAvatar;
}

export interface WorkerMemory {
  numTensors: number;
  numBytes: number;
  backend: string;
}

export interface AvatarWorkerApi {
  init(options: InitOptions): Promise<ModelInfo>;
  createAvatar(photos: AvatarPhoto[]): Promise<{ photoCount: number; ms: number }>;
  render(points: Landmarks, frameSize: number, options?: RenderOptions): Promise<RgbaImage>;
  fineTune(request: FineTuneRequest, onProgress: (progress: FineTuneProgress) => void): Promise<FineTuneSummary>;
  pauseFineTune(): void;
  resumeFineTune(): void;
  /** Stops after the current step; the avatar keeps the weights of that step. */
  stopFineTune(): void;
  /** The current avatar in the weights format (fp16), ready to store (e.g. IndexedDB). */
  exportAvatar(): Promise<SavedAvatar>;
  /**
   * Restores an avatar from exportAvatar's output; hashes and shapes are verified. `rebuilt`: it was
   * saved under another G that the loaded weights no longer fit, and was made again from its photos
   * (its fine-tuning lost).
   */
  importAvatar(saved: SavedAvatar): Promise<{ rebuilt: boolean }>;
  memory(): WorkerMemory;
  /** Answers at once when the worker's event loop is free: the UI's heartbeat. */
  ping(): number;
  /** Test-only failures (InitOptions.debug): see DebugAction. */
  debug(action: DebugAction): void;
}

/**
 * 'crash': an uncaught error thrown from a timer (a genuine worker error event, not an RPC rejection);
 * 'lose-device': destroys the WebGPU device (or loses the WebGL context), reported as a real loss;
 * 'hang': the worker spins forever and answers nothing.
 */
export type DebugAction = 'crash' | 'lose-device' | 'hang';

/** Messages the worker posts by itself (outside Comlink's request/response pairs). */
export const AVATAR_WORKER_EVENT = 'avatar-worker-event';

export interface AvatarWorkerEvent {
  type: typeof AVATAR_WORKER_EVENT;
  event: 'device-lost';
  /** GPUDeviceLostInfo.reason ('destroyed' only when simulated), or 'webgl-context-lost'. */
  reason: string;
  message: string;
  simulated: boolean;
}

export function isAvatarWorkerEvent(data: unknown): data is AvatarWorkerEvent {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === AVATAR_WORKER_EVENT;
}

export interface SavedAvatar {
  manifest: WeightsManifest;
  shards: Uint8Array[];
}
