// A generic supervisor for a Comlink worker that may die: an uncaught error, a browser that kills it
// for memory (it then just stops answering), a lost GPU device. It notices each of these (error
// events, a heartbeat, a device-lost message, calls that fail with a lost device), starts a fresh
// worker with the same init options, lets its owner put the worker's state back (the injected
// `restore`), and stops restarting after a crash loop. After a second device loss the worker is told
// to use the backends without the GPU one. It knows nothing of the UI: it reports structured events
// (onEvent) and rejects with WorkerDiedError; its owner words them for users (ui/model-messages.ts).
import * as Comlink from 'comlink';

export type DeathKind = 'crash' | 'hang' | 'device-lost';

/** How a worker died. */
export interface WorkerDeath {
  kind: DeathKind;
  message: string;
  /** The worker that died (1 = the first one started). */
  generation: number;
}

/** The worker as the supervisor needs it: a Comlink endpoint that can be terminated (a Worker). */
export type WorkerLike = Comlink.Endpoint & { terminate(): void };

/** The part of the worker's API the supervisor calls itself: init (with a backend order) and a heartbeat. */
export interface SupervisedApi<Init, Info> {
  init(options: Init): Info | Promise<Info>;
  ping(): unknown;
}

/** Init options may carry an order of backends to try and why; the supervisor rewrites them after device losses. */
export interface BackendOrder {
  backends?: readonly string[];
  backendReason?: string;
}

/** What happened to the workers, for the owner to word (or ignore). */
export type SupervisorEvent<Info, Restored> =
  /** `generation` is the worker being started in place of the dead one. */
  | { phase: 'recovering'; generation: number; death: WorkerDeath }
  | {
      phase: 'recovered';
      generation: number;
      death: WorkerDeath;
      info: Info;
      restored: Restored;
      /** The GPU backend is no longer used after repeated device losses. */
      fellBack: boolean;
      deviceLosses: number;
    }
  /** `deaths` deaths within the window: no further restart until revive(). */
  | { phase: 'crash-loop'; generation: number; death: WorkerDeath; deaths: number }
  /** The replacement's init failed (the worker did not die): no further restart until revive(). */
  | { phase: 'restart-failed'; generation: number; death: WorkerDeath; error: unknown };

export interface SupervisorOptions<Api, Init, Info, Restored> {
  createWorker(): WorkerLike;
  init: Init;
  /** No sign of life for this long means the worker is hung or gone (may depend on the loaded worker's info). */
  hangMs?: number | ((info: Info | undefined) => number);
  /** Heartbeat period. Default: min(5 s, hangMs / 4), hangMs taken when the worker starts. */
  pingMs?: number;
  /** This many deaths within deathWindowMs and the supervisor stops restarting (a crash loop). Default 3 in 60 s. */
  maxDeaths?: number;
  deathWindowMs?: number;
  /** Puts the state back in a fresh worker; `dead()` tells whether that worker died meanwhile. */
  restore(remote: Comlink.Remote<Api>, dead: () => boolean): Promise<Restored>;
  /** The text of a device loss when a message the worker posted by itself reports one. */
  deviceLostEvent?(data: unknown): string | undefined;
  /**
   * Backends after repeated device losses: from `losses` on (default 2), the wanted order (or
   * `order` when none was given) without `device`. Off when absent.
   */
  fallback?: { order: readonly string[]; device: string; backend(info: Info): string; losses?: number };
  onEvent?(event: SupervisorEvent<Info, Restored>): void;
  /** Milliseconds; performance.now() by default. */
  now?(): number;
}

/**
 * A call that could not finish because its worker died. `gaveUp`: the supervisor stopped restarting
 * (a crash loop, or dispose), else a fresh worker is on its way and the call may be made again.
 */
export class WorkerDiedError extends Error {
  override readonly name = 'WorkerDiedError';
  constructor(
    readonly death: WorkerDeath,
    readonly gaveUp: boolean,
  ) {
    super(`worker ${death.generation} died (${death.kind}: ${death.message})${gaveUp ? '; not restarted' : ''}`);
  }
}

interface Generation<Api, Info> {
  id: number;
  worker: WorkerLike;
  remote: Comlink.Remote<Api>;
  /** init, then the state put back when this worker replaces a dead one. */
  ready: Promise<Info>;
  info?: Info;
  died: Promise<WorkerDeath>;
  death?: WorkerDeath;
  /** Retired without dying (its init failed, or it was replaced): its events are ignored. */
  closed: boolean;
  markDead(death: WorkerDeath): void;
  lastAlive: number;
  pinging: boolean;
  timer?: ReturnType<typeof setInterval>;
}

/** How long a failed call waits to learn whether its worker is dying (see call). */
const ERROR_GRACE_MS = 250;

/** Error texts of a call that failed because the GPU device (or WebGL context) is gone. */
export const DEVICE_LOSS_PATTERN = /device (is |was )?lost|device.*destroyed|context (was )?lost|CONTEXT_LOST/i;

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class WorkerSupervisor<Api extends SupervisedApi<Init, Info>, Init extends BackendOrder, Info, Restored> {
  private gen: Generation<Api, Info> | undefined;
  private generations = 0;
  private deaths: number[] = [];
  private allDeaths: WorkerDeath[] = [];
  private deviceLosses = 0;
  private failed: WorkerDeath | undefined;
  private initOptions: Init;

  constructor(private readonly options: SupervisorOptions<Api, Init, Info, Restored>) {
    this.initOptions = options.init;
  }

  /** The init options a fresh worker gets (before any fallback after device losses). */
  get init(): Init {
    return this.initOptions;
  }

  /** The newest worker's info once it has loaded (and its state was put back). */
  get info(): Info | undefined {
    return this.gen?.info;
  }

  /** Workers started so far: 1 until the first restart. */
  get generation(): number {
    return this.generations;
  }

  get history(): readonly WorkerDeath[] {
    return this.allDeaths;
  }

  /** True once the supervisor stopped restarting (a crash loop, a failed restart, dispose) until revive(). */
  get gaveUp(): boolean {
    return this.failed !== undefined;
  }

  /** Resolves with the serving worker's info, following restarts; rejects when init fails or the supervisor gave up. */
  async whenReady(): Promise<Info> {
    for (;;) {
      const gen = this.current();
      try {
        return await this.race(gen, gen.ready);
      } catch (error) {
        if (!(error instanceof WorkerDiedError)) throw error;
      }
    }
  }

  /** After the supervisor gave up on a crash loop, a user action may try once more. */
  revive(): void {
    if (!this.failed) return;
    this.failed = undefined;
    this.deaths = [];
  }

  /** Ends the serving worker and its heartbeat; later calls reject until revive(). */
  dispose(): void {
    if (this.gen) this.retire(this.gen);
    this.failed = { kind: 'crash', message: 'the worker supervisor was disposed', generation: this.generations };
  }

  /**
   * Replaces the serving worker (if any) by a fresh one started with `init`, and puts the state back
   * with `restore`. `forgetDeaths` also clears the crash-loop count and the device losses (a new
   * backend order). Resolves with the new worker's info and what restore said.
   */
  async replace(init: Init, forgetDeaths: boolean): Promise<{ info: Info; restored: Restored }> {
    this.initOptions = init;
    if (this.gen) this.retire(this.gen);
    this.failed = undefined;
    if (forgetDeaths) {
      this.deaths = [];
      this.deviceLosses = 0;
    }
    const gen = this.start(undefined);
    const info = await this.race(gen, gen.ready);
    const restored = await this.race(gen, this.restoreIn(gen));
    return { info, restored };
  }

  /** Runs `run` on the serving worker once it is ready; rejects with WorkerDiedError if it dies meanwhile. */
  async once<T>(run: (remote: Comlink.Remote<Api>) => Promise<T>): Promise<T> {
    await this.whenReady();
    const gen = this.current();
    return this.race(gen, run(gen.remote));
  }

  /**
   * Runs `run` on the serving worker. A worker that dies before the call starts is waited out; one
   * that dies during it makes the call run again on the next worker when `retry`, else reject with
   * WorkerDiedError.
   */
  async call<T>(run: (remote: Comlink.Remote<Api>) => Promise<T>, retry: boolean): Promise<T> {
    for (;;) {
      const gen = this.current();
      try {
        await this.race(gen, gen.ready);
      } catch (error) {
        if (error instanceof WorkerDiedError) continue;
        throw error;
      }
      try {
        return await this.race(gen, run(gen.remote));
      } catch (error) {
        let death = error instanceof WorkerDiedError ? error.death : undefined;
        if (!death && DEVICE_LOSS_PATTERN.test(errorText(error))) {
          this.onDeath(gen, { kind: 'device-lost', message: errorText(error), generation: gen.id });
        }
        // A dying worker's calls often fail just before its death is known (e.g. a GPU read aborted
        // by the lost device): give the death a moment to arrive, so such a call is retried too.
        if (!death && !gen.death) await Promise.race([gen.died, new Promise((resolve) => setTimeout(resolve, ERROR_GRACE_MS))]);
        death ??= gen.death;
        if (!death) throw error;
        if (!retry) throw new WorkerDiedError(death, false);
      }
    }
  }

  /** Runs `run` on the serving worker only if it is loaded and alive; nothing otherwise, and errors are ignored. */
  async ifServing(run: (remote: Comlink.Remote<Api>) => Promise<unknown>): Promise<void> {
    const gen = this.gen;
    if (!gen || gen.death || !gen.info) return;
    await this.race(gen, run(gen.remote)).catch(() => undefined);
  }

  private now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  private current(): Generation<Api, Info> {
    if (this.gen) return this.gen;
    if (this.failed) throw new WorkerDiedError(this.failed, true);
    return this.start(undefined);
  }

  private race<T>(gen: Generation<Api, Info>, work: Promise<T>): Promise<T> {
    return Promise.race([
      work,
      gen.died.then((death) => {
        throw new WorkerDiedError(death, false);
      }),
    ]);
  }

  /** The wanted order until `fallback.losses` device losses; from then on without the GPU backend. */
  private backends(): BackendOrder {
    const { backends: wanted, backendReason } = this.initOptions;
    const fallback = this.options.fallback;
    if (!fallback || this.deviceLosses < (fallback.losses ?? 2)) return { backends: wanted, backendReason };
    return {
      backends: (wanted ?? [...fallback.order]).filter((b) => b !== fallback.device),
      backendReason: `the GPU device was lost ${this.deviceLosses} times, so WebGPU is no longer used`,
    };
  }

  private hangLimit(gen: Generation<Api, Info>): number {
    const hang = this.options.hangMs ?? 120_000;
    return typeof hang === 'number' ? hang : hang(gen.info);
  }

  private start(after: WorkerDeath | undefined): Generation<Api, Info> {
    const worker = this.options.createWorker();
    let markDead!: (death: WorkerDeath) => void;
    const died = new Promise<WorkerDeath>((resolve) => (markDead = resolve));
    const gen: Generation<Api, Info> = {
      id: ++this.generations,
      worker,
      remote: Comlink.wrap<Api>(worker),
      ready: Promise.resolve() as unknown as Promise<Info>,
      died,
      closed: false,
      markDead,
      lastAlive: this.now(),
      pinging: false,
    };
    this.gen = gen;
    const base = gen.remote as unknown as { init(options: Init): Promise<Info>; ping(): Promise<unknown> };
    const die = (kind: DeathKind, message: string) => this.onDeath(gen, { kind, message, generation: gen.id });
    worker.addEventListener('error', (event) => {
      // Handled here: not also an error of the page.
      event.preventDefault();
      const e = event as ErrorEvent;
      die('crash', e.message || (e.error instanceof Error ? e.error.message : 'an uncaught error in the worker'));
    });
    worker.addEventListener('messageerror', () => die('crash', 'a message from the worker could not be read'));
    worker.addEventListener('message', (event) => {
      gen.lastAlive = this.now();
      const lost = this.options.deviceLostEvent?.((event as MessageEvent).data);
      if (lost !== undefined) die('device-lost', lost);
    });

    const order = this.backends();
    gen.ready = (async () => {
      const info = await base.init({ ...this.initOptions, ...order } as Init);
      gen.info = info;
      if (!after) return info;
      const restored = await this.restoreIn(gen);
      if (!gen.death) {
        const fallback = this.options.fallback;
        const fellBack =
          fallback !== undefined &&
          order.backends !== undefined &&
          !order.backends.includes(fallback.device) &&
          this.deviceLosses >= (fallback.losses ?? 2) &&
          fallback.backend(info) !== fallback.device;
        this.options.onEvent?.({
          phase: 'recovered',
          generation: gen.id,
          death: after,
          info,
          restored,
          fellBack,
          deviceLosses: this.deviceLosses,
        });
      }
      return info;
    })();
    gen.ready.catch((error: unknown) => {
      if (gen.death) return;
      // init failed without the worker dying (e.g. missing files): retire it; the next call retries.
      this.retire(gen);
      if (after) {
        this.failed = after;
        this.options.onEvent?.({ phase: 'restart-failed', generation: gen.id, death: after, error });
      }
    });

    const pingMs = this.options.pingMs ?? Math.min(5000, this.hangLimit(gen) / 4);
    gen.timer = setInterval(() => {
      if (gen.death || gen.closed) return;
      const silent = this.now() - gen.lastAlive;
      if (silent > this.hangLimit(gen)) {
        die('hang', `no answer for ${Math.round(silent / 1000)} s`);
        return;
      }
      if (gen.pinging) return;
      gen.pinging = true;
      base.ping().then(
        () => {
          gen.pinging = false;
          gen.lastAlive = this.now();
        },
        () => (gen.pinging = false),
      );
    }, pingMs);
    return gen;
  }

  private restoreIn(gen: Generation<Api, Info>): Promise<Restored> {
    return this.options.restore(gen.remote, () => gen.death !== undefined);
  }

  private retire(gen: Generation<Api, Info>): void {
    gen.closed = true;
    clearInterval(gen.timer);
    gen.worker.terminate();
    if (this.gen === gen) this.gen = undefined;
  }

  private onDeath(gen: Generation<Api, Info>, death: WorkerDeath): void {
    if (gen.death || gen.closed) return;
    const serving = this.gen === gen;
    gen.death = death;
    gen.markDead(death);
    this.retire(gen);
    if (!serving) return;
    this.allDeaths.push(death);
    if (death.kind === 'device-lost') this.deviceLosses++;
    const now = this.now();
    this.deaths = [...this.deaths.filter((t) => now - t < (this.options.deathWindowMs ?? 60_000)), now];
    if (this.deaths.length >= (this.options.maxDeaths ?? 3)) {
      this.failed = death;
      this.options.onEvent?.({ phase: 'crash-loop', generation: gen.id, death, deaths: this.deaths.length });
      return;
    }
    this.options.onEvent?.({ phase: 'recovering', generation: gen.id + 1, death });
    this.start(death);
  }
}
