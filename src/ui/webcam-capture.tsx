import { useEffect, useRef, useState } from 'react';
import { cameraErrorText, PHOTO_ALTERNATIVE } from './camera-errors.ts';
import { MAX_PHOTOS } from './store.ts';

/** Resolves once the video shows a frame; rejects after `ms` without one. */
function frameReady(video: HTMLVideoElement, ms: number): Promise<void> {
  if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoWidth > 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      video.removeEventListener('loadeddata', ok);
      reject(new Error('The camera gave no picture. Close it and try again.'));
    }, ms);
    function ok() {
      clearTimeout(timer);
      resolve();
    }
    video.addEventListener('loadeddata', ok, { once: true });
  });
}

interface Props {
  /** The photo limit is reached: a capture is refused with a message. */
  full: boolean;
  onCapture(file: File): void;
  notify(kind: 'warning' | 'error', text: string): void;
}

/**
 * "Take photo": opens the webcam with a live preview; each capture becomes a photo (a JPEG File,
 * analysed like an uploaded one). Closing the camera, or leaving the page step, stops its tracks.
 */
export function WebcamCapture({ full, onCapture, notify }: Props) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  const captureRef = useRef<HTMLButtonElement>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const mounted = useRef(false);
  const shots = useRef(0);
  /** Which control gets focus after the next render: the one that replaces the control just used. */
  const focusNext = useRef<'open' | 'capture' | null>(null);
  const [phase, setPhase] = useState<'closed' | 'opening' | 'open'>('closed');
  const [live, setLive] = useState(false);

  function stopStream() {
    streamRef.current?.getTracks().forEach((t) => t.stop());
    streamRef.current = null;
    const video = videoRef.current;
    if (video) {
      video.pause();
      video.srcObject = null;
    }
  }

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      stopStream();
    };
  }, []);

  useEffect(() => {
    const target = focusNext.current === 'open' ? openRef.current : focusNext.current === 'capture' ? captureRef.current : null;
    focusNext.current = null;
    target?.focus();
  }, [phase]);

  function close() {
    stopStream();
    setLive(false);
    focusNext.current = 'open';
    setPhase('closed');
  }

  async function open() {
    if (!navigator.mediaDevices?.getUserMedia) {
      notify('error', 'This browser cannot open a camera for this page. Choose photo files instead.');
      return;
    }
    setPhase('opening');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
    } catch (e) {
      if (mounted.current) {
        notify('error', cameraErrorText(e, PHOTO_ALTERNATIVE));
        focusNext.current = 'open';
        setPhase('closed');
      }
      return;
    }
    if (!mounted.current) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    streamRef.current = stream;
    // The camera unplugged or revoked: close, as if asked to.
    stream.getVideoTracks().forEach((t) => t.addEventListener('ended', () => streamRef.current === stream && close(), { once: true }));
    const video = videoRef.current;
    if (video) {
      video.srcObject = stream;
      void video.play().catch(() => undefined);
    }
    focusNext.current = 'capture';
    setPhase('open');
  }

  async function capture() {
    if (full) {
      notify('warning', `An avatar uses at most ${MAX_PHOTOS} photos: remove one to take another.`);
      return;
    }
    const video = videoRef.current;
    if (!video || !streamRef.current) return;
    try {
      await frameReady(video, 5000);
    } catch (e) {
      notify('error', e instanceof Error ? e.message : String(e));
      return;
    }
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d')?.drawImage(video, 0, 0);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
    if (!blob) {
      notify('error', 'The camera frame could not be saved as a photo.');
      return;
    }
    onCapture(new File([blob], `webcam-${++shots.current}.jpg`, { type: 'image/jpeg', lastModified: Date.now() }));
  }

  return (
    <div className="webcam" data-testid="webcam" data-phase={phase} data-live={live}>
      <button type="button" ref={openRef} onClick={() => void open()} disabled={phase !== 'closed'}>
        Take photo
      </button>
      <div className="webcam-live" hidden={phase !== 'open'}>
        <video
          ref={videoRef}
          className="webcam-preview"
          muted
          playsInline
          aria-label="Camera preview"
          data-testid="webcam-preview"
          onLoadedData={() => setLive(true)}
          onEmptied={() => setLive(false)}
        />
        <div className="webcam-controls">
          <button type="button" ref={captureRef} onClick={() => void capture()}>
            Capture photo
          </button>
          <button type="button" onClick={close}>
            Close camera
          </button>
        </div>
        {full && <p className="hint">{MAX_PHOTOS} photos already: remove one to take another.</p>}
      </div>
    </div>
  );
}
