import * as Comlink from 'comlink';
import type { PhotoAnalysisApi, PhotoAnalysisResult } from '../workers/photo-analysis.worker.ts';

let worker: Worker | undefined;
let api: Comlink.Remote<PhotoAnalysisApi> | undefined;
/** The end of the queue: photos are analysed one at a time, in the order they were asked for. */
let tail: Promise<unknown> = Promise.resolve();

function remote(): Comlink.Remote<PhotoAnalysisApi> {
  if (!api) {
    worker = new Worker(new URL('../workers/photo-analysis.worker.ts', import.meta.url), { type: 'module' });
    api = Comlink.wrap<PhotoAnalysisApi>(worker);
  }
  return api;
}

/** An analysis result, or the note that it was skipped (its photo was replaced or removed first). */
export type PhotoAnalysisOutcome = PhotoAnalysisResult | { ok: false; error: { code: 'cancelled'; message: string } };

async function analyzeNow(file: Blob, size: number): Promise<PhotoAnalysisResult> {
  const current = remote();
  const done = new AbortController();
  const crashed = new Promise<PhotoAnalysisResult>((resolve) => {
    worker?.addEventListener(
      'error',
      (e) => {
        worker?.terminate();
        worker = undefined;
        api = undefined;
        resolve({
          ok: false,
          error: {
            code: 'unknown',
            message: `The photo analyser stopped unexpectedly (${e.message || 'worker error'}). Try this photo again.`,
          },
        });
      },
      { once: true, signal: done.signal },
    );
  });
  try {
    return await Promise.race([current.analyze(file, size), crashed]);
  } finally {
    done.abort();
  }
}

/**
 * Analyses a photo in the worker; a crashed worker is replaced and reported as this photo's error.
 * Calls queue up (the detector is one WASM instance, and order keeps the UI predictable); a call
 * whose `signal` is aborted before its turn is skipped and resolves to a `cancelled` error.
 */
export function analyzePhotoInWorker(file: Blob, size: number, signal?: AbortSignal): Promise<PhotoAnalysisOutcome> {
  const run = tail.then((): Promise<PhotoAnalysisOutcome> | PhotoAnalysisOutcome =>
    signal?.aborted
      ? { ok: false, error: { code: 'cancelled', message: 'The photo was replaced or removed before it was analysed.' } }
      : analyzeNow(file, size),
  );
  tail = run.catch(() => undefined);
  return run;
}
