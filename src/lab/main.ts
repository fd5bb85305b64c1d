import * as Comlink from 'comlink';
import { createLabApi, type LabApi } from './api';
import { createPrepareApi } from './prepare';

export interface LabWindowApi extends LabApi {
  /** The same functions running in a module worker (created on first use). */
  worker(): LabApi;
}

declare global {
  interface Window {
    lab: LabWindowApi;
  }
}

let workerApi: LabApi | undefined;
window.lab = {
  ...createLabApi(),
  ...createPrepareApi(), // training-data preparation (scripts/prepare-training-set.ts)
  worker() {
    workerApi ??= Comlink.wrap<LabApi>(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })) as unknown as LabApi;
    return workerApi;
  },
};
document.getElementById('status')!.textContent = 'ready';
document.documentElement.dataset.labReady = 'true';
