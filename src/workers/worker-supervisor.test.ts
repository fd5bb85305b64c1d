// WorkerSupervisor against in-process fake workers (Comlink over a MessageChannel), with no UI:
// heartbeat timeout → restart, crash → restart with the state restored, the crash-loop limit and
// revive, the backend order after device losses, calls run again or rejected, replace, dispose.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeWorker as BaseFakeWorker } from './fake-worker.ts';
import { WorkerDiedError, WorkerSupervisor, type SupervisorEvent, type SupervisorOptions } from './worker-supervisor.ts';

interface Init {
  name: string;
  backends?: string[];
  backendReason?: string;
}
interface Info {
  backend: string;
  worker: number;
}
interface Api {
  init(options: Init): Info;
  ping(): number;
  work(x: number): number;
  put(state: string): void;
}

const never = <T>() => new Promise<T>(() => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fake worker whose `work` answers x · 10 + its id. */
class FakeWorker extends BaseFakeWorker<Api> {
  constructor(id: number) {
    super(id, (w) => ({
      init: (options: Init) => ({ backend: options.backends?.[0] ?? 'gpu', worker: w.id }),
      ping: () => 0,
      work: (x: number) => x * 10 + w.id,
      put: () => undefined,
    }));
  }

  /** A message the worker posts by itself, as a lost device would. */
  loseDevice(): void {
    this.post({ lost: 'GPU gone' });
  }
}

let supervisors: WorkerSupervisor<Api, Init, Info, string>[] = [];
let workers: FakeWorker[] = [];

function setup(options: Partial<SupervisorOptions<Api, Init, Info, string>> = {}, prepare?: (w: FakeWorker) => void) {
  const events: SupervisorEvent<Info, string>[] = [];
  let state: string | undefined;
  const supervisor = new WorkerSupervisor<Api, Init, Info, string>({
    createWorker: () => {
      const w = new FakeWorker(workers.length + 1);
      workers.push(w);
      prepare?.(w);
      return w;
    },
    init: { name: 'test' },
    pingMs: 10,
    restore: async (remote) => {
      if (state === undefined) return 'nothing';
      await remote.put(state);
      return 'restored';
    },
    deviceLostEvent: (data) => (data as { lost?: string }).lost,
    fallback: { order: ['gpu', 'wasm', 'cpu'], device: 'gpu', backend: (info) => info.backend },
    ...options,
    onEvent: (event) => events.push(event),
  });
  supervisors.push(supervisor);
  type Event = SupervisorEvent<Info, string>;
  const until = async <P extends Event['phase']>(phase: P, count = 1): Promise<Extract<Event, { phase: P }>> => {
    const matching = () => events.filter((e): e is Extract<Event, { phase: P }> => e.phase === phase);
    for (let i = 0; i < 500 && matching().length < count; i++) await sleep(5);
    expect(matching().length, JSON.stringify(events.map((e) => e.phase))).toBeGreaterThanOrEqual(count);
    return matching()[count - 1];
  };
  return { supervisor, events, until, setState: (s: string) => (state = s) };
}

afterEach(() => {
  for (const s of supervisors) s.dispose();
  for (const w of workers) w.terminate();
  supervisors = [];
  workers = [];
});

describe('WorkerSupervisor', () => {
  it('starts one worker on first use and passes its init options', async () => {
    const { supervisor } = setup();
    expect(workers).toHaveLength(0);
    expect(await supervisor.whenReady()).toEqual({ backend: 'gpu', worker: 1 });
    expect(await supervisor.call((r) => r.work(4), true)).toBe(41);
    expect(workers[0].calls[0]).toEqual({ method: 'init', args: [{ name: 'test', backends: undefined, backendReason: undefined }] });
    expect(supervisor.generation).toBe(1);
  });

  it('replaces a worker that stops answering the heartbeat, and restores its state', async () => {
    const { supervisor, until, setState } = setup({ hangMs: 80, pingMs: 10 });
    await supervisor.whenReady();
    setState('avatar');
    workers[0].behave.ping = () => never();
    const recovered = await until('recovered');
    expect(recovered).toMatchObject({ generation: 2, death: { kind: 'hang', generation: 1 }, restored: 'restored' });
    expect(recovered.death.message).toMatch(/^no answer for \d+ s$/);
    expect(workers[0].terminated).toBe(true);
    expect(workers[1].methods()).toEqual(['init', 'put']);
    expect(workers[1].calls[1].args).toEqual(['avatar']);
    expect(supervisor.history.map((d) => d.kind)).toEqual(['hang']);
  });

  it('lets the hang limit depend on the loaded worker', async () => {
    const seen: (Info | undefined)[] = [];
    const { supervisor, until } = setup({
      hangMs: (info) => {
        seen.push(info);
        return info ? 60 : 10_000;
      },
    });
    await supervisor.whenReady();
    workers[0].behave.ping = () => never();
    await until('recovered');
    expect(seen).toContainEqual({ backend: 'gpu', worker: 1 });
  });

  it('keeps a busy worker that still answers the heartbeat', async () => {
    const { supervisor, events } = setup({ hangMs: 60, pingMs: 10 });
    await supervisor.whenReady();
    workers[0].behave.work = () => sleep(200).then(() => 7);
    expect(await supervisor.call((r) => r.work(1), true)).toBe(7);
    expect(events).toEqual([]);
  });

  it('runs a retryable call again on the next worker; rejects one that is not', async () => {
    const { supervisor, until } = setup({}, (w) => {
      if (w.id === 1) w.behave.work = () => never();
    });
    await supervisor.whenReady();
    const again = supervisor.call((r) => r.work(1), true);
    const once = supervisor.call((r) => r.work(2), false).catch((e: unknown) => e);
    await sleep(20);
    workers[0].crash('Simulated');
    expect(await again).toBe(12);
    const error = await once;
    expect(error).toBeInstanceOf(WorkerDiedError);
    expect(error).toMatchObject({ gaveUp: false, death: { kind: 'crash', message: 'Simulated', generation: 1 } });
    expect((await until('recovering')).generation).toBe(2);
    await until('recovered');
  });

  it('passes on the errors of a healthy worker', async () => {
    const { supervisor, events } = setup({}, (w) => {
      w.behave.work = () => Promise.reject(new Error('bad input'));
    });
    await expect(supervisor.call((r) => r.work(1), true)).rejects.toThrow('bad input');
    expect(workers).toHaveLength(1);
    expect(events).toEqual([]);
  });

  it('treats a call that fails with a lost device as a device loss, and runs it again', async () => {
    const { supervisor, until } = setup({}, (w) => {
      if (w.id === 1) w.behave.work = () => Promise.reject(new Error('GPUDevice was lost: unknown'));
    });
    expect(await supervisor.call((r) => r.work(3), true)).toBe(32);
    expect((await until('recovered')).death.kind).toBe('device-lost');
  });

  it('after a lost device tries the GPU once more, then the other backends in the wanted order', async () => {
    const { supervisor, until } = setup({ init: { name: 'test', backends: ['gpu', 'cpu', 'wasm'], backendReason: 'picked' } });
    await supervisor.whenReady();
    workers[0].loseDevice();
    const first = await until('recovered');
    expect(first).toMatchObject({ death: { kind: 'device-lost', message: 'GPU gone' }, fellBack: false, deviceLosses: 1 });
    expect(workers[1].calls[0].args[0]).toMatchObject({ backends: ['gpu', 'cpu', 'wasm'], backendReason: 'picked' });
    workers[1].loseDevice();
    const second = await until('recovered', 2);
    expect(workers[2].calls[0].args[0]).toMatchObject({
      backends: ['cpu', 'wasm'],
      backendReason: 'the GPU device was lost 2 times, so WebGPU is no longer used',
    });
    expect(second).toMatchObject({ fellBack: true, deviceLosses: 2, info: { backend: 'cpu', worker: 3 } });
    expect(supervisor.info).toEqual({ backend: 'cpu', worker: 3 });
  });

  it('falls back to the full order without the GPU when no order was wanted', async () => {
    const { supervisor, until } = setup();
    await supervisor.whenReady();
    workers[0].loseDevice();
    await until('recovered');
    expect((workers[1].calls[0].args[0] as Init).backends).toBeUndefined();
    workers[1].loseDevice();
    await until('recovered', 2);
    expect((workers[2].calls[0].args[0] as Init).backends).toEqual(['wasm', 'cpu']);
  });

  it('stops restarting after a crash loop, and revive tries once more', async () => {
    const { supervisor, until } = setup({ maxDeaths: 3 }, (w) => {
      w.behave.init = () => {
        setTimeout(() => w.crash('crashes on start'), 0);
        return never();
      };
    });
    const ready = supervisor.whenReady().catch((e: unknown) => e);
    const loop = await until('crash-loop');
    expect(loop).toMatchObject({ deaths: 3, generation: 3, death: { message: 'crashes on start' } });
    expect(workers).toHaveLength(3);
    expect(await ready).toMatchObject({ gaveUp: true });
    await expect(supervisor.call((r) => r.work(1), true)).rejects.toMatchObject({ gaveUp: true });
    await sleep(30);
    expect(workers).toHaveLength(3);
    expect(supervisor.gaveUp).toBe(true);
    supervisor.revive();
    void supervisor.whenReady().catch(() => undefined);
    expect(workers).toHaveLength(4);
  });

  it('counts only the deaths within the window towards a crash loop', async () => {
    let clock = 0;
    const { supervisor, until, events } = setup({ maxDeaths: 2, deathWindowMs: 1000, now: () => clock });
    await supervisor.whenReady();
    workers[0].crash();
    await until('recovered');
    clock += 5000;
    workers[1].crash();
    await until('recovered', 2);
    clock += 10;
    workers[2].crash();
    expect((await until('crash-loop')).deaths).toBe(2);
    expect(events.map((e) => e.phase)).toEqual(['recovering', 'recovered', 'recovering', 'recovered', 'crash-loop']);
  });

  it('reports a restart whose init fails, and does not restart again', async () => {
    const { supervisor, until } = setup({}, (w) => {
      if (w.id === 2) w.behave.init = () => Promise.reject(new Error('HTTP 404'));
    });
    await supervisor.whenReady();
    workers[0].crash();
    const failed = await until('restart-failed');
    expect(failed).toMatchObject({ generation: 2, death: { kind: 'crash', generation: 1 } });
    expect(String(failed.error)).toMatch(/HTTP 404/);
    expect(workers[1].terminated).toBe(true);
    await expect(supervisor.whenReady()).rejects.toMatchObject({ gaveUp: true });
  });

  it('retries a first start whose init failed on the next call, without an event', async () => {
    const { supervisor, events } = setup({}, (w) => {
      if (w.id === 1) w.behave.init = () => Promise.reject(new Error('HTTP 404'));
    });
    await expect(supervisor.whenReady()).rejects.toThrow(/404/);
    await expect(supervisor.whenReady()).resolves.toEqual({ backend: 'gpu', worker: 2 });
    expect(events).toEqual([]);
  });

  it('replaces the worker with new init options and restores the state there', async () => {
    const { supervisor, setState, events } = setup();
    await supervisor.whenReady();
    setState('tuned');
    const { info, restored } = await supervisor.replace({ name: 'other', backends: ['wasm'] }, true);
    expect(info).toEqual({ backend: 'wasm', worker: 2 });
    expect(restored).toBe('restored');
    expect(workers[0].terminated).toBe(true);
    expect(workers[1].methods()).toEqual(['init', 'put']);
    expect(supervisor.init).toEqual({ name: 'other', backends: ['wasm'] });
    expect(supervisor.history).toEqual([]);
    expect(events).toEqual([]);
  });

  it('runs control calls only on a loaded, living worker and ignores their errors', async () => {
    const { supervisor } = setup();
    await supervisor.ifServing((r) => r.work(1));
    expect(workers).toHaveLength(0);
    await supervisor.whenReady();
    workers[0].behave.work = () => Promise.reject(new Error('ignored'));
    await expect(supervisor.ifServing((r) => r.work(1))).resolves.toBeUndefined();
    expect(workers[0].methods()).toEqual(['init', 'work']);
  });

  it('shuts down on dispose: the worker ends, the heartbeat stops, and calls reject', async () => {
    const { supervisor } = setup({ pingMs: 5 });
    await supervisor.whenReady();
    supervisor.dispose();
    expect(workers[0].terminated).toBe(true);
    const pings = workers[0].calls.length;
    await sleep(40);
    expect(workers[0].calls.length).toBe(pings);
    await expect(supervisor.call((r) => r.work(1), true)).rejects.toMatchObject({ gaveUp: true });
    expect(workers).toHaveLength(1);
  });
});
