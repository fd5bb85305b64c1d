/** The same lab API inside a module worker: proves the detector runs off the main thread. */
import * as Comlink from 'comlink';
import { createLabApi } from './api.ts';

Comlink.expose(createLabApi());
