import * as Comlink from 'comlink';
import type { PhotoAnalysisApi, PhotoAnalysisResult } from '../workers/photo-analysis.worker';

let worker: Worker | undefined;
let api: Comlink.Remote<PhotoAnalysisApi> | undefined;

function remote(): Comlink.Remote<PhotoAnalysisApi> {
  if (!api) {
    worker = new Worker(new URL('../workers/photo-analysis.worker.ts', import.meta.url), { type: 'module' });
    api = Comlink.wrap<PhotoAnalysisApi>(worker);
  }
  return api;
}

/** Analyses a photo in the worker; a crashed worker is replaced and reported as this photo's error. */
export async function analyzePhotoInWorker(file: File, size: number): Promise<PhotoAnalysisResult> {
  const current = remote();
  const done = new AbortController();
  const crashed = new Promise<PhotoAnalysisResult>((resolve) => {
    worker?.addEventListener(
      'error',
      (e) => {
        worker?.terminate();
        worker = undefined;
        api = undefined;
        resolve({ ok: false, error: { code: 'unknown', message: `The photo analyser stopped unexpectedly (${e.message || 'worker error'}). Try this photo again.` } });
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
