// The fine-tuning panel: runs the model worker's fine-tuning with a preset's step count, and shows
// progress, ETA, the losses, a preview, pause/resume/stop, an interruption by a worker restart, and
// at the end what the photos held out of fine-tuning decided (kept or not: nn/finetune-validation.ts).
import * as Comlink from 'comlink';
import { useState } from 'react';
import { fineTuneSteps } from '../nn/finetune-schedule.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import type { FineTuneProgress } from '../workers/avatar-protocol.ts';
import { fineTuneOutcome, ModelWorkerRestartedError } from './model-messages.ts';
import { modelWorker } from './model-service.ts';
import { RgbaCanvas } from './rgba-canvas.tsx';

/** 'interrupted': the model worker died (crash, lost GPU) and was restarted; see the message. */
type Phase = 'idle' | 'running' | 'paused' | 'done' | 'interrupted';

interface Props {
  photoCount: number;
  /** The pose the live preview is rendered in (the first photo's), in a crop of side cropSize. */
  previewPose: { points: Landmarks; frameSize: number };
  onFinished(): void;
}

function LossPlot({ history }: { history: { g: number; d: number }[] }) {
  if (history.length < 2) return null;
  const values = history.flatMap((h) => [h.g, h.d]).filter(Number.isFinite);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const path = (key: 'g' | 'd') =>
    history.map((h, i) => `${(i / (history.length - 1)) * 300},${60 - ((h[key] - lo) / (hi - lo || 1)) * 56 - 2}`).join(' ');
  return (
    <svg className="loss-plot" viewBox="0 0 300 60" role="img" aria-label="Generator and discriminator loss over the steps">
      <polyline points={path('g')} fill="none" stroke="#6aa9ff" strokeWidth="1.5" />
      <polyline points={path('d')} fill="none" stroke="#f4c15d" strokeWidth="1.5" />
    </svg>
  );
}

/** Adversarial fine-tuning (paper §3.3) in the worker, with progress, ETA, loss plot and preview. */
export function FineTunePanel({ photoCount, previewPose, onFinished }: Props) {
  const [preset, setPreset] = useState<'quick' | 'balanced' | 'best'>('quick');
  const [phase, setPhase] = useState<Phase>('idle');
  const [progress, setProgress] = useState<FineTuneProgress | null>(null);
  const [preview, setPreview] = useState<RgbaImage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [history, setHistory] = useState<{ g: number; d: number }[]>([]);
  const steps = fineTuneSteps(preset, photoCount);

  async function start() {
    setError(null);
    setOutcome(null);
    setHistory([]);
    setPhase('running');
    const { api } = modelWorker();
    try {
      const summary = await api.fineTune(
        { steps, previewEvery: 5, preview: previewPose },
        Comlink.proxy((p: FineTuneProgress) => {
          setProgress(p);
          if (p.preview) setPreview(p.preview);
          setHistory((h) => [...h, { g: p.lossG, d: p.lossD }]);
        }),
      );
      setOutcome(fineTuneOutcome(summary));
      setPhase('done');
      onFinished();
    } catch (e) {
      if (e instanceof ModelWorkerRestartedError) {
        // The restarted worker has the avatar as last checkpointed: show it.
        setPhase('interrupted');
        setError(e.message);
        onFinished();
        return;
      }
      setPhase('idle');
      setError(`Fine-tuning stopped on an error: ${e instanceof Error ? e.message : String(e)}. The avatar keeps its last good state.`);
    }
  }

  const control = (action: 'pauseFineTune' | 'resumeFineTune' | 'stopFineTune', next: Phase) => {
    void modelWorker().api[action]();
    if (next !== 'done') setPhase(next);
  };
  const eta = progress && progress.step > 0 ? (progress.elapsedMs / progress.step) * (progress.steps - progress.step) : null;

  return (
    <div className="finetune" data-testid="finetune" data-phase={phase} data-step={progress?.step ?? 0}>
      <h3>Fine-tune on these photos</h3>
      <div className="drive-controls">
        <label>
          Quality{' '}
          <select
            value={preset}
            onChange={(e) => setPreset(e.target.value as typeof preset)}
            disabled={phase === 'running' || phase === 'paused'}
          >
            <option value="quick">Quick</option>
            <option value="balanced">Balanced</option>
            <option value="best">Best</option>
          </select>
        </label>
        <span className="hint">{steps} steps</span>
        <button type="button" onClick={() => void start()} disabled={phase === 'running' || phase === 'paused'}>
          Fine-tune
        </button>
        <button type="button" onClick={() => control('pauseFineTune', 'paused')} disabled={phase !== 'running'}>
          Pause
        </button>
        <button type="button" onClick={() => control('resumeFineTune', 'running')} disabled={phase !== 'paused'}>
          Resume
        </button>
        <button type="button" onClick={() => control('stopFineTune', 'done')} disabled={phase !== 'running' && phase !== 'paused'}>
          Stop
        </button>
      </div>
      {progress && (
        <div className="finetune-progress">
          <progress max={progress.steps} value={progress.step} aria-label="Fine-tuning progress" />
          <span data-testid="finetune-status">
            step {progress.step} / {progress.steps} · loss G {progress.lossG.toFixed(3)} · D {progress.lossD.toFixed(3)}
            {eta !== null && phase === 'running' ? ` · about ${Math.ceil(eta / 1000)} s left` : ''}
            {phase === 'paused' ? ' · paused' : ''}
          </span>
          <LossPlot history={history} />
          {preview && <RgbaCanvas image={preview} label="Fine-tuning preview" className="finetune-preview" />}
        </div>
      )}
      {outcome && (
        <p className="hint" data-testid="finetune-outcome">
          {outcome}
        </p>
      )}
      {error && (
        <p className="photo-error" role="alert" data-testid="finetune-error">
          {error}
        </p>
      )}
    </div>
  );
}
