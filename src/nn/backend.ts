// Picks the tf.js backend this runtime runs our networks fastest on, and says why, so the UI can tell
// users what runs and why. WebGPU on a hardware adapter; WASM (XNNPACK on the CPU with SIMD, and
// threads in a cross-origin isolated worker) where WebGPU is missing or software-emulated (SwiftShader,
// llvmpipe: some 100× slower than WASM on the same CPU); WebGL and the plain-JS CPU backend as
// fallbacks. Where the adapter's name does not tell, a short start-up measurement decides. A user
// (or a test) may override the choice with an explicit order.
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from './wasm-kernels.ts';

/** Backends whose tensors live in CPU memory: there plain JS loops over a tensor's values beat many small ops. */
export const CPU_MEMORY_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu']);

/** Whether the active backend keeps tensors in CPU memory (WASM, CPU). */
export function tensorsInCpuMemory(): boolean {
  return CPU_MEMORY_BACKENDS.has(tf.getBackend());
}

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_NAMES as readonly string[]).includes(value);
}

/** What the user asked for: the measured choice, or one backend first. */
export type BackendPreference = 'auto' | BackendName;

export function isBackendPreference(value: unknown): value is BackendPreference {
  return value === 'auto' || isBackendName(value);
}

/** How the UI names a backend. */
export const BACKEND_LABELS: Readonly<Record<BackendName, string>> = {
  webgpu: 'WebGPU',
  wasm: 'WASM',
  webgl: 'WebGL',
  cpu: 'the CPU (plain JavaScript)',
};

export interface BackendFallback {
  readonly backend: BackendName;
  readonly reason: string;
}

export interface BackendChoice {
  readonly backend: BackendName;
  /** The backends tried before the chosen one, in order, with why each failed. */
  readonly fallbacks: readonly BackendFallback[];
  /** Why this backend runs: the adapter, the measurement or the override, in a sentence. */
  readonly reason: string;
  /** How it runs: the WebGPU adapter, or WASM's SIMD and threads. */
  readonly detail?: string;
  /** Start-up measurement (ms per probe convolution) when one decided. */
  readonly measured?: Partial<Record<BackendName, number>>;
}

/** The order without a measurement: WebGPU, then WASM, WebGL, the CPU. */
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

/** `first`, then the rest of the default order: an override that still falls back. */
export function orderWithFirst(first: BackendName): BackendName[] {
  return [first, ...BACKEND_ORDER.filter((b) => b !== first)];
}

/** Where the app serves tf.js's WASM binaries (copied there by scripts/setup.sh; never a CDN). */
export const WASM_BASE_URL = '/tfjs-wasm/';

/** Why `backend` cannot work here, when that is known without trying; undefined otherwise. */
function knownUnavailable(backend: BackendName): string | undefined {
  if (backend === 'webgpu') {
    const gpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
    return gpu ? undefined : 'navigator.gpu is not available (browser without WebGPU, or not a browser)';
  }
  if (backend === 'webgl') {
    const hasCanvas = typeof OffscreenCanvas !== 'undefined' || typeof document !== 'undefined';
    return hasCanvas ? undefined : 'no OffscreenCanvas or document to create a WebGL context on';
  }
  if (backend === 'wasm' && typeof WebAssembly === 'undefined') return 'WebAssembly is not available';
  return undefined;
}

/** A page (or worker) served over http(s), where the WASM binaries come from the app's origin. */
const inBrowser = (): boolean => typeof location !== 'undefined' && /^https?:$/.test(location.protocol);

/**
 * tf.js 4.22's threaded WASM build starts 8 pthread workers from a blob: URL and has each load the
 * Emscripten glue from another blob: URL (importScripts), which the app's CSP (script-src 'self')
 * forbids. scripts/setup.d/15-tfjs-wasm.mjs serves both scripts from this origin instead, and inside
 * a worker (the model worker) `redirectPthreadWorkers` starts the pthread workers from there. On a
 * page (the lab's main thread), whose own workers use blob: URLs too, WASM stays single-threaded.
 */
const PTHREAD_WORKER_URL = `${WASM_BASE_URL}tfjs-backend-wasm-threaded-simd.worker.js`;

const inWorker = (): boolean =>
  typeof document === 'undefined' && typeof (globalThis as { importScripts?: unknown }).importScripts !== 'undefined';

/** Why WASM cannot run threads here (undefined: it may, where the browser allows). */
function wasmThreadsUnavailable(): string | undefined {
  if (!inBrowser()) return undefined;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true)
    return 'threads need a cross-origin isolated page (COOP and COEP headers)';
  if (!inWorker()) return 'threads only in the model worker';
  if (typeof Worker === 'undefined') return 'no nested workers in this browser';
  return undefined;
}

let pthreadsRedirected = false;

/** In this worker, `new Worker(blob:…)` (only tf.js's pthreads make those here) starts the same-origin copy. */
function redirectPthreadWorkers(): void {
  if (pthreadsRedirected) return;
  pthreadsRedirected = true;
  const Native = globalThis.Worker;
  class SameOriginPthreadWorker extends Native {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(String(url).startsWith('blob:') ? PTHREAD_WORKER_URL : url, options);
    }
  }
  globalThis.Worker = SameOriginPthreadWorker;
}

let wasmLoaded: Promise<void> | undefined;
let wasmThreadsNote: string | undefined;

/** Loads the WASM backend package (once), points it at the app's own copy of the binaries and adds the training kernels. */
function loadWasm(): Promise<void> {
  wasmLoaded ??= (async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the binaries load from node_modules; in a browser from this origin only.
    if (inBrowser()) {
      wasm.setWasmPaths(WASM_BASE_URL);
      wasmThreadsNote = wasmThreadsUnavailable();
      if (wasmThreadsNote) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      // tf.js then runs min(8, half the logical cores) threads: one on a 2-core machine.
      else redirectPthreadWorkers();
    }
    registerWasmTrainingKernels();
  })();
  return wasmLoaded;
}

async function registerBackend(backend: BackendName): Promise<void> {
  // The WebGPU and WASM backends are separate packages; load them only where they may be used.
  if (backend === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (backend === 'wasm') await loadWasm();
}

/** SIMD and threads of the running WASM backend, e.g. "SIMD, 2 threads". */
async function wasmDetail(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const threads = threaded ? wasm.getThreadsCount() : 1;
  let why = '';
  if (!threaded && wasmThreadsNote) why = `; one thread: ${wasmThreadsNote}`;
  else if (threaded && threads === 1) why = '; tf.js uses half the logical cores';
  return `${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}${why}`;
}

/**
 * Activates the first backend of `order` that initialises, e.g. in a worker before building the
 * networks. Throws only when none works (the CPU backend always does in practice).
 */
export async function selectBackend(order: readonly BackendName[] = BACKEND_ORDER, why?: string): Promise<BackendChoice> {
  const fallbacks: BackendFallback[] = [];
  for (const backend of order) {
    const unavailable = knownUnavailable(backend);
    if (unavailable !== undefined) {
      fallbacks.push({ backend, reason: unavailable });
      continue;
    }
    try {
      await registerBackend(backend);
      if (await tf.setBackend(backend)) {
        await tf.ready();
        const skipped = fallbacks.map((f) => `${BACKEND_LABELS[f.backend]}: ${f.reason}`).join('; ');
        const reason = [why, skipped && `skipped ${skipped}`].filter(Boolean).join('; ') || `first of the order ${order.join(' → ')}`;
        const detail = backend === 'wasm' ? await wasmDetail() : backend === 'webgpu' ? describeAdapter(await requestAdapter()) : undefined;
        return { backend, fallbacks, reason, detail };
      }
      fallbacks.push({ backend, reason: 'tf.setBackend returned false (initialisation failed)' });
    } catch (error) {
      fallbacks.push({ backend, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new Error(`No tf.js backend could start: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

/** The parts of a GPUAdapter (and its GPUAdapterInfo) the choice looks at. */
export interface AdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  /** Older Chromium put the flag on the adapter itself. */
  readonly isFallbackAdapter?: boolean;
}

async function requestAdapter(): Promise<AdapterLike | null> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<AdapterLike | null> } } }).navigator?.gpu;
  if (!gpu) return null;
  try {
    return await gpu.requestAdapter();
  } catch {
    return null;
  }
}

/** "google swiftshader …": the adapter's vendor, architecture, device and description. */
export function describeAdapter(adapter: AdapterLike | null | undefined): string | undefined {
  const info = adapter?.info;
  if (!info) return undefined;
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || undefined;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i;

export type AdapterKind = 'none' | 'software' | 'hardware' | 'unknown';

/** Software (flagged as the fallback adapter, or named as a CPU rasteriser), hardware (named), or unknown (no names). */
export function classifyAdapter(adapter: AdapterLike | null | undefined): { kind: AdapterKind; name?: string } {
  if (!adapter) return { kind: 'none' };
  const name = describeAdapter(adapter);
  if (adapter.info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return { kind: 'software', name };
  if (name && SOFTWARE_ADAPTER.test(name)) return { kind: 'software', name };
  // Browsers may blank the names for privacy: a name alone marks hardware only with a vendor.
  if (adapter.info?.vendor) return { kind: 'hardware', name };
  return { kind: 'unknown', name };
}

/** What the automatic choice does for an adapter: an order, a reason, and whether to measure first. */
export interface BackendPlan {
  readonly order: BackendName[];
  readonly reason: string;
  /** Time a probe convolution on these, fastest first, before choosing. */
  readonly measure?: readonly BackendName[];
}

export function planBackends(adapter: { kind: AdapterKind; name?: string }, webgpuMissing?: string): BackendPlan {
  const named = adapter.name ? ` (${adapter.name})` : '';
  switch (adapter.kind) {
    case 'hardware':
      return { order: [...BACKEND_ORDER], reason: `WebGPU on a hardware adapter${named}` };
    case 'software':
      return {
        order: orderWithFirst('wasm'),
        reason: `the WebGPU adapter${named} is a software rasteriser on the CPU; WASM runs the same convolutions on the CPU directly, many times faster`,
      };
    case 'none':
      return {
        order: orderWithFirst('wasm'),
        reason: `WebGPU is not available here (${webgpuMissing ?? 'no adapter'}), so the CPU runs the model through WASM`,
      };
    default:
      return {
        order: [...BACKEND_ORDER],
        reason: `the WebGPU adapter${named} does not say whether it is hardware`,
        measure: ['webgpu', 'wasm'],
      };
  }
}

/** ms of one 3×3 convolution, 64 × 64 × 32 → 32, on the active backend (median of a few, after a warm-up). */
async function probeConvolution(budgetMs: number): Promise<number> {
  const x = tf.randomUniform([1, 64, 64, 32], -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 32, 32], -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
  try {
    const run = async () => {
      const start = performance.now();
      const y = tf.conv2d(x, w, 1, 'same');
      await y.data();
      y.dispose();
      return performance.now() - start;
    };
    const first = await run();
    const times: number[] = [];
    for (let i = 0; i < 3 && first + times.reduce((a, b) => a + b, 0) < budgetMs; i++) times.push(await run());
    if (times.length === 0) return first;
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    tf.dispose([x, w]);
  }
}

/**
 * The automatic choice: WebGPU on a hardware adapter, WASM on a software adapter or none, and a
 * short measurement (under a second) where the adapter does not say. The reason says which applied.
 */
export async function chooseBackend(): Promise<BackendChoice> {
  const missing = knownUnavailable('webgpu');
  const adapter = missing ? null : await requestAdapter();
  const plan = planBackends(classifyAdapter(adapter), missing ?? 'requestAdapter() gave no adapter');
  if (!plan.measure) return selectBackend(plan.order, plan.reason);
  const measured: Partial<Record<BackendName, number>> = {};
  for (const backend of plan.measure) {
    try {
      await registerBackend(backend);
      if (!(await tf.setBackend(backend))) continue;
      await tf.ready();
      measured[backend] = await probeConvolution(400);
    } catch {
      // Not measurable here: selectBackend below says why if it matters.
    }
  }
  const ranked = plan.measure.filter((b) => measured[b] !== undefined).sort((a, b) => measured[a]! - measured[b]!);
  if (ranked.length === 0) return selectBackend(plan.order, plan.reason);
  const [best, next] = ranked;
  const ms = (b: BackendName) => `${BACKEND_LABELS[b]} ${measured[b]!.toFixed(1)} ms`;
  const factor = next ? ` (${(measured[next]! / Math.max(measured[best]!, 0.01)).toFixed(1)}× faster)` : '';
  const reason = `${plan.reason}: measured a probe convolution, ${ranked.map(ms).join(', ')}; ${BACKEND_LABELS[best]} runs${factor}`;
  const choice = await selectBackend(orderWithFirst(best), reason);
  return { ...choice, measured };
}

/** One line for logs and the UI, e.g. "webgl (webgpu: navigator.gpu is not available …)". */
export function describeBackendChoice(choice: BackendChoice): string {
  if (choice.fallbacks.length === 0) return choice.backend;
  return `${choice.backend} (${choice.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')})`;
}

/** Why the GPU went away under the active backend. */
export interface DeviceLoss {
  /** GPUDeviceLostInfo.reason ('unknown', or 'destroyed' when simulated), or 'webgl-context-lost'. */
  readonly reason: string;
  readonly message: string;
  /** Caused by DeviceLossWatch.simulate (tests), not by the browser or the driver. */
  readonly simulated: boolean;
}

export interface DeviceLossWatch {
  /**
   * Loses the device on purpose, as tests need: destroys the WebGPU device (whose loss then says
   * 'destroyed', reported here as a real loss) or loses the WebGL context. False on the CPU.
   */
  simulate(): boolean;
}

interface GpuDeviceLike {
  readonly lost: Promise<{ reason?: string; message?: string }>;
  destroy(): void;
}

/**
 * Watches the active backend's GPU: calls `onLost` once when the WebGPU device is lost (for any
 * reason but our own destroy(), unless simulated) or the WebGL context is. Nothing to watch on the CPU.
 */
export function watchDeviceLoss(onLost: (loss: DeviceLoss) => void): DeviceLossWatch {
  const name = tf.getBackend();
  let simulated = false;
  let reported = false;
  const report = (loss: Omit<DeviceLoss, 'simulated'>) => {
    if (reported) return;
    reported = true;
    onLost({ ...loss, simulated });
  };
  if (name === 'webgpu') {
    const device = (tf.backend() as unknown as { device?: GpuDeviceLike }).device;
    if (!device) return { simulate: () => false };
    void device.lost.then((info) => {
      const reason = info.reason ?? 'unknown';
      if (reason === 'destroyed' && !simulated) return;
      report({ reason, message: info.message || `the WebGPU device was lost (${reason})` });
    });
    return {
      simulate() {
        simulated = true;
        device.destroy();
        return true;
      },
    };
  }
  if (name === 'webgl') {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
    if (!gl) return { simulate: () => false };
    gl.canvas.addEventListener('webglcontextlost', () => report({ reason: 'webgl-context-lost', message: 'the WebGL context was lost' }));
    return {
      simulate() {
        const lose = gl.getExtension('WEBGL_lose_context');
        if (!lose) return false;
        simulated = true;
        lose.loseContext();
        return true;
      },
    };
  }
  return { simulate: () => false };
}
