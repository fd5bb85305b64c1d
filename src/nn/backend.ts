// Picks the fastest tf.js backend this runtime offers: WebGPU, then WebGL, then the CPU, and says
// why each faster one was skipped so the UI can tell users why rendering is slow.
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'webgpu' | 'webgl' | 'cpu';

export interface BackendFallback {
  readonly backend: BackendName;
  readonly reason: string;
}

export interface BackendChoice {
  readonly backend: BackendName;
  /** The backends tried before the chosen one, in order, with why each failed. */
  readonly fallbacks: readonly BackendFallback[];
}

export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'cpu'];

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
  return undefined;
}

async function registerBackend(backend: BackendName): Promise<void> {
  // The WebGPU backend is a separate package; load it only where WebGPU may be used.
  if (backend === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
}

/**
 * Activates the first backend of `order` that initialises, e.g. in a worker before building the
 * networks. Throws only when none works (the CPU backend always does in practice).
 */
export async function selectBackend(order: readonly BackendName[] = BACKEND_ORDER): Promise<BackendChoice> {
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
        return { backend, fallbacks };
      }
      fallbacks.push({ backend, reason: 'tf.setBackend returned false (initialisation failed)' });
    } catch (error) {
      fallbacks.push({ backend, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new Error(`No tf.js backend could start: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
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
