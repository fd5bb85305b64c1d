// The "Mona Lisa" demo panel: a portrait → one-shot avatar, played by the bundled landmark track
// through the app's render loop (render-loop.ts, paced at the track's frame rate).
import { useEffect, useRef, useState } from 'react';
import { createLandmarkAdapter, mostNeutralFrame } from '../landmarks/adapt.ts';
import { rasterizeLandmarks } from '../landmarks/rasterize.ts';
import { decodeTrack, type DemoTrackMeta } from '../landmarks/track.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { DRIVE_SIZE } from './driving.ts';
import { modelWorker } from './model-service.ts';
import { analyzePhotoInWorker } from './photo-analysis.ts';
import { startRenderLoop, type RenderLoop } from './render-loop.ts';
import { RgbaCanvas } from './rgba-canvas.tsx';
import { useAppStore } from './store.ts';

async function loadTrack(): Promise<{ meta: DemoTrackMeta; frames: Landmarks[] }> {
  const [meta, bytes] = await Promise.all([
    fetch('/demo/track.json').then((r) => r.json() as Promise<DemoTrackMeta>),
    fetch('/demo/track.bin').then(async (r) => new Uint8Array(await r.arrayBuffer())),
  ]);
  return { meta, frames: decodeTrack(bytes, DRIVE_SIZE) };
}

type Demo =
  | { status: 'idle' }
  | { status: 'working'; text: string }
  | { status: 'error'; message: string }
  | { status: 'playing'; crop: RgbaImage; name: string };

/**
 * "Mona Lisa" demo: one portrait (a painting works) → one-shot avatar → driven by a bundled
 * landmark track (a talking-head clip turned into landmarks by the project's pipeline), adapted to
 * the portrait's face shape. The avatar can also be driven by the webcam in the Drive panel.
 */
export function PaintingDemoPanel() {
  const inputRef = useRef<HTMLInputElement>(null);
  const setAvatar = useAppStore((s) => s.setAvatar);
  const [demo, setDemo] = useState<Demo>({ status: 'idle' });
  const [frame, setFrame] = useState<{ landmarkImage: RgbaImage; avatar: RgbaImage; count: number } | null>(null);
  const playing = useRef<RenderLoop | null>(null);

  useEffect(() => () => playing.current?.stop(), []);

  async function run(file: File | undefined) {
    if (!file) return;
    playing.current?.stop();
    setFrame(null);
    setDemo({ status: 'working', text: 'Finding the face…' });
    const analysed = await analyzePhotoInWorker(file, DRIVE_SIZE);
    if (!analysed.ok) return setDemo({ status: 'error', message: analysed.error.message });
    try {
      setDemo({ status: 'working', text: 'Making the one-shot avatar…' });
      const { api, ready } = modelWorker();
      await ready;
      const { photo } = analysed;
      await api.createAvatar([{ crop: photo.crop, landmarks: photo.landmarks }]);
      setAvatar({ landmarks: photo.landmarks, cropSize: photo.crop.width, photoCount: 1 });
      const track = await loadTrack();
      const adapt = createLandmarkAdapter(photo.landmarks, track.frames[mostNeutralFrame(track.frames)]);
      setDemo({ status: 'playing', crop: photo.crop, name: file.name });
      let next = 0;
      playing.current = startRenderLoop<Landmarks, RgbaImage>({
        // Never faster than the track's own frame rate; every frame of the track, in order.
        pace: { fps: track.meta.fps },
        capture: () => {
          const points = adapt(track.frames[next]);
          next = (next + 1) % track.frames.length;
          return points;
        },
        render: (points) => api.render(points, DRIVE_SIZE, { holdSource: true }),
        onFrame: ({ job: points, result: avatar }, stats) =>
          setFrame({ landmarkImage: rasterizeLandmarks(points, DRIVE_SIZE), avatar, count: stats.completed }),
        onError: (e) => {
          setDemo({ status: 'error', message: e instanceof Error ? e.message : String(e) });
          return false;
        },
      });
    } catch (e) {
      setDemo({ status: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  }

  return (
    <section className="panel" aria-labelledby="demo-title" data-testid="painting-demo" data-frames={frame?.count ?? 0}>
      <h2 id="demo-title">Painting demo</h2>
      <p className="hint">One portrait — a painting works — becomes a talking head, driven by a bundled talking-face motion track.</p>
      <button type="button" onClick={() => inputRef.current?.click()}>
        Choose a portrait…
      </button>
      <input
        ref={inputRef}
        type="file"
        accept="image/*"
        hidden
        aria-label="Choose a portrait"
        data-testid="demo-input"
        onChange={(e) => void run(e.target.files?.[0])}
      />
      {demo.status === 'working' && <p className="photo-status">{demo.text}</p>}
      {demo.status === 'error' && (
        <p className="photo-error" role="alert" data-testid="demo-error">
          {demo.message}
        </p>
      )}
      {demo.status === 'playing' && (
        <div className="drive-grid">
          <RgbaCanvas image={demo.crop} label={`Portrait ${demo.name}`} className="demo-portrait" />
          {frame && <RgbaCanvas image={frame.landmarkImage} label="Driving landmarks" className="demo-landmarks" />}
          {frame && <RgbaCanvas image={frame.avatar} label="Talking portrait" className="demo-avatar" />}
        </div>
      )}
    </section>
  );
}
