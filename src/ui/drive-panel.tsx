import { useEffect, useRef, useState } from 'react';
import type { RgbaImage } from '../landmarks/types.ts';
import { cameraErrorText, DRIVE_ALTERNATIVE } from './camera-errors.ts';
import { startDriving, type DriveSession } from './driving.ts';
import { RgbaCanvas } from './rgba-canvas.tsx';
import { recordCanvas, type CanvasRecording } from './recorder.ts';
import { useAppStore } from './store.ts';

type Source = { kind: 'camera'; stream: MediaStream } | { kind: 'file'; url: string; name: string };

/** Puppeteering: webcam or video file → landmarks → avatar, side by side, with an fps counter. */
export function DrivePanel() {
  const avatar = useAppStore((s) => s.avatar);
  const restarting = useAppStore((s) => s.modelStatus?.phase === 'recovering');
  const videoRef = useRef<HTMLVideoElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const sessionRef = useRef<DriveSession | null>(null);
  const [source, setSource] = useState<Source | null>(null);
  const [adapt, setAdapt] = useState(true);
  const adaptRef = useRef(adapt);
  useEffect(() => {
    adaptRef.current = adapt;
  }, [adapt]);
  const [frame, setFrame] = useState<{ landmarkImage: RgbaImage; avatar: RgbaImage; fps: number; latencyMs: number; count: number } | null>(
    null,
  );
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const recordingRef = useRef<CanvasRecording | null>(null);
  const [recording, setRecording] = useState(false);
  const [video, setVideo] = useState<{ url: string; bytes: number } | null>(null);

  function startRecording() {
    const canvas = gridRef.current?.querySelector<HTMLCanvasElement>('canvas.drive-avatar');
    if (!canvas) return;
    try {
      recordingRef.current = recordCanvas(canvas);
      setRecording(true);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  async function stopRecording() {
    const blob = await recordingRef.current?.stop();
    recordingRef.current = null;
    setRecording(false);
    if (!blob) return;
    setVideo((old) => {
      if (old) URL.revokeObjectURL(old.url);
      return { url: URL.createObjectURL(blob), bytes: blob.size };
    });
  }

  useEffect(() => {
    const video = videoRef.current;
    if (!source || !video || !avatar) return;
    let cancelled = false;
    if (source.kind === 'camera') video.srcObject = source.stream;
    else video.src = source.url;
    video.loop = source.kind === 'file';
    void video.play().catch((e: unknown) => setError(`The video could not be played: ${String(e)}`));
    startDriving({
      video,
      avatarLandmarks: avatar.landmarks,
      avatarCropSize: avatar.cropSize,
      adapt: () => adaptRef.current,
      onFrame: (f) => !cancelled && setFrame(f),
      onStatus: (s) => !cancelled && setStatus(s),
    })
      .then((session) => {
        if (cancelled) session.stop();
        else sessionRef.current = session;
      })
      .catch((e: unknown) => setError(`Driving could not start: ${e instanceof Error ? e.message : String(e)}`));
    return () => {
      cancelled = true;
      sessionRef.current?.stop();
      sessionRef.current = null;
      video.pause();
      video.srcObject = null;
      video.removeAttribute('src');
      if (source.kind === 'camera') source.stream.getTracks().forEach((t) => t.stop());
      else URL.revokeObjectURL(source.url);
    };
  }, [source, avatar]);

  async function startCamera() {
    setError(null);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
      setSource({ kind: 'camera', stream });
    } catch (e) {
      setError(cameraErrorText(e, DRIVE_ALTERNATIVE));
    }
  }

  function startFile(file: File | undefined) {
    if (!file) return;
    setError(null);
    setSource({ kind: 'file', url: URL.createObjectURL(file), name: file.name });
  }

  return (
    <section className="panel" aria-labelledby="drive-title" data-testid="drive-panel" data-frames={frame?.count ?? 0}>
      <h2 id="drive-title">3. Drive</h2>
      {!avatar && <p className="hint">Create an avatar first.</p>}
      <div className="drive-controls">
        <button type="button" onClick={() => void startCamera()} disabled={!avatar || source !== null}>
          Start webcam
        </button>
        <button type="button" onClick={() => fileRef.current?.click()} disabled={!avatar || source !== null}>
          Drive with a video file…
        </button>
        <input
          ref={fileRef}
          type="file"
          accept="video/*"
          hidden
          aria-label="Choose a driving video"
          data-testid="video-input"
          onChange={(e) => startFile(e.target.files?.[0])}
        />
        <button type="button" onClick={() => setSource(null)} disabled={source === null}>
          Stop
        </button>
        <label>
          <input type="checkbox" checked={adapt} onChange={(e) => setAdapt(e.target.checked)} /> Adapt the driver's face to the avatar's
        </label>
        <button type="button" onClick={() => sessionRef.current?.recentre()} disabled={source === null || !adapt}>
          Re-centre
        </button>
        <button type="button" onClick={() => (recording ? void stopRecording() : startRecording())} disabled={!frame}>
          {recording ? 'Stop recording' : 'Record'}
        </button>
        {video && (
          <a href={video.url} download="talking-head.webm" data-testid="recording" data-bytes={video.bytes}>
            Download WebM ({Math.max(1, Math.round(video.bytes / 1024))} KB)
          </a>
        )}
        {frame && (
          <span
            className="fps"
            data-testid="fps"
            title="Avatar frames per second, and the mean time from a camera frame to its avatar frame"
          >
            {frame.fps} fps · <span data-testid="latency">{frame.latencyMs} ms</span>
          </span>
        )}
      </div>
      {error && (
        <p className="photo-error" role="alert" data-testid="drive-error">
          {error}
        </p>
      )}
      {status && <p className="photo-warning">{status}</p>}
      {restarting && source !== null && (
        <p className="photo-warning" data-testid="drive-restarting">
          The model is restarting; driving resumes as soon as it is back.
        </p>
      )}
      <div className="drive-grid" hidden={source === null} ref={gridRef}>
        <video ref={videoRef} muted playsInline aria-label="Driving video" />
        {frame && <RgbaCanvas image={frame.landmarkImage} label="Driver's landmark image" className="drive-landmarks" />}
        {frame && <RgbaCanvas image={frame.avatar} label="Avatar" className="drive-avatar" />}
      </div>
    </section>
  );
}
