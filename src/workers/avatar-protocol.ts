// The typed boundary between the UI (main thread) and the model worker.
import type { Landmarks, RgbaImage } from '../landmarks/types';
import type { BackendFallback, BackendName } from '../nn/backend';
import type { AvatarPhoto } from '../nn/avatar-session';
import type { WeightsManifest } from '../nn/weights-format';

export interface InitOptions {
  /** URL of a weights manifest (public/weights/<name>/manifest.json). */
  weightsUrl: string;
  /** Backends to try, fastest first; default WebGPU → WebGL → CPU. */
  backends?: BackendName[];
  /** Where the content-loss networks are served; fine-tuning runs without L_CNT if they fail to load. */
  perceptualBaseUrl?: string;
}

export interface ModelInfo {
  backend: BackendName;
  fallbacks: readonly BackendFallback[];
  /** GPU adapter description where WebGPU reports one. */
  adapter?: string;
  configName: string;
  resolution: number;
  meta?: Readonly<Record<string, unknown>>;
}

export interface FineTuneRequest {
  steps: number;
  /** Preview (and adopt the fine-tuned weights) every this many steps. */
  previewEvery: number;
  /** Landmarks the preview frame is rendered for, in a square crop of side frameSize. */
  preview?: { points: Landmarks; frameSize: number };
  useContentLoss?: boolean;
}

export interface FineTuneProgress {
  step: number;
  steps: number;
  lossG: number;
  lossD: number;
  elapsedMs: number;
  preview?: RgbaImage;
}

export interface FineTuneSummary {
  stepsDone: number;
  stopped: boolean;
  elapsedMs: number;
  usedContentLoss: boolean;
}

export interface WorkerMemory {
  numTensors: number;
  numBytes: number;
  backend: string;
}

export interface AvatarWorkerApi {
  init(options: InitOptions): Promise<ModelInfo>;
  createAvatar(photos: AvatarPhoto[]): Promise<{ photoCount: number; ms: number }>;
  render(points: Landmarks, frameSize: number): Promise<RgbaImage>;
  fineTune(request: FineTuneRequest, onProgress: (progress: FineTuneProgress) => void): Promise<FineTuneSummary>;
  pauseFineTune(): void;
  resumeFineTune(): void;
  /** Stops after the current step; the avatar keeps the weights of that step. */
  stopFineTune(): void;
  /** The current avatar in the weights format (fp16), ready to store (e.g. IndexedDB). */
  exportAvatar(): Promise<SavedAvatar>;
  /** Restores an avatar from exportAvatar's output; hashes and shapes are verified. */
  importAvatar(saved: SavedAvatar): Promise<void>;
  memory(): WorkerMemory;
}

export interface SavedAvatar {
  manifest: WeightsManifest;
  shards: Uint8Array[];
}
