// The driving scheduler: idle → runs at once; busy → keeps only the newest job; latency from capture.
import { describe, expect, it } from 'vitest';
import { LatestOnly, type Finished } from './latest-only.ts';

/** A renderer whose runs finish when the test says so. */
function manualRunner() {
  const pending: { job: number; resolve: (r: string) => void; reject: (e: unknown) => void }[] = [];
  const run = (job: number) => new Promise<string>((resolve, reject) => pending.push({ job, resolve, reject }));
  return { pending, run };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('LatestOnly', () => {
  it('runs a job at once when idle, and the newest waiting one when the run ends, dropping the others', async () => {
    let clock = 0;
    const { pending, run } = manualRunner();
    const results: Finished<number, string>[] = [];
    const stage = new LatestOnly(
      run,
      (f) => results.push(f),
      () => {},
      () => clock,
    );
    stage.offer(1, 0);
    expect(pending.map((p) => p.job)).toEqual([1]);
    expect(stage.running).toBe(true);
    stage.offer(2, 10);
    stage.offer(3, 20); // replaces 2
    stage.offer(4, 30); // replaces 3
    expect(pending).toHaveLength(1); // nothing queued behind the running job
    clock = 50;
    pending[0].resolve('one');
    await flush();
    expect(results.map((r) => [r.job, r.result, r.latencyMs])).toEqual([[1, 'one', 50]]);
    expect(pending.map((p) => p.job)).toEqual([1, 4]); // the newest started at once
    clock = 90;
    pending[1].resolve('four');
    await flush();
    expect(results.map((r) => [r.job, r.latencyMs])).toEqual([
      [1, 50],
      [4, 60],
    ]);
    expect(stage.running).toBe(false);
    expect(stage.stats()).toEqual({ fps: 2, latencyMs: 55, dropped: 2, completed: 2 });
  });

  it('counts the frame rate and latency over the last second only', async () => {
    let clock = 0;
    const { pending, run } = manualRunner();
    const stage = new LatestOnly(
      run,
      () => {},
      () => {},
      () => clock,
    );
    for (let i = 0; i < 3; i++) {
      stage.offer(i, clock);
      clock += 100;
      pending[i].resolve('x');
      await flush();
    }
    expect(stage.stats().fps).toBe(3);
    expect(stage.stats().latencyMs).toBe(100);
    clock += 2000;
    expect(stage.stats().fps).toBe(0);
    expect(stage.stats().completed).toBe(3);
  });

  it('reports an error and carries on with the waiting job', async () => {
    const { pending, run } = manualRunner();
    const errors: unknown[] = [];
    const stage = new LatestOnly(
      run,
      () => {},
      (e) => errors.push(e),
      () => 0,
    );
    stage.offer(1);
    stage.offer(2);
    pending[0].reject(new Error('no face'));
    await flush();
    expect(errors).toHaveLength(1);
    expect(pending.map((p) => p.job)).toEqual([1, 2]);
  });

  it('does nothing once stopped, not even report the run in flight', async () => {
    const { pending, run } = manualRunner();
    const results: unknown[] = [];
    const stage = new LatestOnly(
      run,
      (f) => results.push(f),
      () => {},
      () => 0,
    );
    stage.offer(1);
    stage.offer(2);
    stage.stop();
    pending[0].resolve('late');
    await flush();
    stage.offer(3);
    expect(results).toEqual([]);
    expect(pending).toHaveLength(1);
  });
});
