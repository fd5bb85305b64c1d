/**
 * window.lab: the landmark pipeline as plain async functions with plain-data results, so that
 * Playwright and Node scripts (validation, training-data preparation) can drive it in Chromium.
 * Errors come back as { error: { code, message } } instead of exceptions, because exceptions lose
 * their type across page.evaluate.
 */
import { lazyFaceDetector, type DetectorMode, type FaceBox, type LazyFaceDetector } from '../landmarks/detector.ts';
import type { FaceErrorInfo } from '../landmarks/errors.ts';
import type { Point } from '../landmarks/types.ts';
import { detectInImageUrl } from './detect-url.ts';

export interface LabDetectOptions {
  modelUrl?: string;
  wasmBase?: string;
  mode?: DetectorMode;
  minFaceSizePx?: number;
}

export interface LabDetection {
  landmarks: Point[];
  box: FaceBox;
  /** Size of the analysed image (after any downscale of huge files). */
  width: number;
  height: number;
  originalWidth: number;
  originalHeight: number;
  warnings: string[];
}

export type LabDetectResult = LabDetection | { error: FaceErrorInfo };

export interface LabApi {
  detect(imageUrl: string, options?: LabDetectOptions): Promise<LabDetectResult>;
  detectMany(imageUrls: string[], options?: LabDetectOptions): Promise<LabDetectResult[]>;
  /** Releases every cached detector (they hold WASM memory). */
  closeAll(): Promise<void>;
}

export function createLabApi(): LabApi {
  // One detector per option set: model loading dominates, images are cheap.
  const detectors = new Map<string, LazyFaceDetector>();
  const detectorFor = (options: LabDetectOptions) => {
    const key = JSON.stringify([options.modelUrl, options.wasmBase, options.mode, options.minFaceSizePx]);
    let detector = detectors.get(key);
    if (!detector) {
      detector = lazyFaceDetector(options);
      detectors.set(key, detector);
    }
    return detector;
  };

  const detect = (imageUrl: string, options: LabDetectOptions = {}): Promise<LabDetectResult> =>
    detectInImageUrl(detectorFor(options).get, imageUrl, (result, decoded) => ({
      landmarks: result.landmarks.map((p) => ({ x: p.x, y: p.y, z: p.z })),
      box: result.box,
      width: result.width,
      height: result.height,
      originalWidth: decoded.originalWidth,
      originalHeight: decoded.originalHeight,
      warnings: [...decoded.warnings, ...result.warnings],
    }));

  return {
    detect,
    async detectMany(imageUrls, options) {
      const results: LabDetectResult[] = [];
      for (const url of imageUrls) results.push(await detect(url, options));
      return results;
    },
    async closeAll() {
      const pending = [...detectors.values()];
      detectors.clear();
      await Promise.all(pending.map((detector) => detector.close()));
    },
  };
}
