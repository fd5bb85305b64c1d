// ModelClient against in-process fake workers (Comlink over a MessageChannel): crash, hang and
// device-loss recovery, avatar restore, retries, fine-tune interruption, crash-loop guard.
import { afterEach, describe, expect, it } from 'vitest';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import type { AvatarPhoto } from '../nn/avatar-session.ts';
import {
  AVATAR_WORKER_EVENT,
  type AvatarWorkerApi,
  type AvatarWorkerEvent,
  type FineTuneProgress,
  type FineTuneRequest,
  type InitOptions,
  type SavedAvatar,
} from '../workers/avatar-protocol.ts';
import { FakeWorker as BaseFakeWorker } from '../workers/fake-worker.ts';
import { ModelClient, type ClientStatus, type ModelClientOptions } from './model-client.ts';
import { ModelWorkerRestartedError, fallbackNotice } from './model-messages.ts';
import { backendInit } from './model-preferences.ts';

const never = <T>() => new Promise<T>(() => undefined);

/** A fake model worker: records what it was asked, and fails on request. */
class FakeWorker extends BaseFakeWorker<AvatarWorkerApi> {
  constructor(id: number) {
    super(id, (w) => ({
      init: (options: InitOptions) => ({
        backend: options.backends?.[0] ?? 'webgpu',
        fallbacks: [],
        reason: options.backendReason ?? 'test',
        configName: 'tiny',
        resolution: 16,
      }),
      createAvatar: (photos: AvatarPhoto[]) => ({ photoCount: photos.length, ms: 1 }),
      render: () => ({ width: 1, height: 1, data: new Uint8ClampedArray([w.id, 0, 0, 255]) }),
      fineTune: () => ({ stepsDone: 0, stopped: false, elapsedMs: 0, usedContentLoss: false }),
      pauseFineTune: () => undefined,
      resumeFineTune: () => undefined,
      stopFineTune: () => undefined,
      exportAvatar: () => savedAvatar(`export-${w.id}`),
      importAvatar: () => undefined,
      memory: () => ({ numTensors: 1, numBytes: 4, backend: 'webgpu' }),
      ping: () => 0,
      debug: () => undefined,
    }));
  }

  loseDevice(): void {
    const data: AvatarWorkerEvent = {
      type: AVATAR_WORKER_EVENT,
      event: 'device-lost',
      reason: 'unknown',
      message: 'GPU gone',
      simulated: false,
    };
    this.post(data);
  }
}

function savedAvatar(tag: string): SavedAvatar {
  return { manifest: { meta: { tag } } as unknown as SavedAvatar['manifest'], shards: [new Uint8Array([1, 2, 3])] };
}

const points: Landmarks = [{ x: 1, y: 2, z: 0 }];
const crop: RgbaImage = { width: 1, height: 1, data: new Uint8ClampedArray(4) };
const photos: AvatarPhoto[] = [{ crop, landmarks: points }];

let clients: ModelClient[] = [];
let workers: FakeWorker[] = [];

function setup(options: Partial<ModelClientOptions> = {}, prepare?: (w: FakeWorker) => void) {
  const statuses: ClientStatus[] = [];
  let lost = 0;
  const client = new ModelClient({
    createWorker: () => {
      const w = new FakeWorker(workers.length + 1);
      workers.push(w);
      prepare?.(w);
      return w;
    },
    init: { weightsUrl: '/weights/test-tiny/manifest.json' },
    pingMs: 20,
    ...options,
    onStatus: (s) => statuses.push(s),
    onAvatarLost: () => lost++,
  });
  clients.push(client);
  const until = async <P extends ClientStatus['phase']>(phase: P, count = 1): Promise<Extract<ClientStatus, { phase: P }>> => {
    const matching = () => statuses.filter((s): s is Extract<ClientStatus, { phase: P }> => s.phase === phase);
    for (let i = 0; i < 500 && matching().length < count; i++) await new Promise((r) => setTimeout(r, 5));
    expect(matching().length, JSON.stringify(statuses.map((s) => s.text))).toBeGreaterThanOrEqual(count);
    return matching()[count - 1];
  };
  return { client, statuses, until, lost: () => lost };
}

afterEach(() => {
  for (const c of clients) c.dispose();
  for (const w of workers) w.terminate();
  clients = [];
  workers = [];
});

describe('ModelClient', () => {
  it('restarts a crashed worker on the same weights and restores the avatar from its photos', async () => {
    const { client, until } = setup();
    await client.api.createAvatar(photos);
    workers[0].crash('Simulated worker crash');
    const recovered = await until('recovered');
    expect(workers).toHaveLength(2);
    expect(workers[0].terminated).toBe(true);
    expect(recovered.text).toMatch(/crashed \(Simulated worker crash\).*restarted on WebGPU and your avatar restored/);
    expect(workers[1].calls.map((c) => c.method).filter((m) => m !== 'ping')).toEqual(['init', 'createAvatar']);
    expect((workers[1].calls[0].args[0] as InitOptions).weightsUrl).toBe('/weights/test-tiny/manifest.json');
    const frame = await client.api.render(points, 16);
    expect(frame.data[0]).toBe(2); // rendered by the new worker
    expect(client.generation).toBe(2);
  });

  it('runs a render that was in flight again on the new worker', async () => {
    const { client, until } = setup({}, (w) => {
      if (w.id === 1) w.behave.render = () => never();
    });
    await client.api.createAvatar(photos);
    const pending = client.api.render(points, 16);
    await new Promise((r) => setTimeout(r, 20));
    workers[0].crash();
    const frame = await pending;
    expect(frame.data[0]).toBe(2);
    await until('recovered');
  });

  it('reports a fine-tune in flight as interrupted; the avatar comes back from its last checkpoint', async () => {
    const checkpoint = savedAvatar('step-5');
    const { client, until } = setup({}, (w) => {
      if (w.id !== 1) return;
      w.behave.fineTune = ((request: FineTuneRequest, onProgress: (p: FineTuneProgress) => void) => {
        expect(request.checkpointEveryMs).toBeGreaterThanOrEqual(0);
        for (let step = 1; step <= 7; step++) {
          onProgress({ step, steps: 100, lossG: 1, lossD: 1, elapsedMs: step, ...(step === 5 ? { checkpoint } : {}) });
        }
        return never();
      }) as never;
    });
    await client.api.createAvatar(photos);
    const seen: FineTuneProgress[] = [];
    const tuning = client.api.fineTune({ steps: 100, previewEvery: 5 }, (p) => seen.push(p));
    for (let i = 0; i < 200 && seen.length < 7; i++) await new Promise((r) => setTimeout(r, 5));
    expect(seen.every((p) => p.checkpoint === undefined)).toBe(true); // weights stay in the client
    workers[0].crash();
    const error = await tuning.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelWorkerRestartedError);
    expect((error as ModelWorkerRestartedError).fineTune).toEqual({ step: 7, keptStep: 5 });
    expect((error as Error).message).toMatch(/interrupted at step 7.*fine-tuned state from step 5/);
    await until('recovered');
    const restore = workers[1].calls.filter((c) => c.method !== 'ping');
    expect(restore.map((c) => c.method)).toEqual(['init', 'createAvatar', 'importAvatar']);
    expect((restore[2].args[0] as SavedAvatar).manifest.meta).toEqual({ tag: 'step-5' });
    expect(client.checkpointSummary()).toEqual({ photos: 1, weights: true, fineTunedStep: 5 });
  });

  it('keeps the weights of a finished fine-tune and of an imported avatar for the next restart', async () => {
    const { client, until } = setup({}, (w) => {
      w.behave.fineTune = (() => ({
        stepsDone: 3,
        stopped: true,
        elapsedMs: 1,
        usedContentLoss: false,
        checkpoint: savedAvatar('final'),
      })) as never;
    });
    await client.api.createAvatar(photos);
    const summary = await client.api.fineTune({ steps: 3, previewEvery: 1 }, () => undefined);
    expect(summary).not.toHaveProperty('checkpoint');
    workers[0].crash();
    await until('recovered');
    expect((workers[1].calls.find((c) => c.method === 'importAvatar')!.args[0] as SavedAvatar).manifest.meta).toEqual({ tag: 'final' });

    await client.api.importAvatar(savedAvatar('loaded'));
    workers[1].crash();
    await until('recovered', 2);
    expect((workers[2].calls.find((c) => c.method === 'importAvatar')!.args[0] as SavedAvatar).manifest.meta).toEqual({ tag: 'loaded' });
  });

  it('replaces a worker that stops answering (heartbeat)', async () => {
    const { client, until } = setup({ hangMs: 150, pingMs: 20 }, (w) => {
      if (w.id === 1) w.behave.render = () => never();
    });
    await client.api.createAvatar(photos);
    workers[0].behave.ping = () => never();
    const frame = await client.api.render(points, 16);
    expect(frame.data[0]).toBe(2);
    const recovered = await until('recovered');
    expect(recovered.death.kind).toBe('hang');
    expect(recovered.text).toMatch(/stopped responding \(no answer for/);
  });

  it('after a lost GPU device tries WebGPU once more, then falls back to WASM, WebGL or the CPU', async () => {
    const { client, until } = setup();
    await client.api.createAvatar(photos);
    workers[0].loseDevice();
    const first = await until('recovered');
    expect(first.text).toMatch(/GPU device was lost \(GPU gone\).*restarted on WebGPU and your avatar restored/);
    expect((workers[1].calls[0].args[0] as InitOptions).backends).toBeUndefined();
    workers[1].loseDevice();
    const second = await until('recovered', 2);
    expect((workers[2].calls[0].args[0] as InitOptions).backends).toEqual(['wasm', 'webgl', 'cpu']);
    expect((workers[2].calls[0].args[0] as InitOptions).backendReason).toMatch(/lost 2 times/);
    expect(second.info.backend).toBe('wasm');
    expect(second.text).toMatch(/now runs on WASM instead of WebGPU, which is slower/);
    expect(client.info?.backend).toBe('wasm');
  });

  it('switches backends in a fresh worker and puts back the fine-tuned avatar', async () => {
    const { client } = setup();
    await client.api.createAvatar(photos);
    await client.api.importAvatar(savedAvatar('tuned'));
    const { info, restored } = await client.switchBackends(backendInit('wasm', 'setting'));
    expect(info.backend).toBe('wasm');
    expect(restored).toBe('avatar');
    expect(workers[0].terminated).toBe(true);
    const init = workers[1].calls[0].args[0] as InitOptions;
    expect(init.backends).toEqual(['wasm', 'webgpu', 'webgl', 'cpu']);
    expect(init.backendReason).toMatch(/Backend setting under Advanced/);
    expect(workers[1].count('createAvatar')).toBe(1);
    expect(workers[1].count('importAvatar')).toBe(1);
    // Back to the measured choice: the worker gets no order.
    await client.switchBackends(backendInit('auto', 'setting'));
    expect((workers[2].calls[0].args[0] as InitOptions).backends).toBeUndefined();
    expect(client.history).toEqual([]);
  });

  it('treats an RPC that fails with a lost device as a device loss', async () => {
    const { client, until } = setup({}, (w) => {
      if (w.id === 1) w.behave.render = () => Promise.reject(new Error('GPUDevice was lost: unknown'));
    });
    await client.api.createAvatar(photos);
    const frame = await client.api.render(points, 16);
    expect(frame.data[0]).toBe(2);
    expect((await until('recovered')).death.kind).toBe('device-lost');
  });

  it('retries a call that failed just before its worker reported the lost device', async () => {
    const { client, until } = setup({}, (w) => {
      if (w.id !== 1) return;
      w.behave.render = () => {
        setTimeout(() => w.loseDevice(), 30);
        return Promise.reject(new Error("Failed to execute 'mapAsync' on 'GPUBuffer': Buffer was unmapped before mapping was resolved."));
      };
    });
    await client.api.createAvatar(photos);
    const frame = await client.api.render(points, 16);
    expect(frame.data[0]).toBe(2);
    expect((await until('recovered')).death.kind).toBe('device-lost');
  });

  it('passes on errors of a healthy worker', async () => {
    const { client, statuses } = setup({}, (w) => {
      w.behave.render = () => Promise.reject(new Error('No avatar yet: add photos first'));
    });
    await expect(client.api.render(points, 16)).rejects.toThrow('No avatar yet');
    expect(workers).toHaveLength(1);
    expect(statuses).toEqual([]);
  });

  it('stops restarting after a crash loop, and a user action may try again', async () => {
    const { client, until, statuses } = setup({ maxDeaths: 3 }, (w) => {
      w.behave.init = () => {
        setTimeout(() => w.crash('crashes on start'), 0);
        return never();
      };
    });
    const ready = client.whenReady().catch((e: unknown) => e);
    const failed = await until('failed');
    expect(failed.text).toMatch(/crashes on start.*not restarted again/);
    expect(workers).toHaveLength(3);
    expect(await ready).toBeInstanceOf(ModelWorkerRestartedError);
    await expect(client.api.render(points, 16)).rejects.toBeInstanceOf(ModelWorkerRestartedError);
    await new Promise((r) => setTimeout(r, 50));
    expect(workers).toHaveLength(3);
    expect(statuses.filter((s) => s.phase === 'recovered')).toHaveLength(0);
    client.revive();
    void client.whenReady().catch(() => undefined);
    expect(workers).toHaveLength(4);
  });

  it('reports a failed init (missing weights) without restarting, and retries on the next call', async () => {
    const { client, statuses } = setup({}, (w) => {
      if (w.id === 1) w.behave.init = () => Promise.reject(new Error('HTTP 404 for manifest.json'));
    });
    await expect(client.whenReady()).rejects.toThrow(/404/);
    expect(workers[0].terminated).toBe(true);
    expect(statuses).toEqual([]);
    await expect(client.whenReady()).resolves.toMatchObject({ backend: 'webgpu' });
    expect(workers).toHaveLength(2);
  });

  it('forgets the avatar when it cannot be restored', async () => {
    const { client, until, lost } = setup({}, (w) => {
      if (w.id === 2) w.behave.createAvatar = () => Promise.reject(new Error('out of memory'));
    });
    await client.api.createAvatar(photos);
    workers[0].crash();
    const recovered = await until('recovered');
    expect(recovered.restored).toBe('failed');
    expect(recovered.text).toMatch(/could not be restored/);
    expect(lost()).toBe(1);
    expect(client.checkpointSummary()).toEqual({ photos: 0, weights: false, fineTunedStep: undefined });
  });
});

describe('backend notices', () => {
  const info = (backend: 'webgpu' | 'wasm' | 'webgl' | 'cpu', reason: string, fallbacks: { backend: 'webgpu'; reason: string }[] = []) =>
    ({ backend, reason, fallbacks, detail: backend === 'wasm' ? 'SIMD, 1 thread' : undefined }) as unknown as Parameters<
      typeof fallbackNotice
    >[0];

  it('says nothing on WebGPU, informs on a chosen WASM, warns on the slow fallbacks', () => {
    expect(fallbackNotice(info('webgpu', 'hardware'))).toBeNull();
    expect(fallbackNotice(info('wasm', 'the WebGPU adapter (google swiftshader) is a software rasteriser'))).toEqual({
      kind: 'info',
      text: 'The model runs on WASM (SIMD, 1 thread): the WebGPU adapter (google swiftshader) is a software rasteriser.',
    });
    const cpu = fallbackNotice(info('cpu', 'x', [{ backend: 'webgpu', reason: 'navigator.gpu is not available' }]));
    expect(cpu?.kind).toBe('warning');
    expect(cpu?.text).toMatch(/^WebGPU is not available in this browser\. The model runs on the CPU .* It will be slower\.$/);
  });

  it('turns a preference into an order with the pick first, or nothing for the measured choice', () => {
    expect(backendInit('auto', 'url')).toEqual({});
    expect(backendInit('webgpu', 'url')).toEqual({
      backends: ['webgpu', 'wasm', 'webgl', 'cpu'],
      backendReason: "WebGPU was chosen by the page's ?backend=webgpu",
    });
  });
});
