// The driving loop's scheduler: a stage that takes one job at a time and, while it is busy, keeps
// only the newest job that arrives (older ones are dropped, never queued). The landmark detector
// (main thread) feeds it camera frames as they come; the renderer (the model worker) takes the
// latest when it is free. So detection of frame n + 1 overlaps rendering of frame n, a slow
// renderer lowers the frame rate instead of adding latency, and each result carries the time from
// its camera frame to its avatar frame. Pure logic: driving.ts wires it to the detector and worker.

export interface Finished<J, R> {
  readonly job: J;
  readonly result: R;
  /** ms from the job's capture time to the end of its run. */
  readonly latencyMs: number;
}

export interface LatestOnlyStats {
  /** Results per second over the last second. */
  readonly fps: number;
  /** Mean latency (capture → result) over the last second's results, ms. */
  readonly latencyMs: number;
  /** Jobs replaced by a newer one before they ran. */
  readonly dropped: number;
  readonly completed: number;
}

export class LatestOnly<J, R> {
  private busy = false;
  private waiting: { job: J; captured: number } | undefined;
  private recent: { at: number; latency: number }[] = [];
  private droppedCount = 0;
  private completedCount = 0;
  private stopped = false;

  constructor(
    private readonly run: (job: J) => Promise<R>,
    private readonly onResult: (finished: Finished<J, R>) => void,
    private readonly onError: (error: unknown, job: J) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Offers a job captured at `captured` (ms, same clock as `now`): runs it now if idle, else keeps it as the next one. */
  offer(job: J, captured: number = this.now()): void {
    if (this.stopped) return;
    if (!this.busy) {
      this.start(job, captured);
      return;
    }
    if (this.waiting) this.droppedCount++;
    this.waiting = { job, captured };
  }

  /** True while a job runs (a caller may skip detecting frames that could only be dropped). */
  get running(): boolean {
    return this.busy;
  }

  stop(): void {
    this.stopped = true;
    this.waiting = undefined;
  }

  stats(): LatestOnlyStats {
    this.trim();
    const latency = this.recent.length ? this.recent.reduce((sum, r) => sum + r.latency, 0) / this.recent.length : 0;
    return { fps: this.recent.length, latencyMs: latency, dropped: this.droppedCount, completed: this.completedCount };
  }

  private trim(): void {
    const since = this.now() - 1000;
    while (this.recent.length > 0 && this.recent[0].at < since) this.recent.shift();
  }

  private start(job: J, captured: number): void {
    this.busy = true;
    void this.run(job).then(
      (result) => {
        const at = this.now();
        const latencyMs = at - captured;
        this.completedCount++;
        this.recent.push({ at, latency: latencyMs });
        this.trim();
        this.next();
        if (!this.stopped) this.onResult({ job, result, latencyMs });
      },
      (error: unknown) => {
        this.next();
        if (!this.stopped) this.onError(error, job);
      },
    );
  }

  private next(): void {
    this.busy = false;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting && !this.stopped) this.start(waiting.job, waiting.captured);
  }
}
