// The render loop with a fake clock, fake animation frames and timers, and renders that finish when
// the test says: 'display' captures every frame and drops the ones that arrive while a render runs
// (latest-only, latency from capture); { fps } plays every frame in order, never faster than its
// rate; errors go on or stop the loop; stop hides a render in flight.
import { describe, expect, it } from 'vitest';
import type { LatestOnlyStats } from './latest-only.ts';
import { startRenderLoop, type RenderLoopOptions } from './render-loop.ts';

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Fake time, animation frames, timers and renderer; `frames` records what was shown. */
function harness(overrides: Partial<RenderLoopOptions<number, string>> = {}) {
  let clock = 0;
  const animation: (() => void)[] = [];
  const timers: { at: number; tick: () => void }[] = [];
  const pending: { job: number; resolve: (r: string) => void; reject: (e: unknown) => void }[] = [];
  const frames: { job: number; result: string; latencyMs: number; stats: LatestOnlyStats }[] = [];
  const errors: unknown[] = [];
  let source = 0;
  const options: RenderLoopOptions<number, string> = {
    capture: () => ++source,
    render: (job) => new Promise<string>((resolve, reject) => pending.push({ job, resolve, reject })),
    onFrame: ({ job, result, latencyMs }, stats) => frames.push({ job, result, latencyMs, stats }),
    onError: (error) => {
      errors.push(error);
      return true;
    },
    now: () => clock,
    requestFrame: (tick) => void animation.push(tick),
    setTimer: (tick, ms) => void timers.push({ at: clock + ms, tick }),
    ...overrides,
  };
  return {
    options,
    pending,
    frames,
    errors,
    timers,
    /** Runs the pending animation frame `ms` later. */
    animationFrame(ms = 16) {
      clock += ms;
      const ticks = animation.splice(0);
      for (const tick of ticks) tick();
      return ticks.length;
    },
    /** Advances the clock by `ms` and runs the timers due. */
    advance(ms: number) {
      clock += ms;
      const due = timers.filter((t) => t.at <= clock);
      for (const t of due) timers.splice(timers.indexOf(t), 1);
      for (const t of due) t.tick();
    },
    async finish(index: number, result = `frame ${pending[index].job}`) {
      pending[index].resolve(result);
      await flush();
    },
  };
}

describe("startRenderLoop, 'display' pace", () => {
  it('captures on every animation frame and renders only the newest while busy', async () => {
    const h = harness();
    startRenderLoop(h.options);
    h.animationFrame(); // capture 1 at t = 16: renders at once
    h.animationFrame(); // 2 waits
    h.animationFrame(); // 3 replaces 2
    expect(h.pending.map((p) => p.job)).toEqual([1]);
    await h.finish(0);
    expect(h.pending.map((p) => p.job)).toEqual([1, 3]); // 2 was dropped, never queued
    h.animationFrame(); // 4 waits
    await h.finish(1);
    expect(h.frames.map((f) => [f.job, f.latencyMs])).toEqual([
      [1, 32],
      [3, 16],
    ]);
    expect(h.frames[1].stats).toMatchObject({ completed: 2, dropped: 1, fps: 2 });
    expect(h.pending.map((p) => p.job)).toEqual([1, 3, 4]);
  });

  it('skips frames with nothing new and keeps going', () => {
    let n = 0;
    const h = harness({ capture: () => (++n % 2 === 0 ? n : undefined) });
    startRenderLoop(h.options);
    for (let i = 0; i < 4; i++) expect(h.animationFrame()).toBe(1);
    expect(h.pending.map((p) => p.job)).toEqual([2]);
  });

  it('goes on after an error its owner accepts, and stops after one it does not', async () => {
    let fail: Error | undefined;
    const h = harness({
      capture: (now) => {
        if (fail) throw fail;
        return now;
      },
      onError: (error) => (error as Error).message === 'no face',
    });
    const loop = startRenderLoop(h.options);
    fail = new Error('no face');
    h.animationFrame();
    expect(loop.stopped).toBe(false);
    fail = undefined;
    h.animationFrame();
    expect(h.pending).toHaveLength(1);
    h.pending[0].reject(new Error('no face'));
    await flush();
    expect(loop.stopped).toBe(false);
    h.animationFrame();
    h.pending[1].reject(new Error('worker gone'));
    await flush();
    expect(loop.stopped).toBe(true);
    expect(h.animationFrame()).toBe(1); // the frame requested before the error runs, and asks for no other
    expect(h.animationFrame()).toBe(0);
  });

  it('stops: no more captures, and a render in flight is not shown', async () => {
    const h = harness();
    const loop = startRenderLoop(h.options);
    h.animationFrame();
    loop.stop();
    await h.finish(0);
    expect(h.frames).toEqual([]);
    expect(h.animationFrame()).toBe(1);
    expect(h.animationFrame()).toBe(0);
    expect(h.pending).toHaveLength(1);
  });
});

describe('startRenderLoop, { fps } pace', () => {
  it('plays every frame in order, never faster than the frame rate', async () => {
    const h = harness({ pace: { fps: 25 } }); // 40 ms a frame
    startRenderLoop(h.options);
    expect(h.pending.map((p) => p.job)).toEqual([1]); // the first frame at once
    await h.finish(0, 'a'); // a fast render: the next frame waits for the period
    expect(h.pending).toHaveLength(1);
    h.advance(39);
    expect(h.pending).toHaveLength(1);
    h.advance(1);
    expect(h.pending.map((p) => p.job)).toEqual([1, 2]);
    h.advance(100); // a slow render: no frame is captured (or dropped) meanwhile
    expect(h.timers).toEqual([]);
    await h.finish(1, 'b');
    expect(h.pending.map((p) => p.job)).toEqual([1, 2, 3]); // at once, the period having passed
    expect(h.frames.map((f) => [f.job, f.result, f.latencyMs])).toEqual([
      [1, 'a', 0],
      [2, 'b', 100],
    ]);
    expect(h.frames[1].stats.dropped).toBe(0);
  });

  it('retries after the period when there is nothing to capture', () => {
    let ready = false;
    const h = harness({ pace: { fps: 10 }, capture: () => (ready ? 7 : undefined) });
    startRenderLoop(h.options);
    expect(h.pending).toHaveLength(0);
    ready = true;
    h.advance(100);
    expect(h.pending.map((p) => p.job)).toEqual([7]);
  });

  it('stops on a render error its owner does not accept', async () => {
    const h = harness({ pace: { fps: 50 }, onError: () => false });
    const loop = startRenderLoop(h.options);
    h.pending[0].reject(new Error('lost'));
    await flush();
    expect(loop.stopped).toBe(true);
    h.advance(1000);
    expect(h.pending).toHaveLength(1);
  });

  it('goes on after a render error its owner accepts', async () => {
    const h = harness({ pace: { fps: 50 } });
    startRenderLoop(h.options);
    h.pending[0].reject(new Error('glitch'));
    await flush();
    h.advance(20);
    expect(h.errors).toHaveLength(1);
    expect(h.pending.map((p) => p.job)).toEqual([1, 2]);
  });
});
