// Which weights and backends the model worker starts with: the page's overrides (`?weights=`,
// `?backend=`), else the user's choices under Advanced (remembered in localStorage), else the
// defaults (the registry's generator, the measured backend). Read by the app's wiring
// (model-service.ts) and the Advanced settings.
import { BACKEND_LABELS, isBackendPreference, orderWithFirst, type BackendName, type BackendPreference } from '../nn/backend.ts';
import { DEFAULT_GENERATOR, GENERATORS, isGeneratorKind, type GeneratorKind } from '../nn/registry.ts';

export const GENERATOR_KEY = 'talking-heads.generator';

/** The generator the user picked (Advanced), remembered in this browser; the registry's default otherwise. */
export function preferredGenerator(): GeneratorKind {
  try {
    const kind = localStorage.getItem(GENERATOR_KEY);
    if (isGeneratorKind(kind)) return kind;
  } catch {
    // Storage may be off (private mode, a sandboxed frame): the default then.
  }
  return DEFAULT_GENERATOR;
}

export const BACKEND_KEY = 'talking-heads.backend';

/** `?backend=auto|webgpu|wasm|webgl|cpu` fixes the backend for this page (tests; a link to share). */
export function backendOverride(): BackendPreference | null {
  if (typeof location === 'undefined') return null;
  const value = new URLSearchParams(location.search).get('backend');
  return isBackendPreference(value) ? value : null;
}

/** The backend the user picked (Advanced), remembered in this browser; 'auto' (measured) otherwise. */
export function storedBackendPreference(): BackendPreference {
  try {
    const value = localStorage.getItem(BACKEND_KEY);
    if (isBackendPreference(value)) return value;
  } catch {
    // Storage may be off: automatic then.
  }
  return 'auto';
}

/** The page's ?backend=, else the remembered choice, else 'auto'. */
export function backendPreference(): BackendPreference {
  return backendOverride() ?? storedBackendPreference();
}

/** What the worker is told for a preference: nothing (it measures), or an order with the pick first and why. */
export function backendInit(
  preference: BackendPreference,
  source: 'url' | 'setting',
): { backends?: BackendName[]; backendReason?: string } {
  if (preference === 'auto') return {};
  const where = source === 'url' ? `the page's ?backend=${preference}` : 'the Backend setting under Advanced';
  return { backends: orderWithFirst(preference), backendReason: `${BACKEND_LABELS[preference]} was chosen by ${where}` };
}

/** `?weights=URL` fixes the weights (tests use tiny ones); the generator choice then does nothing. */
export function weightsOverride(): string | null {
  return typeof location === 'undefined' ? null : new URLSearchParams(location.search).get('weights');
}

/** The weights to load: the page's override, else the chosen generator's shipped weights. */
export function weightsUrl(kind: GeneratorKind = preferredGenerator()): string {
  return weightsOverride() ?? GENERATORS[kind].weightsUrl;
}
