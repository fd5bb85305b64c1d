// The fine-tuning loop with fake steps and a fake clock: steps and reports, previews and adoption,
// checkpoint cadence, pause, resume, stop (also while paused), abort, and errors of a step or export.
import { describe, expect, it } from 'vitest';
import { FineTuneControl, runFineTuneLoop, type FineTuneLoopOptions, type FineTuneLoopProgress } from './fine-tune-loop.ts';

type Progress = FineTuneLoopProgress<string, string>;

/** A fake tuner: each step advances the clock by `stepMs`; the log records what the loop did, in order. */
function fake(overrides: Partial<FineTuneLoopOptions<string, string>> = {}, stepMs = 100) {
  let clock = 0;
  let done = 0;
  let adopted = 0;
  const log: string[] = [];
  const reports: Progress[] = [];
  const options: FineTuneLoopOptions<string, string> = {
    steps: 6,
    previewEvery: 2,
    step: async () => {
      clock += stepMs;
      done++;
      log.push(`step ${done}`);
      return { step: done, lossG: done, lossD: -done };
    },
    adopt: () => {
      adopted = done;
      log.push(`adopt ${done}`);
    },
    preview: async () => `preview ${adopted}`,
    checkpoint: async () => {
      log.push(`checkpoint ${adopted}`);
      return `weights ${adopted}`;
    },
    report: (p) => reports.push(p),
    clock: () => clock,
    between: () => Promise.resolve(),
    ...overrides,
  };
  return { options, log, reports, advance: (ms: number) => (clock += ms) };
}

/** Resolves once `check` holds, polling between macrotasks. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(check()).toBe(true);
}

describe('runFineTuneLoop', () => {
  it('runs every step, reports each, previews every previewEvery steps and at the last', async () => {
    const { options, reports, log } = fake({ steps: 5 });
    const result = await runFineTuneLoop(options);
    expect(reports.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    expect(reports.map((r) => r.preview)).toEqual([undefined, 'preview 2', undefined, 'preview 4', 'preview 5']);
    expect(reports[2]).toEqual({ step: 3, steps: 5, lossG: 3, lossD: -3, elapsedMs: 300 });
    expect(result).toEqual({ stepsDone: 5, stopped: false, elapsedMs: 500, checkpoint: undefined, adoptedStep: 5 });
    expect(log.filter((l) => l.startsWith('adopt'))).toEqual(['adopt 2', 'adopt 4', 'adopt 5', 'adopt 5']);
    expect(log.some((l) => l.startsWith('checkpoint'))).toBe(false); // checkpoints off
  });

  it('reports which step the avatar shows when adoptions are declined (held-out photos said no)', async () => {
    let calls = 0;
    // Adopts at the first preview (step 2), declines at steps 4 and 6 and at the end.
    const { options, reports } = fake({ adopt: async () => ++calls === 1 });
    const result = await runFineTuneLoop(options);
    expect(reports.filter((r) => r.preview).map((r) => [r.step, r.adoptedStep])).toEqual([
      [2, 2],
      [4, 2],
      [6, 2],
    ]);
    expect(result.adoptedStep).toBe(2);
    const never = fake({ adopt: () => false });
    expect((await runFineTuneLoop(never.options)).adoptedStep).toBeUndefined();
  });

  it('without a preview adopts only at the end', async () => {
    const { options, reports, log } = fake({ preview: undefined });
    await runFineTuneLoop(options);
    expect(reports.every((r) => r.preview === undefined)).toBe(true);
    expect(log.filter((l) => l.startsWith('adopt'))).toEqual(['adopt 6']);
  });

  it('checkpoints with a preview at most every checkpointEveryMs, and once at the end', async () => {
    const { options, reports } = fake({ steps: 12, previewEvery: 1, checkpointEveryMs: 350 });
    const result = await runFineTuneLoop(options);
    // Previews at every step (100 ms apart): the first one checkpoints, then every 4th (≥ 350 ms later).
    expect(reports.filter((r) => r.checkpoint).map((r) => r.step)).toEqual([1, 5, 9]);
    expect(reports.find((r) => r.step === 5)?.checkpoint).toBe('weights 5');
    expect(result.checkpoint).toBe('weights 12');
  });

  it('checkpoints only at previews: none in between however long a step takes', async () => {
    const { options, reports } = fake({ steps: 6, previewEvery: 3, checkpointEveryMs: 0 }, 10_000);
    await runFineTuneLoop(options);
    expect(reports.filter((r) => r.checkpoint).map((r) => r.step)).toEqual([3, 6]);
  });

  it('pauses between steps and goes on where it stopped on resume', async () => {
    const control = new FineTuneControl();
    let steps = 0;
    const { options, reports } = fake({
      steps: 4,
      report: (p) => {
        reports.push(p);
        if (p.step === 2) control.pause();
      },
      step: async () => ({ step: ++steps, lossG: 0, lossD: 0 }),
    });
    const running = runFineTuneLoop(options, control);
    await until(() => reports.length === 2);
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
    expect(steps).toBe(2); // held while paused
    expect(control.paused).toBe(true);
    control.resume();
    const result = await running;
    expect(result).toMatchObject({ stepsDone: 4, stopped: false });
    expect(reports.map((r) => r.step)).toEqual([1, 2, 3, 4]);
  });

  it('stops after the current step, adopting and exporting that step', async () => {
    const control = new FineTuneControl();
    const { options, log } = fake({
      steps: 100,
      checkpointEveryMs: 10_000,
      report: (p) => {
        if (p.step === 3) control.stop();
      },
    });
    const result = await runFineTuneLoop(options, control);
    expect(result).toEqual({ stepsDone: 3, stopped: true, elapsedMs: 300, checkpoint: 'weights 3', adoptedStep: 3 });
    expect(log.slice(-2)).toEqual(['adopt 3', 'checkpoint 3']);
  });

  it('stops at once when stopped while paused', async () => {
    const control = new FineTuneControl();
    const { options, reports } = fake({
      steps: 10,
      report: (p) => {
        reports.push(p);
        if (p.step === 1) control.pause();
      },
    });
    const running = runFineTuneLoop(options, control);
    await until(() => reports.length === 1);
    control.stop();
    expect(await running).toMatchObject({ stepsDone: 1, stopped: true });
    expect(control.paused).toBe(false);
  });

  it('rejects with the abort reason, without adopting or exporting, also while paused', async () => {
    const aborter = new AbortController();
    const { options, log, reports } = fake({
      steps: 10,
      checkpointEveryMs: 0,
      preview: undefined,
      signal: aborter.signal,
      report: (p) => {
        reports.push(p);
        if (p.step === 2) aborter.abort(new Error('page closed'));
      },
    });
    await expect(runFineTuneLoop(options)).rejects.toThrow('page closed');
    expect(reports.map((r) => r.step)).toEqual([1, 2]);
    expect(log.some((l) => l.startsWith('adopt') || l.startsWith('checkpoint'))).toBe(false);

    const paused = new AbortController();
    const control = new FineTuneControl();
    const second = fake({ signal: paused.signal, report: () => control.pause() });
    const running = runFineTuneLoop(second.options, control);
    await until(() => control.paused);
    paused.abort(new Error('gone'));
    await expect(running).rejects.toThrow('gone');
  });

  it('passes on the error of a step or an export', async () => {
    const failing = fake({
      step: async () => {
        throw new Error('out of memory');
      },
    });
    await expect(runFineTuneLoop(failing.options)).rejects.toThrow('out of memory');
    expect(failing.reports).toEqual([]);

    const exportFails = fake({
      steps: 2,
      checkpointEveryMs: 0,
      checkpoint: async () => {
        throw new Error('encode failed');
      },
    });
    await expect(runFineTuneLoop(exportFails.options)).rejects.toThrow('encode failed');
    expect(exportFails.reports.map((r) => r.step)).toEqual([1]); // step 2's preview export failed before its report
  });

  it('gives the pause, resume and stop requests room between steps', async () => {
    const control = new FineTuneControl();
    let between = 0;
    const { options } = fake({
      steps: 3,
      between: async () => {
        between++;
        if (between === 1) control.stop();
      },
    });
    expect(await runFineTuneLoop(options, control)).toMatchObject({ stepsDone: 1, stopped: true });
  });
});
