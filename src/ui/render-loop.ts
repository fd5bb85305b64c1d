// The one render loop of the app: capture a frame of landmarks, render it in the model worker, show
// it, again. Rendering goes through LatestOnly (latest-only.ts): one frame renders at a time and,
// while it does, only the newest captured frame waits (older ones are dropped, never queued), and
// each shown frame carries the frame rate and its latency from capture. Two paces:
// - 'display' (the webcam, driving.ts): a capture on every animation frame whatever the renderer
//   is doing, so detection of the next camera frame overlaps the render of this one;
// - { fps } (a recorded track, painting-demo-panel.tsx): the next frame when the renderer is free
//   and at least 1000 / fps ms after the previous capture, so the track plays every frame in order,
//   never faster than its frame rate.
import { LatestOnly, type Finished, type LatestOnlyStats } from './latest-only.ts';

export interface RenderLoopOptions<J, R> {
  /** The frame to render, captured at `now` (ms); undefined when there is nothing new. May throw. */
  capture(now: number): J | undefined;
  render(job: J): Promise<R>;
  /** A rendered frame, with the loop's stats just after it. */
  onFrame(frame: Finished<J, R>, stats: LatestOnlyStats): void;
  /** An error of a capture or a render: return true to go on, false to stop the loop. */
  onError(error: unknown): boolean;
  pace?: 'display' | { fps: number };
  /** ms; performance.now() by default. */
  now?(): number;
  /** Calls `tick` on the next animation frame ('display'); requestAnimationFrame by default. */
  requestFrame?(tick: () => void): void;
  /** Calls `tick` after `ms` ({ fps }); setTimeout by default. */
  setTimer?(tick: () => void, ms: number): void;
}

export interface RenderLoop {
  /** Ends the loop: no further capture, and a render in flight is not shown. */
  stop(): void;
  readonly stopped: boolean;
  stats(): LatestOnlyStats;
}

export function startRenderLoop<J, R>(options: RenderLoopOptions<J, R>): RenderLoop {
  const now = options.now ?? (() => performance.now());
  const requestFrame = options.requestFrame ?? ((tick: () => void) => void requestAnimationFrame(tick));
  const setTimer = options.setTimer ?? ((tick: () => void, ms: number) => void setTimeout(tick, ms));
  const pace = options.pace ?? 'display';
  const periodMs = pace === 'display' ? 0 : 1000 / pace.fps;
  let stopped = false;
  let lastCapture = -Infinity;

  const stop = () => {
    stopped = true;
    renderer.stop();
  };
  /** True when the loop goes on after `error`. */
  const failed = (error: unknown): boolean => {
    if (options.onError(error)) return true;
    stop();
    return false;
  };
  /** Captures a frame and offers it to the renderer; false when the loop stopped on an error. */
  const captureAndOffer = (): boolean => {
    const captured = now();
    let job: J | undefined;
    try {
      job = options.capture(captured);
    } catch (error) {
      return failed(error);
    }
    if (job !== undefined) {
      lastCapture = captured;
      renderer.offer(job, captured);
    }
    return true;
  };

  // 'display': every animation frame.
  const displayTick = () => {
    if (stopped) return;
    if (captureAndOffer() && !stopped) requestFrame(displayTick);
  };
  // { fps }: when the renderer is free (a finished render ticks again) and the period has passed.
  const trackTick = () => {
    if (stopped || renderer.running) return;
    const wait = lastCapture + periodMs - now();
    if (wait > 0) return setTimer(trackTick, wait);
    const before = lastCapture;
    if (captureAndOffer() && !stopped && lastCapture === before) setTimer(trackTick, periodMs);
  };
  const tick = pace === 'display' ? () => requestFrame(displayTick) : trackTick;

  const renderer: LatestOnly<J, R> = new LatestOnly<J, R>(
    (job) => options.render(job),
    (finished) => {
      options.onFrame(finished, renderer.stats());
      if (pace !== 'display') trackTick();
    },
    (error) => {
      if (failed(error) && pace !== 'display') trackTick();
    },
    now,
  );
  tick();
  return {
    stop,
    get stopped() {
      return stopped;
    },
    stats: () => renderer.stats(),
  };
}
