// The fine-tuning loop around a tuner's steps: run `steps` steps one after another, report each
// one, adopt the tuned weights (an adoption may be declined: held-out photos said they are worse)
// and render a preview every `previewEvery` steps (and at the last),
// export a checkpoint with such a preview at most every `checkpointEveryMs` and once at the end,
// and pause, resume or stop between steps when told (FineTuneControl). Pure: the step, the adoption,
// the preview, the export, the clock and the pause between steps are injected, so Node tests drive
// it with fakes; the model worker (workers/avatar.worker.ts) wires it to the AvatarSession.

/** One step's result, as the tuner reports it (`step` counts from 1). */
export interface FineTuneStepResult {
  step: number;
  lossG: number;
  lossD: number;
}

export interface FineTuneLoopProgress<Preview, Checkpoint> {
  step: number;
  steps: number;
  lossG: number;
  lossD: number;
  /** ms since the loop started, when the step ended. */
  elapsedMs: number;
  preview?: Preview;
  checkpoint?: Checkpoint;
  /** The step whose weights the avatar shows (undefined: none of this run's, every adoption so far declined). */
  adoptedStep?: number;
}

export interface FineTuneLoopResult<Checkpoint> {
  stepsDone: number;
  /** True when stop() ended the loop before `steps`. */
  stopped: boolean;
  elapsedMs: number;
  /** The weights as finally adopted; only when checkpoints are on. */
  checkpoint?: Checkpoint;
  /** The step whose weights the avatar ends with (undefined: every adoption declined). */
  adoptedStep?: number;
}

export interface FineTuneLoopOptions<Preview, Checkpoint> {
  steps: number;
  /** Runs one step; never called while the previous one runs. */
  step(): Promise<FineTuneStepResult>;
  /**
   * Makes the tuned weights the avatar's (before a preview and at the end). It may decline, by
   * returning (or resolving) false: the avatar then keeps what it had (AvatarSession.adoptFineTuned).
   */
  adopt(): void | boolean | Promise<void | boolean>;
  /** Renders a preview with the adopted weights; no previews (and no adoption before the end) when absent. */
  preview?(): Promise<Preview>;
  /** Preview every this many steps, and at the last step. */
  previewEvery: number;
  /** Exports the adopted weights. */
  checkpoint(): Promise<Checkpoint>;
  /** Checkpoints with a preview at most this often (ms), and one at the end; none when absent. */
  checkpointEveryMs?: number;
  report(progress: FineTuneLoopProgress<Preview, Checkpoint>): void;
  /** ms. */
  clock(): number;
  /** Awaited after each step, so pause and stop requests get in (default: the next macrotask). */
  between?(): Promise<void>;
  /** Aborts: the loop rejects with the signal's reason after the current step, without adopting. */
  signal?: AbortSignal;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Pause, resume and stop requests for a running loop (a loop that is not running ignores them). */
export class FineTuneControl {
  private stopRequested = false;
  private pauseRequested = false;
  private wake: (() => void) | undefined;

  get paused(): boolean {
    return this.pauseRequested;
  }

  get stopped(): boolean {
    return this.stopRequested;
  }

  /** Holds the loop before its next step. */
  pause(): void {
    this.pauseRequested = true;
  }

  resume(): void {
    this.pauseRequested = false;
    this.wakeUp();
  }

  /** Ends the loop after the current step (a paused loop ends at once); the weights of that step are kept. */
  stop(): void {
    this.stopRequested = true;
    this.pauseRequested = false;
    this.wakeUp();
  }

  /** Resolves on the next resume, stop or abort. */
  waitForResume(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      signal?.addEventListener('abort', done);
    });
  }

  private wakeUp(): void {
    this.wake?.();
  }
}

/** Runs the loop until `steps`, stop, abort or an error; a rejected step or export rejects the loop. */
export async function runFineTuneLoop<Preview, Checkpoint>(
  options: FineTuneLoopOptions<Preview, Checkpoint>,
  control: FineTuneControl = new FineTuneControl(),
): Promise<FineTuneLoopResult<Checkpoint>> {
  const { steps, signal } = options;
  const between = options.between ?? nextTask;
  const start = options.clock();
  let lastCheckpoint = -Infinity;
  let step = 0;
  let adoptedStep: number | undefined;
  const adopt = async () => {
    if ((await options.adopt()) !== false) adoptedStep = step;
  };
  while (step < steps && !control.stopped) {
    signal?.throwIfAborted();
    if (control.paused) {
      await control.waitForResume(signal);
      continue;
    }
    const result = await options.step();
    signal?.throwIfAborted();
    step = result.step;
    const progress: FineTuneLoopProgress<Preview, Checkpoint> = {
      step,
      steps,
      lossG: result.lossG,
      lossD: result.lossD,
      elapsedMs: options.clock() - start,
    };
    if (options.preview && (step % options.previewEvery === 0 || step === steps)) {
      await adopt();
      progress.adoptedStep = adoptedStep;
      progress.preview = await options.preview();
      if (options.checkpointEveryMs !== undefined && options.clock() - lastCheckpoint >= options.checkpointEveryMs) {
        progress.checkpoint = await options.checkpoint();
        lastCheckpoint = options.clock();
      }
    }
    options.report(progress);
    await between();
  }
  signal?.throwIfAborted();
  await adopt();
  const checkpoint = options.checkpointEveryMs !== undefined ? await options.checkpoint() : undefined;
  return { stepsDone: step, stopped: control.stopped, elapsedMs: options.clock() - start, checkpoint, adoptedStep };
}
