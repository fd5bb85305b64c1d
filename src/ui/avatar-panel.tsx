// The avatar panel: makes the one-shot avatar from the analysed photos in the model worker and shows
// it, saves it, and holds the Advanced settings (generator, backend) with what the model runs on.
import { useEffect, useState } from 'react';
import type { RgbaImage } from '../landmarks/types.ts';
import { DEFAULT_GENERATOR, GENERATORS, GENERATOR_KINDS, isGeneratorKind, type GeneratorKind } from '../nn/registry.ts';
import { BACKEND_LABELS, BACKEND_NAMES, isBackendPreference, type BackendPreference } from '../nn/backend.ts';
import type { ModelInfo } from '../workers/avatar-protocol.ts';
import { backendSummary, fallbackNotice } from './model-messages.ts';
import { backendOverride, backendPreference, preferredGenerator, weightsOverride } from './model-preferences.ts';
import { modelGeneration, modelWorker, switchBackend, switchGenerator } from './model-service.ts';
import { saveAvatar } from './avatar-store.ts';
import { FineTunePanel } from './fine-tune-panel.tsx';
import { RgbaCanvas } from './rgba-canvas.tsx';
import { useAppStore, type PhotoEntry } from './store.ts';

type AvatarState =
  | { status: 'idle' }
  | { status: 'working'; text: string }
  /** `generation`: the model worker the frames were rendered by (bumped by each restart). */
  | { status: 'ready'; frames: RgbaImage[]; ms: number; backend: string; photoCount: number; generation: number }
  | { status: 'error'; message: string };

/** The current avatar in the poses of the first (at most 4) analysed photos. */
async function renderInPhotoPoses(photos: PhotoEntry[]): Promise<RgbaImage[]> {
  const { api } = modelWorker();
  const frames: RgbaImage[] = [];
  for (const p of photos.slice(0, 4)) if (p.status === 'ready') frames.push(await api.render(p.landmarks, p.crop.width));
  return frames;
}

/** Feed-forward avatar (paper §3.2): E over the photos, ψ̂ = P ê, then G in the photos' poses. */
export function AvatarPanel() {
  const photos = useAppStore((s) => s.photos);
  const ready = photos.filter((p) => p.status === 'ready');
  const [state, setState] = useState<AvatarState>({ status: 'idle' });
  const setAvatar = useAppStore((s) => s.setAvatar);
  const notify = useAppStore((s) => s.notify);
  const bumpSaved = useAppStore((s) => s.bumpSaved);
  const [saveState, setSaveState] = useState<{ ok: boolean; text: string } | null>(null);
  /** The generator the loaded weights are (null until the model has loaded once). */
  const [inUse, setInUse] = useState<{ kind: GeneratorKind; config: string } | null>(null);
  const [switching, setSwitching] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  /** The backend preference (Advanced) and what the serving worker runs on, once it has loaded. */
  const [backendPick, setBackendPick] = useState<BackendPreference>(backendPreference);
  const [running, setRunning] = useState<Pick<ModelInfo, 'backend' | 'detail' | 'reason'> | null>(null);
  // After the worker was restarted (crash, lost GPU) the preview is rendered again by the new one.
  const recovered = useAppStore((s) => (s.modelStatus?.phase === 'recovered' ? s.modelStatus.generation : 0));
  useEffect(() => {
    if (recovered === 0) return;
    let live = true;
    const status = useAppStore.getState().modelStatus;
    const backend = status?.adapter ? `${status.backend} (${status.adapter})` : (status?.backend ?? '');
    modelWorker()
      .ready.then((info) => live && setRunning(info))
      .catch(() => undefined);
    renderInPhotoPoses(useAppStore.getState().photos.filter((p) => p.status === 'ready'))
      .then((frames) => {
        if (live && frames.length > 0) {
          setState((s) => (s.status === 'ready' ? { ...s, frames, backend: backend || s.backend, generation: recovered } : s));
        }
      })
      .catch((e: unknown) => console.warn('preview after the model restart failed:', e));
    return () => {
      live = false;
    };
  }, [recovered]);

  async function save(frames: RgbaImage[], photoCount: number) {
    setSaveState(null);
    try {
      const { api } = modelWorker();
      const weights = await api.exportAvatar();
      const name = `Avatar ${new Date().toLocaleString()}`;
      await saveAvatar({
        id: crypto.randomUUID(),
        name,
        created: new Date().toISOString(),
        fineTuned: weights.manifest.meta?.fineTuned === true,
        photoCount,
        landmarks: ready[0].landmarks,
        cropSize: ready[0].crop.width,
        thumbnail: frames[0],
        weights,
      });
      bumpSaved();
      setSaveState({ ok: true, text: `Saved as “${name}”.` });
    } catch (e) {
      setSaveState({ ok: false, text: e instanceof Error ? e.message : String(e) });
    }
  }

  /** The avatar in the photos' own poses (at most 4). */
  function renderPreview(): Promise<RgbaImage[]> {
    return renderInPhotoPoses(ready);
  }

  async function create() {
    setState({ status: 'working', text: 'Loading the model…' });
    try {
      // A user action may restart a model that had given up after repeated crashes.
      const { api, ready: loaded } = modelWorker({ revive: true });
      const info = await loaded;
      setInUse({ kind: info.generator, config: info.configName });
      setRunning(info);
      const fallback = fallbackNotice(info);
      if (fallback && !useAppStore.getState().notices.some((n) => n.text === fallback.text)) notify(fallback.kind, fallback.text);
      setState({ status: 'working', text: `Creating the avatar from ${ready.length} photo${ready.length > 1 ? 's' : ''}…` });
      const sources = ready.map((p) => ({ crop: p.crop, landmarks: p.landmarks }));
      const created = await api.createAvatar(sources);
      setAvatar({ landmarks: ready[0].landmarks, cropSize: ready[0].crop.width, photoCount: created.photoCount });
      const frames = await renderPreview();
      const backend = info.adapter ? `${info.backend} (${info.adapter})` : info.backend;
      setState({ status: 'ready', frames, ms: created.ms, backend, photoCount: created.photoCount, generation: modelGeneration() });
    } catch (error) {
      setState({ status: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Advanced: the other generator. A fresh worker loads it and the avatar is remade from the photos. */
  async function pickGenerator(kind: GeneratorKind) {
    setSwitching(true);
    try {
      const had = state.status === 'ready';
      const { info } = await switchGenerator(kind);
      setInUse({ kind: info.generator, config: info.configName });
      if (had && ready.length > 0) await create();
      else setState({ status: 'idle' });
    } catch (error) {
      setState({ status: 'error', message: error instanceof Error ? error.message : String(error) });
    } finally {
      setSwitching(false);
    }
  }

  /** Advanced: another backend. A fresh worker starts on it and the avatar (fine-tuning included) is put back. */
  async function pickBackend(preference: BackendPreference) {
    setBackendPick(preference);
    setSwitching(true);
    try {
      const { info } = await switchBackend(preference);
      setRunning(info);
      setInUse({ kind: info.generator, config: info.configName });
      if (state.status === 'ready') {
        const frames = await renderPreview();
        setState((s) =>
          s.status === 'ready'
            ? { ...s, frames, backend: info.adapter ? `${info.backend} (${info.adapter})` : info.backend, generation: modelGeneration() }
            : s,
        );
      }
    } catch (error) {
      setState({ status: 'error', message: error instanceof Error ? error.message : String(error) });
    } finally {
      setSwitching(false);
    }
  }

  const chosen = inUse?.kind ?? preferredGenerator();
  const fixedBackend = backendOverride();
  const fixedWeights = weightsOverride();

  return (
    <section className="panel" aria-labelledby="avatar-title">
      <h2 id="avatar-title">2. Avatar</h2>
      <button type="button" onClick={() => void create()} disabled={ready.length === 0 || state.status === 'working'}>
        Create avatar
      </button>
      {ready.length === 0 && <p className="hint">Add at least one photo with a face first.</p>}
      <button
        type="button"
        className="advanced-toggle"
        aria-expanded={advancedOpen}
        aria-controls="avatar-advanced"
        onClick={() => setAdvancedOpen((open) => !open)}
        data-testid="advanced-toggle"
      >
        Advanced {advancedOpen ? '▾' : '▸'}
      </button>
      <div id="avatar-advanced" className="advanced" data-testid="advanced" hidden={!advancedOpen}>
        <label>
          Generator{' '}
          <select
            value={chosen}
            disabled={switching || state.status === 'working' || fixedWeights !== null}
            onChange={(e) => isGeneratorKind(e.target.value) && void pickGenerator(e.target.value)}
            data-testid="generator-select"
          >
            {GENERATOR_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {GENERATORS[kind].label}
                {kind === DEFAULT_GENERATOR ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </label>
        <p className="hint" data-testid="generator-in-use">
          {switching
            ? 'Loading the other generator…'
            : inUse
              ? `In use: ${GENERATORS[inUse.kind].label} (${inUse.config}). ${GENERATORS[inUse.kind].description}`
              : `Will use: ${GENERATORS[chosen].label}. ${GENERATORS[chosen].description}`}
          {fixedWeights !== null && ` The page's ?weights= parameter fixes the weights (${fixedWeights}).`} Switching remakes the avatar
          from your photos; fine-tuning is not carried over.
        </p>
        <label>
          Backend{' '}
          <select
            value={backendPick}
            disabled={switching || state.status === 'working' || fixedBackend !== null}
            onChange={(e) => isBackendPreference(e.target.value) && void pickBackend(e.target.value)}
            data-testid="backend-select"
          >
            <option value="auto">Automatic (measured)</option>
            {BACKEND_NAMES.map((name) => (
              <option key={name} value={name}>
                {BACKEND_LABELS[name]}
              </option>
            ))}
          </select>
        </label>
        <p className="hint" data-testid="backend-in-use" data-backend={running?.backend ?? ''}>
          {switching ? 'Starting the model… ' : running ? `${backendSummary(running)} ` : 'Chosen when the model loads (Create avatar). '}
          {fixedBackend !== null && `The page's ?backend= parameter fixes this choice (${fixedBackend}). `}
          Automatic picks WebGPU on a hardware GPU and WASM (the CPU, SIMD) where the GPU is missing or emulated in software; switching
          keeps your avatar.
        </p>
      </div>
      {state.status === 'working' && (
        <p className="photo-status" role="status">
          {state.text}
        </p>
      )}
      {state.status === 'error' && (
        <p className="photo-error" role="alert" data-testid="avatar-error">
          The avatar could not be made: {state.message}
        </p>
      )}
      {state.status === 'ready' && (
        <div data-testid="avatar-ready" data-generation={state.generation}>
          <p className="hint">
            Made from {state.photoCount} photo{state.photoCount > 1 ? 's' : ''} in {Math.round(state.ms)} ms on {state.backend}.
          </p>
          <div className="avatar-grid">
            {state.frames.map((f, i) => (
              <RgbaCanvas key={i} image={f} label={`Avatar in the pose of photo ${i + 1}`} className="avatar-frame" />
            ))}
          </div>
          <div className="drive-controls">
            <button type="button" onClick={() => void save(state.frames, state.photoCount)}>
              Save avatar
            </button>
            {saveState && (
              <span className={saveState.ok ? 'hint' : 'photo-error'} role={saveState.ok ? 'status' : 'alert'} data-testid="save-status">
                {saveState.text}
              </span>
            )}
          </div>
          <FineTunePanel
            photoCount={state.photoCount}
            previewPose={{ points: ready[0].landmarks, frameSize: ready[0].crop.width }}
            onFinished={() => void renderPreview().then((frames) => setState((s) => (s.status === 'ready' ? { ...s, frames } : s)))}
          />
        </div>
      )}
    </section>
  );
}
