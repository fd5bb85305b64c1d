// The driving loop: video frames → landmarks (MediaPipe VIDEO mode) → smoothed face crop →
// optional landmark adaptation to the avatar's face → G in the model worker → onFrame. One frame
// is in flight at a time, so a slow GPU lowers the frame rate instead of queueing latency.
import { createLandmarkAdapter, type LandmarkAdapter } from '../landmarks/adapt';
import { CropSmoother, cropTransformFromBox, faceCropBox, mapLandmarksToCrop } from '../landmarks/crop';
import { createFaceDetector, type FaceDetector } from '../landmarks/detector';
import { FaceInputError } from '../landmarks/errors';
import { rasterizeLandmarks } from '../landmarks/rasterize';
import type { Landmarks, RgbaImage } from '../landmarks/types';
import { modelWorker } from './model-client';

export const DRIVE_SIZE = 256;

export interface DriveFrame {
  landmarkImage: RgbaImage;
  avatar: RgbaImage;
  /** Frames per second over the last second. */
  fps: number;
  count: number;
}

export interface DriveOptions {
  video: HTMLVideoElement;
  avatarLandmarks: Landmarks;
  avatarCropSize: number;
  /** Read every frame, so the UI toggle applies at once. */
  adapt: () => boolean;
  onFrame(frame: DriveFrame): void;
  onStatus(message: string | null): void;
}

export interface DriveSession {
  stop(): void;
  /** Takes the driver's next frame as the neutral reference of landmark adaptation. */
  recentre(): void;
}

let videoDetector: Promise<FaceDetector> | undefined;

export async function startDriving(options: DriveOptions): Promise<DriveSession> {
  videoDetector ??= createFaceDetector({ mode: 'VIDEO' });
  videoDetector.catch(() => (videoDetector = undefined));
  const detector = await videoDetector;
  const { api, ready } = modelWorker();
  await ready;
  const avatar = options.avatarLandmarks.map((p) => ({
    x: (p.x * DRIVE_SIZE) / options.avatarCropSize,
    y: (p.y * DRIVE_SIZE) / options.avatarCropSize,
    z: (p.z * DRIVE_SIZE) / options.avatarCropSize,
  }));
  const smoother = new CropSmoother();
  let adapter: LandmarkAdapter | undefined;
  let running = true;
  let count = 0;
  const stamps: number[] = [];

  const tick = async () => {
    if (!running) return;
    const video = options.video;
    if (video.readyState >= 2 && !video.paused && !video.ended) {
      const now = performance.now();
      try {
        const found = detector.detect(video, now);
        const crop = cropTransformFromBox(smoother.update(faceCropBox(found.landmarks), now), DRIVE_SIZE);
        let points: Landmarks = mapLandmarksToCrop(found.landmarks, crop);
        if (options.adapt()) {
          adapter ??= createLandmarkAdapter(avatar, points);
          points = adapter(points);
        }
        const frame = await api.render(points, DRIVE_SIZE);
        count++;
        stamps.push(performance.now());
        while (stamps.length > 0 && stamps[0] < performance.now() - 1000) stamps.shift();
        options.onStatus(null);
        if (running) options.onFrame({ landmarkImage: rasterizeLandmarks(points, DRIVE_SIZE), avatar: frame, fps: stamps.length, count });
      } catch (error) {
        options.onStatus(error instanceof FaceInputError ? error.message : `Driving stopped on an error: ${String(error)}`);
        if (!(error instanceof FaceInputError)) running = false;
      }
    }
    if (running) requestAnimationFrame(() => void tick());
  };
  requestAnimationFrame(() => void tick());
  return {
    stop: () => {
      running = false;
    },
    recentre: () => {
      adapter = undefined;
    },
  };
}
