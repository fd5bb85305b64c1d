import * as Comlink from 'comlink';
import type { AvatarWorkerApi } from '../workers/avatar-protocol.ts';
import { createLabApi, type LabApi } from './api.ts';
import { createEvaluationApi, type LabEvaluationApi } from './evaluate.ts';
import { createPrepareApi, type LabPrepareApi } from './prepare.ts';

/** Also the training-data preparation of scripts/prepare-training-set.ts (LabPrepareApi). */
export interface LabWindowApi extends LabApi, LabPrepareApi {
  /** The same functions running in a module worker (created on first use). */
  worker(): LabApi;
  /** A new model worker (the app's), for pipeline, backend and memory tests. */
  avatarWorker(): Comlink.Remote<AvatarWorkerApi>;
  /** The browser half of `npm run eval` (scripts/eval.ts). */
  evaluation: LabEvaluationApi;
}

declare global {
  interface Window {
    lab: LabWindowApi;
  }
}

let workerApi: LabApi | undefined;
const newAvatarWorker = () =>
  Comlink.wrap<AvatarWorkerApi>(new Worker(new URL('../workers/avatar.worker.ts', import.meta.url), { type: 'module' }));
window.lab = {
  ...createLabApi(),
  ...createPrepareApi(), // training-data preparation (scripts/prepare-training-set.ts)
  worker() {
    workerApi ??= Comlink.wrap<LabApi>(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })) as unknown as LabApi;
    return workerApi;
  },
  avatarWorker: newAvatarWorker,
  evaluation: createEvaluationApi(newAvatarWorker),
};
// Lets page.evaluate pass callbacks (e.g. fine-tuning progress) into the worker.
(window as unknown as { Comlink: typeof Comlink }).Comlink = Comlink;
document.getElementById('status')!.textContent = 'ready';
document.documentElement.dataset.labReady = 'true';
