// The driving loop: video frames → landmarks (MediaPipe VIDEO mode) → smoothed face crop →
// optional landmark adaptation to the avatar's face → G in the model worker → onFrame. Pipelined:
// the next camera frame is detected while the worker renders this one; one frame renders at a time
// and only the newest waits (render-loop.ts, latest-only.ts), so a slow GPU lowers the frame rate
// instead of queueing latency. Each frame reports fps and the latency from camera frame to avatar frame.
import { createNeutralSeekingAdapter } from '../landmarks/adapt.ts';
import { CropSmoother, cropTransformFromBox, faceCropBox, mapLandmarksToCrop } from '../landmarks/crop.ts';
import { lazyFaceDetector } from '../landmarks/detector.ts';
import { FaceInputError } from '../landmarks/errors.ts';
import { scalePoints } from '../landmarks/geometry.ts';
import { rasterizeLandmarks } from '../landmarks/rasterize.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { modelWorker } from './model-service.ts';
import { startRenderLoop } from './render-loop.ts';

export const DRIVE_SIZE = 256;

export interface DriveFrame {
  landmarkImage: RgbaImage;
  avatar: RgbaImage;
  /** Frames per second over the last second. */
  fps: number;
  /** Mean ms from camera frame to avatar frame over the last second. */
  latencyMs: number;
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

/** One VIDEO-mode detector for every drive session, made by the first. */
const videoDetector = lazyFaceDetector({ mode: 'VIDEO' });

export async function startDriving(options: DriveOptions): Promise<DriveSession> {
  const detector = await videoDetector.get();
  const { api, ready } = modelWorker();
  await ready;
  const avatar = scalePoints(options.avatarLandmarks, options.avatarCropSize, DRIVE_SIZE);
  const smoother = new CropSmoother();
  // The driver's first frame may not be neutral: the reference follows the most closed mouth (adapt.ts).
  const adapter = createNeutralSeekingAdapter(avatar);
  let lastVideoTime = -1;
  // Detection (here, on the main thread) of the next camera frame overlaps the worker's render of
  // this one; while the worker is busy only the newest detected frame waits (render-loop.ts).
  const loop = startRenderLoop<Landmarks, RgbaImage>({
    pace: 'display',
    capture: (captured) => {
      const video = options.video;
      // A new camera frame only: the same frame detected twice could only be dropped.
      if (video.readyState < 2 || video.paused || video.ended || video.currentTime === lastVideoTime) return undefined;
      lastVideoTime = video.currentTime;
      const found = detector.detect(video, captured);
      const crop = cropTransformFromBox(smoother.update(faceCropBox(found.landmarks), captured), DRIVE_SIZE);
      let points: Landmarks = mapLandmarksToCrop(found.landmarks, crop);
      if (options.adapt()) points = adapter.adapt(points);
      return points;
    },
    render: (points) => api.render(points, DRIVE_SIZE, { holdSource: true }),
    onFrame: ({ job: points, result }, stats) => {
      options.onStatus(null);
      options.onFrame({
        landmarkImage: rasterizeLandmarks(points, DRIVE_SIZE),
        avatar: result,
        fps: stats.fps,
        latencyMs: Math.round(stats.latencyMs),
        count: stats.completed,
      });
    },
    // A frame without a usable face is reported and skipped; anything else stops driving.
    onError: (error) => {
      options.onStatus(error instanceof FaceInputError ? error.message : `Driving stopped on an error: ${String(error)}`);
      return error instanceof FaceInputError;
    },
  });
  return {
    stop: () => loop.stop(),
    recentre: () => adapter.reset(),
  };
}
