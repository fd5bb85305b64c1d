// The UI's handle on the model worker. The worker may die: an uncaught error, a browser that kills
// it for memory (it then just stops answering), a lost GPU device. ModelClient notices each of these,
// starts a fresh worker on the same weights and puts the current avatar back, so the user loses
// nothing: the avatar's inputs (photos) and its last exported weights are kept on this thread.
// Calls that can simply run again (render, export) wait for the new worker and do; fine-tuning in
// flight is reported as interrupted, and the avatar keeps its last checkpointed (adopted) state.
import * as Comlink from 'comlink';
import type { AvatarPhoto } from '../nn/avatar-session.ts';
import {
  BACKEND_LABELS,
  BACKEND_ORDER,
  isBackendPreference,
  orderWithFirst,
  type BackendName,
  type BackendPreference,
} from '../nn/backend.ts';
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
import { useAppStore } from './store.ts';
import { DEFAULT_GENERATOR, GENERATORS, isGeneratorKind, type GeneratorKind } from '../nn/registry.ts';

const GENERATOR_KEY = 'talking-heads.generator';

/** The generator the user picked (Advanced), remembered in this browser; the registry's default otherwise. */
export function preferredGenerator(): GeneratorKind {
  try {
    const kind = localStorage.getItem(GENERATOR_KEY);
    if (isGeneratorKind(kind)) return kind;
  } catch {
    // Storage may be off (private mode, a sandboxed frame): the default then.
  }
  return DEFAULT_GENERATOR;
}

const BACKEND_KEY = 'talking-heads.backend';

/** `?backend=auto|webgpu|wasm|webgl|cpu` fixes the backend for this page (tests; a link to share). */
export function backendOverride(): BackendPreference | null {
  if (typeof location === 'undefined') return null;
  const value = new URLSearchParams(location.search).get('backend');
  return isBackendPreference(value) ? value : null;
}

/** The backend the user picked (Advanced), remembered in this browser; 'auto' (measured) otherwise. */
export function storedBackendPreference(): BackendPreference {
  try {
    const value = localStorage.getItem(BACKEND_KEY);
    if (isBackendPreference(value)) return value;
  } catch {
    // Storage may be off: automatic then.
  }
  return 'auto';
}

/** The page's ?backend=, else the remembered choice, else 'auto'. */
export function backendPreference(): BackendPreference {
  return backendOverride() ?? storedBackendPreference();
}

/** What the worker is told for a preference: nothing (it measures), or an order with the pick first and why. */
export function backendInit(
  preference: BackendPreference,
  source: 'url' | 'setting',
): { backends?: BackendName[]; backendReason?: string } {
  if (preference === 'auto') return {};
  const where = source === 'url' ? `the page's ?backend=${preference}` : 'the Backend setting under Advanced';
  return { backends: orderWithFirst(preference), backendReason: `${BACKEND_LABELS[preference]} was chosen by ${where}` };
}

/** `?weights=URL` fixes the weights (tests use tiny ones); the generator choice then does nothing. */
export function weightsOverride(): string | null {
  return typeof location === 'undefined' ? null : new URLSearchParams(location.search).get('weights');
}

/** The weights to load: the page's override, else the chosen generator's shipped weights. */
export function weightsUrl(kind: GeneratorKind = preferredGenerator()): string {
  return weightsOverride() ?? GENERATORS[kind].weightsUrl;
}

/** "WASM (SIMD, 2 threads)", "WebGPU (google swiftshader)": the backend as the UI names it. */
export function backendLabel(info: Pick<ModelInfo, 'backend' | 'detail'>): string {
  return info.detail ? `${BACKEND_LABELS[info.backend]} (${info.detail})` : BACKEND_LABELS[info.backend];
}

/** One sentence: which backend runs and why. */
export function backendSummary(info: Pick<ModelInfo, 'backend' | 'detail' | 'reason'>): string {
  return `The model runs on ${backendLabel(info)}: ${info.reason}.`;
}

/**
 * Said once per load when the model does not run on WebGPU: which backend runs and why; a warning
 * when it is a slow fallback (WebGL, the CPU), information when WASM was chosen on purpose.
 */
export function fallbackNotice(info: ModelInfo): { kind: 'info' | 'warning'; text: string } | null {
  if (info.backend === 'webgpu') return null;
  const slow = info.backend === 'webgl' || info.backend === 'cpu';
  const missing =
    info.fallbacks.some((f) => f.backend === 'webgpu' && /navigator\.gpu|adapter/i.test(f.reason)) ||
    /WebGPU is not available/.test(info.reason);
  const lead = missing ? 'WebGPU is not available in this browser. ' : '';
  return { kind: slow ? 'warning' : 'info', text: `${lead}${backendSummary(info)}${slow ? ' It will be slower.' : ''}` };
}

export type DeathKind = 'crash' | 'hang' | 'device-lost';

/** How a worker died, as the UI explains it. */
export interface WorkerDeath {
  kind: DeathKind;
  message: string;
  /** The worker that died (1 = the first one started). */
  generation: number;
}

export function describeDeath(death: WorkerDeath): string {
  if (death.kind === 'device-lost') return `The GPU device was lost (${death.message})`;
  if (death.kind === 'hang') return `The model worker stopped responding (${death.message})`;
  return `The model worker crashed (${death.message})`;
}

/** A call that could not finish because its worker died; the client restarts the worker itself. */
export class ModelWorkerRestartedError extends Error {
  override readonly name = 'ModelWorkerRestartedError';
  constructor(
    readonly death: WorkerDeath,
    message: string,
    /** For an interrupted fine-tune: the step reached, and the step whose weights the avatar kept. */
    readonly fineTune?: { step: number; keptStep?: number },
  ) {
    super(message);
  }
}

/** The worker as the client needs it: a Comlink endpoint that can be terminated (a Worker). */
export type WorkerLike = Comlink.Endpoint & { terminate(): void };

/** What the UI shows about the worker's health. */
export type ClientStatus =
  | { phase: 'recovering'; generation: number; death: WorkerDeath; text: string }
  | { phase: 'recovered'; generation: number; death: WorkerDeath; info: ModelInfo; restored: 'avatar' | 'nothing' | 'failed'; text: string }
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
  importAvatar(saved: SavedAvatar): Promise<void>;
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

interface Generation {
  id: number;
  worker: WorkerLike;
  remote: Comlink.Remote<AvatarWorkerApi>;
  /** init, then the avatar put back when this worker replaces a dead one. */
  ready: Promise<ModelInfo>;
  info?: ModelInfo;
  died: Promise<WorkerDeath>;
  death?: WorkerDeath;
  /** Retired without dying (its init failed): its events are ignored. */
  closed: boolean;
  markDead(death: WorkerDeath): void;
  lastAlive: number;
  pinging: boolean;
  timer?: ReturnType<typeof setInterval>;
}

class WorkerDied extends Error {
  constructor(readonly death: WorkerDeath) {
    super(describeDeath(death));
  }
}

/** How long a failed call waits to learn whether its worker is dying (see call). */
const ERROR_GRACE_MS = 250;

const DEVICE_LOSS_PATTERN = /device (is |was )?lost|device.*destroyed|context (was )?lost|CONTEXT_LOST/i;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ModelClient {
  private gen: Generation | undefined;
  private generations = 0;
  private deaths: number[] = [];
  private allDeaths: WorkerDeath[] = [];
  private deviceLosses = 0;
  private failed: WorkerDeath | undefined;
  private checkpoint: Checkpoint = {};

  constructor(private readonly options: ModelClientOptions) {}

  /** The newest worker's ModelInfo once it has loaded (and restored the avatar). */
  get info(): ModelInfo | undefined {
    return this.gen?.info;
  }

  get generation(): number {
    return this.generations;
  }

  get history(): readonly WorkerDeath[] {
    return this.allDeaths;
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
    for (;;) {
      const gen = this.current();
      try {
        return await this.race(gen, gen.ready);
      } catch (error) {
        if (!(error instanceof WorkerDied)) throw error;
      }
    }
  }

  /** After the client gave up on a crash loop, a user action may try once more. */
  revive(): void {
    if (!this.failed) return;
    this.failed = undefined;
    this.deaths = [];
  }

  /** Ends the serving worker and its heartbeat (tests; a page that no longer needs the model). */
  dispose(): void {
    if (this.gen) this.retire(this.gen);
    this.failed = { kind: 'crash', message: 'the model client was disposed', generation: this.generations };
  }

  /**
   * Loads other weights (another generator) in a fresh worker and remakes the current avatar there
   * from its photos; weights saved from the other generator cannot carry over, so a fine-tuned state
   * is not restored. Resolves with the new worker's ModelInfo and what became of the avatar.
   */
  async switchWeights(weightsUrl: string): Promise<{ info: ModelInfo; restored: 'avatar' | 'nothing' | 'failed' }> {
    this.options.init = { ...this.options.init, weightsUrl };
    if (this.gen) this.retire(this.gen);
    this.failed = undefined;
    this.checkpoint = { photos: this.checkpoint.photos };
    const gen = this.start(undefined);
    const info = await this.race(gen, gen.ready);
    const restored = await this.race(gen, this.restore(gen));
    return { info, restored };
  }

  /**
   * Runs the model on other backends from now on: a fresh worker starts with `init` (an order and
   * why, or nothing for the measured choice), and the current avatar, fine-tuned state included, is
   * put back as after a crash. Resolves with the new worker's ModelInfo and what became of the avatar.
   */
  async switchBackends(init: {
    backends?: BackendName[];
    backendReason?: string;
  }): Promise<{ info: ModelInfo; restored: 'avatar' | 'nothing' | 'failed' }> {
    this.options.init = { ...this.options.init, backends: init.backends, backendReason: init.backendReason };
    if (this.gen) this.retire(this.gen);
    this.failed = undefined;
    this.deaths = [];
    this.deviceLosses = 0;
    const gen = this.start(undefined);
    const info = await this.race(gen, gen.ready);
    const restored = await this.race(gen, this.restore(gen));
    return { info, restored };
  }

  /** Runs a debug action (InitOptions.debug) in the serving worker. */
  async debug(action: DebugAction): Promise<void> {
    await this.whenReady();
    const gen = this.current();
    await this.race(gen, gen.remote.debug(action));
  }

  readonly api: ModelApi = {
    createAvatar: async (photos) => {
      const created = await this.call(
        (r) => r.createAvatar(photos),
        false,
        (d) =>
          new ModelWorkerRestartedError(d, `${describeDeath(d)} while the avatar was being made. The model has been restarted: try again.`),
      );
      this.checkpoint = { photos: [...photos] };
      return created;
    },
    render: (points, frameSize) => this.call((r) => r.render(points, frameSize), true),
    fineTune: (request, onProgress) => this.fineTune(request, onProgress),
    pauseFineTune: () => this.control('pauseFineTune'),
    resumeFineTune: () => this.control('resumeFineTune'),
    stopFineTune: () => this.control('stopFineTune'),
    exportAvatar: () => this.call((r) => r.exportAvatar(), true),
    importAvatar: async (saved) => {
      await this.call((r) => r.importAvatar(saved), false);
      this.checkpoint = { photos: this.checkpoint.photos, weights: saved };
    },
    memory: () => this.call((r) => r.memory(), true),
  };

  private current(): Generation {
    if (this.gen) return this.gen;
    if (this.failed) {
      throw new ModelWorkerRestartedError(
        this.failed,
        `${describeDeath(this.failed)}, and it kept failing, so it was not restarted again. Reload the page.`,
      );
    }
    return this.start(undefined);
  }

  private race<T>(gen: Generation, work: Promise<T>): Promise<T> {
    return Promise.race([
      work,
      gen.died.then((death) => {
        throw new WorkerDied(death);
      }),
    ]);
  }

  /**
   * Runs `run` on the serving worker. A worker that dies before the call starts is waited out; one
   * that dies during it makes the call run again on the next worker when `retry`, else reject.
   */
  private async call<T>(
    run: (remote: Comlink.Remote<AvatarWorkerApi>) => Promise<T>,
    retry: boolean,
    interrupted?: (death: WorkerDeath) => Error,
  ): Promise<T> {
    for (;;) {
      const gen = this.current();
      try {
        await this.race(gen, gen.ready);
      } catch (error) {
        if (error instanceof WorkerDied) continue;
        throw error;
      }
      try {
        return await this.race(gen, run(gen.remote));
      } catch (error) {
        let death = error instanceof WorkerDied ? error.death : undefined;
        if (!death && DEVICE_LOSS_PATTERN.test(errorText(error))) {
          this.onDeath(gen, { kind: 'device-lost', message: errorText(error), generation: gen.id });
        }
        // A dying worker's calls often fail just before its death is known (e.g. a GPU read aborted
        // by the lost device): give the death a moment to arrive, so such a call is retried too.
        if (!death && !gen.death) await Promise.race([gen.died, new Promise((resolve) => setTimeout(resolve, ERROR_GRACE_MS))]);
        death ??= gen.death;
        if (!death) throw error;
        if (!retry) {
          throw (
            interrupted?.(death) ??
            new ModelWorkerRestartedError(death, `${describeDeath(death)}. The model has been restarted: try again.`)
          );
        }
      }
    }
  }

  private async control(action: 'pauseFineTune' | 'resumeFineTune' | 'stopFineTune'): Promise<void> {
    const gen = this.gen;
    if (!gen || gen.death || !gen.info) return;
    await this.race(gen, gen.remote[action]()).catch(() => undefined);
  }

  private async fineTune(request: FineTuneRequest, onProgress: (progress: FineTuneProgress) => void): Promise<FineTuneSummary> {
    let step = 0;
    let keptStep: number | undefined;
    const forward = Comlink.proxy((progress: FineTuneProgress) => {
      step = progress.step;
      const { checkpoint, ...rest } = progress;
      if (checkpoint) {
        this.checkpoint = { photos: this.checkpoint.photos, weights: checkpoint, fineTunedStep: progress.step };
        keptStep = progress.step;
      }
      onProgress(rest);
    });
    const summary = await this.call(
      (r) => r.fineTune({ checkpointEveryMs: this.options.checkpointEveryMs ?? 10_000, ...request }, forward),
      false,
      (death) =>
        new ModelWorkerRestartedError(
          death,
          `Fine-tuning was interrupted at step ${step}: ${describeDeath(death)}. ` +
            (keptStep !== undefined
              ? `The avatar keeps its fine-tuned state from step ${keptStep}.`
              : 'The avatar keeps its state from before this fine-tuning.') +
            ' The model has been restarted; press Fine-tune to train again.',
          { step, keptStep },
        ),
    );
    const { checkpoint, ...rest } = summary;
    if (checkpoint) this.checkpoint = { photos: this.checkpoint.photos, weights: checkpoint, fineTunedStep: summary.stepsDone };
    return rest;
  }

  /** The wanted order after a first device loss; after a second one, without WebGPU (WASM, WebGL, the CPU). */
  private backends(): { backends?: BackendName[]; backendReason?: string } {
    const { backends: wanted, backendReason } = this.options.init;
    if (this.deviceLosses < 2) return { backends: wanted, backendReason };
    return {
      backends: (wanted ?? [...BACKEND_ORDER]).filter((b) => b !== 'webgpu'),
      backendReason: `the GPU device was lost ${this.deviceLosses} times, so WebGPU is no longer used`,
    };
  }

  private hangLimit(gen: Generation): number {
    if (this.options.hangMs !== undefined) return this.options.hangMs;
    return gen.info && gen.info.backend !== 'cpu' ? 120_000 : 300_000;
  }

  private start(after: WorkerDeath | undefined): Generation {
    const worker = this.options.createWorker();
    let markDead!: (death: WorkerDeath) => void;
    const died = new Promise<WorkerDeath>((resolve) => (markDead = resolve));
    const gen: Generation = {
      id: ++this.generations,
      worker,
      remote: Comlink.wrap<AvatarWorkerApi>(worker),
      ready: Promise.resolve() as unknown as Promise<ModelInfo>,
      died,
      closed: false,
      markDead,
      lastAlive: performance.now(),
      pinging: false,
    };
    this.gen = gen;
    const die = (kind: DeathKind, message: string) => this.onDeath(gen, { kind, message, generation: gen.id });
    worker.addEventListener('error', (event) => {
      // Handled here: not also an error of the page.
      event.preventDefault();
      const e = event as ErrorEvent;
      die('crash', e.message || (e.error instanceof Error ? e.error.message : 'an uncaught error in the worker'));
    });
    worker.addEventListener('messageerror', () => die('crash', 'a message from the worker could not be read'));
    worker.addEventListener('message', (event) => {
      gen.lastAlive = performance.now();
      const data = (event as MessageEvent).data;
      if (isAvatarWorkerEvent(data) && data.event === 'device-lost')
        die('device-lost', data.simulated ? `${data.message} Simulated.` : data.message);
    });

    const { backends, backendReason } = this.backends();
    gen.ready = (async () => {
      const info = await gen.remote.init({ ...this.options.init, backends, backendReason });
      gen.info = info;
      const restored = after ? await this.restore(gen) : 'nothing';
      if (after && !gen.death) {
        const fellBack = backends && !backends.includes('webgpu') && this.deviceLosses >= 2 && info.backend !== 'webgpu';
        const on = BACKEND_LABELS[info.backend];
        let text = `${describeDeath(after)}. The model was restarted on ${on}`;
        if (restored === 'avatar') text += ' and your avatar restored: nothing was lost.';
        else if (restored === 'failed') text += ', but the avatar could not be restored: create it again.';
        else text += '.';
        if (fellBack)
          text += ` The GPU device was lost ${this.deviceLosses} times, so the model now runs on ${on} instead of WebGPU, which is slower.`;
        this.options.onStatus?.({ phase: 'recovered', generation: gen.id, death: after, info, restored, text });
      }
      return info;
    })();
    gen.ready.catch((error: unknown) => {
      if (gen.death) return;
      // init failed without the worker dying (e.g. missing weights): retire it; the next call retries.
      this.retire(gen);
      if (after) {
        this.failed = after;
        this.options.onStatus?.({
          phase: 'failed',
          generation: gen.id,
          death: after,
          text: `${describeDeath(after)}, and the model could not be restarted (${errorText(error)}). Reload the page; saved avatars are kept.`,
        });
      }
    });

    const hang = this.hangLimit(gen);
    const pingMs = this.options.pingMs ?? Math.min(5000, hang / 4);
    gen.timer = setInterval(() => {
      if (gen.death || gen.closed) return;
      const limit = this.hangLimit(gen);
      const silent = performance.now() - gen.lastAlive;
      if (silent > limit) {
        die('hang', `no answer for ${Math.round(silent / 1000)} s`);
        return;
      }
      if (gen.pinging) return;
      gen.pinging = true;
      gen.remote.ping().then(
        () => {
          gen.pinging = false;
          gen.lastAlive = performance.now();
        },
        () => (gen.pinging = false),
      );
    }, pingMs);
    return gen;
  }

  /** Puts the avatar back in a fresh worker: the photos (FF), then the last exported weights. */
  private async restore(gen: Generation): Promise<'avatar' | 'nothing' | 'failed'> {
    const { photos, weights } = this.checkpoint;
    if (!photos && !weights) return 'nothing';
    try {
      if (photos) await gen.remote.createAvatar(photos);
      if (weights) await gen.remote.importAvatar(weights);
      return 'avatar';
    } catch (error) {
      if (gen.death) throw error;
      console.warn('avatar restore failed:', error);
      // The photos may be what failed: the saved weights alone still give the same avatar.
      if (photos && weights) {
        try {
          await gen.remote.importAvatar(weights);
          return 'avatar';
        } catch (second) {
          if (gen.death) throw second;
        }
      }
      this.checkpoint = {};
      this.options.onAvatarLost?.();
      return 'failed';
    }
  }

  private retire(gen: Generation): void {
    gen.closed = true;
    clearInterval(gen.timer);
    gen.worker.terminate();
    if (this.gen === gen) this.gen = undefined;
  }

  private onDeath(gen: Generation, death: WorkerDeath): void {
    if (gen.death || gen.closed) return;
    const serving = this.gen === gen;
    gen.death = death;
    gen.markDead(death);
    this.retire(gen);
    if (!serving) return;
    this.allDeaths.push(death);
    if (death.kind === 'device-lost') this.deviceLosses++;
    const now = performance.now();
    this.deaths = [...this.deaths.filter((t) => now - t < (this.options.deathWindowMs ?? 60_000)), now];
    const maxDeaths = this.options.maxDeaths ?? 3;
    if (this.deaths.length >= maxDeaths) {
      this.failed = death;
      this.options.onStatus?.({
        phase: 'failed',
        generation: gen.id,
        death,
        text: `${describeDeath(death)}. It failed ${this.deaths.length} times in a row, so it was not restarted again: reload the page (saved avatars are kept), or press Create avatar to try once more.`,
      });
      return;
    }
    const hasAvatar = this.checkpoint.photos !== undefined || this.checkpoint.weights !== undefined;
    this.options.onStatus?.({
      phase: 'recovering',
      generation: gen.id + 1,
      death,
      text: `${describeDeath(death)}. Restarting the model${hasAvatar ? ' and restoring your avatar' : ''}…`,
    });
    this.start(death);
  }
}

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
export async function switchGenerator(kind: GeneratorKind): Promise<{ info: ModelInfo; restored: 'avatar' | 'nothing' | 'failed' }> {
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
export async function switchBackend(
  preference: BackendPreference,
): Promise<{ info: ModelInfo; restored: 'avatar' | 'nothing' | 'failed' }> {
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
