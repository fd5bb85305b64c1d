// What the UI tells users about the model worker: which backend runs and why, how a worker died,
// how its restart went, and the error of a call that a dead worker could not finish. Wording only:
// the supervision itself is workers/worker-supervisor.ts, the avatar's client model-client.ts.
import { BACKEND_LABELS, type BackendName } from '../nn/backend.ts';
import type { FineTuneSummary, ModelInfo } from '../workers/avatar-protocol.ts';
import { errorText, type WorkerDeath } from '../workers/worker-supervisor.ts';

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

/** How a worker died, as the UI explains it. */
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

/** A call interrupted by a death; the model has been restarted. */
export function restartedError(death: WorkerDeath): ModelWorkerRestartedError {
  return new ModelWorkerRestartedError(death, `${describeDeath(death)}. The model has been restarted: try again.`);
}

/** A call made after the client stopped restarting (a crash loop). */
export function gaveUpError(death: WorkerDeath): ModelWorkerRestartedError {
  return new ModelWorkerRestartedError(
    death,
    `${describeDeath(death)}, and it kept failing, so it was not restarted again. Reload the page.`,
  );
}

/** createAvatar interrupted by a death. */
export function createAvatarInterruptedError(death: WorkerDeath): ModelWorkerRestartedError {
  return new ModelWorkerRestartedError(
    death,
    `${describeDeath(death)} while the avatar was being made. The model has been restarted: try again.`,
  );
}

/** A fine-tune interrupted by a death at `step`; `keptStep`: the step whose weights the avatar keeps. */
export function fineTuneInterruptedError(death: WorkerDeath, step: number, keptStep: number | undefined): ModelWorkerRestartedError {
  return new ModelWorkerRestartedError(
    death,
    `Fine-tuning was interrupted at step ${step}: ${describeDeath(death)}. ` +
      (keptStep !== undefined
        ? `The avatar keeps its fine-tuned state from step ${keptStep}.`
        : 'The avatar keeps its state from before this fine-tuning.') +
      ' The model has been restarted; press Fine-tune to train again.',
    { step, keptStep },
  );
}

/** Status while a fresh worker replaces a dead one. */
export function recoveringText(death: WorkerDeath, hasAvatar: boolean): string {
  return `${describeDeath(death)}. Restarting the model${hasAvatar ? ' and restoring your avatar' : ''}…`;
}

/** Status once the fresh worker serves: on which backend, what became of the avatar, and a fallback after device losses. */
export function recoveredText(
  death: WorkerDeath,
  backend: BackendName,
  restored: 'avatar' | 'nothing' | 'failed',
  fallback: { fellBack: boolean; deviceLosses: number },
): string {
  const on = BACKEND_LABELS[backend];
  let text = `${describeDeath(death)}. The model was restarted on ${on}`;
  if (restored === 'avatar') text += ' and your avatar restored: nothing was lost.';
  else if (restored === 'failed') text += ', but the avatar could not be restored: create it again.';
  else text += '.';
  if (fallback.fellBack)
    text += ` The GPU device was lost ${fallback.deviceLosses} times, so the model now runs on ${on} instead of WebGPU, which is slower.`;
  return text;
}

/** Status after a crash loop: `deaths` deaths in a row, no further restart. */
export function crashLoopText(death: WorkerDeath, deaths: number): string {
  return `${describeDeath(death)}. It failed ${deaths} times in a row, so it was not restarted again: reload the page (saved avatars are kept), or press Create avatar to try once more.`;
}

/** Status when the replacement worker could not load. */
export function restartFailedText(death: WorkerDeath, error: unknown): string {
  return `${describeDeath(death)}, and the model could not be restarted (${errorText(error)}). Reload the page; saved avatars are kept.`;
}

/**
 * What the photos held out of fine-tuning decided (FineTuneSummary.validation), in one sentence;
 * null when none were held out (fewer than nn/finetune-validation.ts's VALIDATION_MIN_PHOTOS).
 */
export function fineTuneOutcome(summary: Pick<FineTuneSummary, 'validation' | 'stepsDone'>): string | null {
  const v = summary.validation;
  if (!v || summary.stepsDone === 0) return null;
  const held = v.photos === 1 ? 'the photo' : `the ${v.photos} photos`;
  // One decimal below 10%, so a declined fall of 0.6% never reads as the 1% margin it fell short of.
  const percent = (to: number) => {
    const change = (100 * Math.abs(to - v.before)) / v.before;
    if (change < 0.05) return 'less than 0.1%';
    return change < 9.95 ? `${change.toFixed(1)}%` : `${Math.round(change)}%`;
  };
  if (v.adopted) return `Fine-tuned: on ${held} held out to check it, the avatar's error fell by ${percent(v.kept)}.`;
  const change =
    v.last > v.before
      ? `error up ${percent(v.last)}`
      : v.last < v.before
        ? `error down ${percent(v.last)}, short of the ${Math.round(100 * v.margin)}% that tells a real gain from chance`
        : 'error unchanged';
  return (
    `The avatar was kept as it was: fine-tuning did not clearly improve ${held} held out to check it ` +
    `(${change}). Photos from other occasions, or a longer preset, may help.`
  );
}
