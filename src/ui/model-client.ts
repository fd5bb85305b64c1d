// The UI's handle on the model worker. The worker may die: an uncaught error, a browser that kills
// it for memory (it then just stops answering), a lost GPU device. A WorkerSupervisor
// (workers/worker-supervisor.ts) notices each of these and starts a fresh worker on the same
// weights; ModelClient keeps what it needs to put the current avatar back (its inputs, the photos,
// and its last exported weights, on this thread), so the user loses nothing, and words what
// happened (model-messages.ts). Calls that can simply run again (render, export) wait for the new
// worker and do; fine-tuning in flight is reported as interrupted, and the avatar keeps its last
// checkpointed (adopted) state. The app's single client and its wiring: model-service.ts.
import * as Comlink from 'comlink';
import type { AvatarPhoto } from '../nn/avatar-session.ts';
import { BACKEND_ORDER, type BackendName } from '../nn/backend.ts';
import {
  isAvatarWorkerEvent,
  type AvatarWorkerApi,
  type DebugAction,
  type FineTuneProgress,
  type FineTuneRequest,
  type FineTuneSummary,
  type InitOptions,
  type ModelInfo,
  type SavedAvatar,
  type WorkerMemory,
} from '../workers/avatar-protocol.ts';
import {
  WorkerDiedError,
  WorkerSupervisor,
  type SupervisorEvent,
  type WorkerDeath,
  type WorkerLike,
} from '../workers/worker-supervisor.ts';
import {
  createAvatarInterruptedError,
  crashLoopText,
  describeDeath,
  fineTuneInterruptedError,
  gaveUpError,
  recoveredText,
  recoveringText,
  restartFailedText,
  restartedError,
} from './model-messages.ts';

export type { DeathKind, WorkerDeath, WorkerLike } from '../workers/worker-supervisor.ts';

/** What became of the avatar when a fresh worker replaced the serving one. */
export type Restored = 'avatar' | 'nothing' | 'failed';

/** What the UI shows about the worker's health. */
export type ClientStatus =
  | { phase: 'recovering'; generation: number; death: WorkerDeath; text: string }
  | { phase: 'recovered'; generation: number; death: WorkerDeath; info: ModelInfo; restored: Restored; text: string }
  | { phase: 'failed'; generation: number; death: WorkerDeath; text: string };

export interface ModelClientOptions {
  createWorker(): WorkerLike;
  init: InitOptions;
  /** No sign of life for this long means the worker is hung or gone. Default: 2 min on a GPU, 5 min on the CPU. */
  hangMs?: number;
  /** Heartbeat period. Default: min(5 s, hangMs / 4). */
  pingMs?: number;
  /** This many deaths within deathWindowMs and the client stops restarting (a crash loop). */
  maxDeaths?: number;
  deathWindowMs?: number;
  /** Fine-tuning checkpoints (see FineTuneRequest.checkpointEveryMs); default 10 s. */
  checkpointEveryMs?: number;
  onStatus?(status: ClientStatus): void;
  /** The avatar could not be put back after a restart: the UI should forget it. */
  onAvatarLost?(): void;
}

/** The worker's API as the UI calls it: every method returns a promise (as with Comlink). */
export interface ModelApi {
  createAvatar(photos: AvatarPhoto[]): Promise<{ photoCount: number; ms: number }>;
  render(...args: Parameters<AvatarWorkerApi['render']>): Promise<Awaited<ReturnType<AvatarWorkerApi['render']>>>;
  fineTune(request: FineTuneRequest, onProgress: (progress: FineTuneProgress) => void): Promise<FineTuneSummary>;
  pauseFineTune(): Promise<void>;
  resumeFineTune(): Promise<void>;
  stopFineTune(): Promise<void>;
  exportAvatar(): Promise<SavedAvatar>;
  importAvatar(saved: SavedAvatar): Promise<{ rebuilt: boolean }>;
  memory(): Promise<WorkerMemory>;
}

/** What the client keeps to rebuild the worker's avatar: mirrors the worker's AvatarSession. */
interface Checkpoint {
  /** The last createAvatar input: FF avatar, and the frames fine-tuning needs. */
  photos?: AvatarPhoto[];
  /** The last imported or fine-tuned avatar (weights format), applied after the photos. */
  weights?: SavedAvatar;
  /** The fine-tuning step the weights are from. */
  fineTunedStep?: number;
}

/** A supervisor's WorkerDiedError as the user reads it; other errors unchanged. */
function worded(error: unknown, interrupted?: (death: WorkerDeath) => Error): unknown {
  if (!(error instanceof WorkerDiedError)) return error;
  if (error.gaveUp) return gaveUpError(error.death);
  return interrupted?.(error.death) ?? restartedError(error.death);
}

/** A death that ended a switch or a debug action: its description, as a plain error. */
function plainDeath(error: unknown): unknown {
  return error instanceof WorkerDiedError && !error.gaveUp ? new Error(describeDeath(error.death)) : worded(error);
}

export class ModelClient {
  private checkpoint: Checkpoint = {};
  private readonly supervisor: WorkerSupervisor<AvatarWorkerApi, InitOptions, ModelInfo, Restored>;

  constructor(private readonly options: ModelClientOptions) {
    this.supervisor = new WorkerSupervisor({
      createWorker: options.createWorker,
      init: options.init,
      hangMs: options.hangMs ?? ((info) => (info && info.backend !== 'cpu' ? 120_000 : 300_000)),
      pingMs: options.pingMs,
      maxDeaths: options.maxDeaths,
      deathWindowMs: options.deathWindowMs,
      restore: (remote, dead) => this.restore(remote, dead),
      deviceLostEvent: (data) =>
        isAvatarWorkerEvent(data) && data.event === 'device-lost'
          ? data.simulated
            ? `${data.message} Simulated.`
            : data.message
          : undefined,
      fallback: { order: BACKEND_ORDER, device: 'webgpu', backend: (info) => info.backend },
      onEvent: (event) => this.onEvent(event),
    });
  }

  /** The newest worker's ModelInfo once it has loaded (and restored the avatar). */
  get info(): ModelInfo | undefined {
    return this.supervisor.info;
  }

  get generation(): number {
    return this.supervisor.generation;
  }

  get history(): readonly WorkerDeath[] {
    return this.supervisor.history;
  }

  /** What a restart would restore, for tests. */
  checkpointSummary(): { photos: number; weights: boolean; fineTunedStep?: number } {
    return {
      photos: this.checkpoint.photos?.length ?? 0,
      weights: this.checkpoint.weights !== undefined,
      fineTunedStep: this.checkpoint.fineTunedStep,
    };
  }

  /** Resolves with the serving worker's ModelInfo, following restarts; rejects when init fails. */
  async whenReady(): Promise<ModelInfo> {
    try {
      return await this.supervisor.whenReady();
    } catch (error) {
      throw worded(error);
    }
  }

  /** After the client gave up on a crash loop, a user action may try once more. */
  revive(): void {
    this.supervisor.revive();
  }

  /** Ends the serving worker and its heartbeat (tests; a page that no longer needs the model). */
  dispose(): void {
    this.supervisor.dispose();
  }

  /**
   * Loads other weights (another generator) in a fresh worker and remakes the current avatar there
   * from its photos; weights saved from the other generator cannot carry over, so a fine-tuned state
   * is not restored. Resolves with the new worker's ModelInfo and what became of the avatar.
   */
  async switchWeights(weightsUrl: string): Promise<{ info: ModelInfo; restored: Restored }> {
    this.checkpoint = { photos: this.checkpoint.photos };
    try {
      return await this.supervisor.replace({ ...this.supervisor.init, weightsUrl }, false);
    } catch (error) {
      throw plainDeath(error);
    }
  }

  /**
   * Runs the model on other backends from now on: a fresh worker starts with `init` (an order and
   * why, or nothing for the measured choice), and the current avatar, fine-tuned state included, is
   * put back as after a crash. Resolves with the new worker's ModelInfo and what became of the avatar.
   */
  async switchBackends(init: { backends?: BackendName[]; backendReason?: string }): Promise<{ info: ModelInfo; restored: Restored }> {
    try {
      return await this.supervisor.replace({ ...this.supervisor.init, backends: init.backends, backendReason: init.backendReason }, true);
    } catch (error) {
      throw plainDeath(error);
    }
  }

  /** Runs a debug action (InitOptions.debug) in the serving worker. */
  async debug(action: DebugAction): Promise<void> {
    try {
      await this.supervisor.once((r) => r.debug(action));
    } catch (error) {
      throw plainDeath(error);
    }
  }

  readonly api: ModelApi = {
    createAvatar: async (photos) => {
      const created = await this.call((r) => r.createAvatar(photos), false, createAvatarInterruptedError);
      this.checkpoint = { photos: [...photos] };
      return created;
    },
    render: (points, frameSize, options) => this.call((r) => r.render(points, frameSize, options), true),
    fineTune: (request, onProgress) => this.fineTune(request, onProgress),
    pauseFineTune: () => this.supervisor.ifServing((r) => r.pauseFineTune()),
    resumeFineTune: () => this.supervisor.ifServing((r) => r.resumeFineTune()),
    stopFineTune: () => this.supervisor.ifServing((r) => r.stopFineTune()),
    exportAvatar: () => this.call((r) => r.exportAvatar(), true),
    importAvatar: async (saved) => {
      const result = await this.call((r) => r.importAvatar(saved), false);
      this.checkpoint = { photos: this.checkpoint.photos, weights: saved };
      return result;
    },
    memory: () => this.call((r) => r.memory(), true),
  };

  /** A supervised call, its errors worded for users (`interrupted`: the error of a call cut short by a death). */
  private async call<T>(
    run: (remote: Comlink.Remote<AvatarWorkerApi>) => Promise<T>,
    retry: boolean,
    interrupted?: (death: WorkerDeath) => Error,
  ): Promise<T> {
    try {
      return await this.supervisor.call(run, retry);
    } catch (error) {
      throw worded(error, interrupted);
    }
  }

  private async fineTune(request: FineTuneRequest, onProgress: (progress: FineTuneProgress) => void): Promise<FineTuneSummary> {
    let step = 0;
    let keptStep: number | undefined;
    const forward = Comlink.proxy((progress: FineTuneProgress) => {
      step = progress.step;
      const { checkpoint, ...rest } = progress;
      if (checkpoint) {
        // A declined adoption (held-out photos, nn/finetune-validation.ts) leaves the avatar as it was.
        const fineTunedStep = 'adoptedStep' in progress ? progress.adoptedStep : progress.step;
        this.checkpoint = { photos: this.checkpoint.photos, weights: checkpoint, fineTunedStep };
        keptStep = fineTunedStep;
      }
      onProgress(rest);
    });
    const summary = await this.call(
      (r) => r.fineTune({ checkpointEveryMs: this.options.checkpointEveryMs ?? 10_000, ...request }, forward),
      false,
      (death) => fineTuneInterruptedError(death, step, keptStep),
    );
    const { checkpoint, ...rest } = summary;
    if (checkpoint) {
      const fineTunedStep = 'adoptedStep' in summary ? summary.adoptedStep : summary.stepsDone;
      this.checkpoint = { photos: this.checkpoint.photos, weights: checkpoint, fineTunedStep };
    }
    return rest;
  }

  /** Puts the avatar back in a fresh worker: the photos (FF), then the last exported weights. */
  private async restore(remote: Comlink.Remote<AvatarWorkerApi>, dead: () => boolean): Promise<Restored> {
    const { photos, weights } = this.checkpoint;
    if (!photos && !weights) return 'nothing';
    try {
      if (photos) await remote.createAvatar(photos);
      if (weights) await remote.importAvatar(weights);
      return 'avatar';
    } catch (error) {
      if (dead()) throw error;
      console.warn('avatar restore failed:', error);
      // The photos may be what failed: the saved weights alone still give the same avatar.
      if (photos && weights) {
        try {
          await remote.importAvatar(weights);
          return 'avatar';
        } catch (second) {
          if (dead()) throw second;
        }
      }
      this.checkpoint = {};
      this.options.onAvatarLost?.();
      return 'failed';
    }
  }

  /** The supervisor's events, worded for the UI. */
  private onEvent(event: SupervisorEvent<ModelInfo, Restored>): void {
    const { generation, death } = event;
    if (event.phase === 'recovering') {
      const hasAvatar = this.checkpoint.photos !== undefined || this.checkpoint.weights !== undefined;
      this.options.onStatus?.({ phase: 'recovering', generation, death, text: recoveringText(death, hasAvatar) });
    } else if (event.phase === 'recovered') {
      const { info, restored } = event;
      const text = recoveredText(death, info.backend, restored, event);
      this.options.onStatus?.({ phase: 'recovered', generation, death, info, restored, text });
    } else if (event.phase === 'crash-loop') {
      this.options.onStatus?.({ phase: 'failed', generation, death, text: crashLoopText(death, event.deaths) });
    } else {
      this.options.onStatus?.({ phase: 'failed', generation, death, text: restartFailedText(death, event.error) });
    }
  }
}
