/**
 * Face landmark detection with MediaPipe Tasks FaceLandmarker, on the main thread or in a worker.
 * The WASM runtime and the model bundle are served by the app itself (public/, built at set-up),
 * inference runs on the CPU delegate so results do not depend on the GPU, and every result is in
 * pixels of the analysed image.
 */
import type { FaceLandmarker, NormalizedLandmark } from '@mediapipe/tasks-vision';
import { DetectorUnavailableError, FaceTooSmallError, NoFaceError, NotAnImageError } from './errors.ts';
import { boundingBox } from './geometry.ts';
import { NUM_LANDMARKS, type Landmarks, type Point } from './types.ts';

export const DEFAULT_WASM_BASE = '/mediapipe/wasm';
export const DEFAULT_MODEL_URL = '/models/face_landmarker.task';
/** Below this (larger side of the face box) the landmarks are too coarse for the avatar. */
export const MIN_FACE_SIZE_PX = 64;
/** Larger photos are downscaled on decode: more pixels do not help a 192 px face model. */
export const MAX_IMAGE_SIDE_PX = 4096;
/**
 * IMAGE mode looks for several faces so it can pick the largest and warn. VIDEO mode follows one:
 * with a single face MediaPipe tracks it from the previous frame's landmarks instead of running
 * the face detector on every frame (faster and steadier for a webcam).
 */
const DEFAULT_MAX_FACES: Record<DetectorMode, number> = { IMAGE: 4, VIDEO: 1 };

export type DetectorMode = 'IMAGE' | 'VIDEO';

export type DetectableImage =
  | ImageBitmap
  | ImageData
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | OffscreenCanvas
  | VideoFrame;

export interface FaceDetectorOptions {
  mode?: DetectorMode;
  /** Folder holding MediaPipe's vision_wasm_* files. */
  wasmBase?: string;
  /** URL of a FaceLandmarker .task bundle. */
  modelUrl?: string;
  /** Load the ES-module build of the WASM loader (needed in module workers). Default: in workers. */
  useModuleWasm?: boolean;
  minFaceSizePx?: number;
  /** Faces MediaPipe looks for; the largest is returned. Default: IMAGE 4, VIDEO 1. */
  maxFaces?: number;
}

/** Axis-aligned box around the landmarks, in pixels. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectionResult {
  landmarks: Landmarks;
  box: FaceBox;
  /** Size of the analysed image (the frame the pixel coordinates refer to). */
  width: number;
  height: number;
  warnings: string[];
}

export interface FaceDetector {
  readonly mode: DetectorMode;
  /** Throws NoFaceError, FaceTooSmallError or NotAnImageError for unusable input. */
  detect(image: DetectableImage, timestampMs?: number): DetectionResult;
  close(): void;
}

/** MediaPipe's normalised coordinates → pixels. z is scaled like x, as MediaPipe defines it. */
export function toPixelLandmarks(points: readonly NormalizedLandmark[], width: number, height: number): Point[] {
  return points.map((p) => ({ x: p.x * width, y: p.y * height, z: p.z * width }));
}

/**
 * Chooses the face to use among MediaPipe's results: the largest one, with a warning when there
 * are several; rejects images without a usable face.
 */
export function selectFace(
  faces: readonly (readonly NormalizedLandmark[])[],
  width: number,
  height: number,
  minFaceSizePx = MIN_FACE_SIZE_PX,
): DetectionResult {
  if (faces.length === 0) throw new NoFaceError();
  const candidates = faces.map((face) => {
    if (face.length !== NUM_LANDMARKS) {
      throw new DetectorUnavailableError(`the model gave ${face.length} landmarks instead of ${NUM_LANDMARKS}`);
    }
    const landmarks = toPixelLandmarks(face, width, height);
    const { minX, minY, maxX, maxY } = boundingBox(landmarks);
    return { landmarks, box: { x: minX, y: minY, width: maxX - minX, height: maxY - minY } };
  });
  const area = (b: FaceBox) => b.width * b.height;
  const chosen = candidates.reduce((best, c) => (area(c.box) > area(best.box) ? c : best));
  const warnings: string[] = [];
  if (candidates.length > 1) {
    warnings.push(`${candidates.length} faces were found; the largest one is used.`);
  }
  const faceSize = Math.max(chosen.box.width, chosen.box.height);
  if (faceSize < minFaceSizePx) throw new FaceTooSmallError(faceSize, minFaceSizePx);
  return { landmarks: chosen.landmarks, box: chosen.box, width, height, warnings };
}

export function imageSize(image: DetectableImage): { width: number; height: number } {
  if (typeof HTMLImageElement !== 'undefined' && image instanceof HTMLImageElement) {
    return { width: image.naturalWidth, height: image.naturalHeight };
  }
  if (typeof HTMLVideoElement !== 'undefined' && image instanceof HTMLVideoElement) {
    return { width: image.videoWidth, height: image.videoHeight };
  }
  if (typeof VideoFrame !== 'undefined' && image instanceof VideoFrame) {
    return { width: image.displayWidth, height: image.displayHeight };
  }
  const sized = image as { width: number; height: number };
  return { width: sized.width, height: sized.height };
}

/**
 * True when the bytes end like a zip archive (a .task bundle): dev servers answer a missing file
 * with index.html and HTTP 200. The end-of-central-directory record sits in the last 64 KiB + 22 bytes.
 */
function looksLikeZip(bytes: Uint8Array): boolean {
  const earliest = Math.max(0, bytes.length - 65_557);
  for (let i = bytes.length - 22; i >= earliest; i--) {
    if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 0x05 && bytes[i + 3] === 0x06) return true;
  }
  return false;
}

async function fetchModelBundle(modelUrl: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(modelUrl);
  } catch (error) {
    throw new DetectorUnavailableError(`the face model (${modelUrl}) could not be downloaded: ${String(error)}`);
  }
  if (!response.ok) throw new DetectorUnavailableError(`the face model (${modelUrl}) answered HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!looksLikeZip(bytes)) throw new DetectorUnavailableError(`${modelUrl} is not a model bundle (was set-up run?)`);
  return bytes;
}

export async function createFaceDetector(options: FaceDetectorOptions = {}): Promise<FaceDetector> {
  const mode = options.mode ?? 'IMAGE';
  // Absolute, because Vite's dev server rewrites root-relative dynamic imports (the module-worker
  // WASM loader) into module requests that it refuses for files in public/.
  const wasmBase = new URL(options.wasmBase ?? DEFAULT_WASM_BASE, globalThis.location?.href).href.replace(/\/$/, '');
  const modelUrl = options.modelUrl ?? DEFAULT_MODEL_URL;
  const useModuleWasm = options.useModuleWasm ?? typeof document === 'undefined';
  const minFaceSizePx = options.minFaceSizePx ?? MIN_FACE_SIZE_PX;

  // Loaded on demand: the bundle is large and only needed once a detector is requested.
  const vision = await import('@mediapipe/tasks-vision');
  const modelAssetBuffer = await fetchModelBundle(modelUrl);
  let landmarker: FaceLandmarker;
  try {
    const fileset = await vision.FilesetResolver.forVisionTasks(wasmBase, useModuleWasm);
    landmarker = await vision.FaceLandmarker.createFromOptions(fileset, {
      baseOptions: { modelAssetBuffer, delegate: 'CPU' },
      runningMode: mode,
      numFaces: options.maxFaces ?? DEFAULT_MAX_FACES[mode],
      outputFaceBlendshapes: false,
      outputFacialTransformationMatrixes: false,
    });
  } catch (error) {
    throw new DetectorUnavailableError(error instanceof Error ? error.message : String(error));
  }

  // MediaPipe's VIDEO mode rejects timestamps that do not increase.
  let lastTimestamp = -Infinity;
  const nextTimestamp = (requested?: number) => {
    lastTimestamp = Math.max(requested ?? performance.now(), lastTimestamp + 1);
    return lastTimestamp;
  };

  return {
    mode,
    detect(image, timestampMs) {
      const { width, height } = imageSize(image);
      if (!width || !height) throw new NotAnImageError('the image is empty');
      const result = mode === 'VIDEO' ? landmarker.detectForVideo(image, nextTimestamp(timestampMs)) : landmarker.detect(image);
      return selectFace(result.faceLandmarks, width, height, minFaceSizePx);
    },
    close() {
      landmarker.close();
    },
  };
}

/** A detector made on first use and then kept, for code that detects now and then. */
export interface LazyFaceDetector {
  /** The detector, made by the first call; a failed start is not kept, so the next call retries. */
  get(): Promise<FaceDetector>;
  /** Closes the detector if one was made; the next get() makes a new one. */
  close(): Promise<void>;
}

export function lazyFaceDetector(options: FaceDetectorOptions = {}, create = createFaceDetector): LazyFaceDetector {
  let detector: Promise<FaceDetector> | undefined;
  return {
    get() {
      if (!detector) {
        const started = create(options);
        detector = started;
        // A failed start (e.g. a missing model file) must not be cached forever.
        started.catch(() => {
          if (detector === started) detector = undefined;
        });
      }
      return detector;
    },
    async close() {
      const started = detector;
      detector = undefined;
      if (!started) return;
      try {
        (await started).close();
      } catch {
        // It never started: nothing to close.
      }
    },
  };
}

export interface DecodedImage {
  image: ImageBitmap;
  /** Size of the file's image before any downscale. */
  originalWidth: number;
  originalHeight: number;
  warnings: string[];
}

/**
 * Decodes an image file (EXIF orientation applied), downscaling anything over MAX_IMAGE_SIDE_PX.
 * Throws NotAnImageError for non-images and corrupt data.
 */
export async function decodeImageFile(file: Blob, maxSidePx = MAX_IMAGE_SIDE_PX): Promise<DecodedImage> {
  if (file.size === 0) throw new NotAnImageError('the file is empty');
  // The decoder decides, not the MIME type: servers and file pickers often label images vaguely.
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    const labelled =
      file.type && !file.type.startsWith('image/') ? `it is ${file.type}` : 'the data is corrupt or in an unsupported format';
    throw new NotAnImageError(labelled);
  }
  const originalWidth = bitmap.width;
  const originalHeight = bitmap.height;
  if (!originalWidth || !originalHeight) {
    bitmap.close();
    throw new NotAnImageError('the image is empty');
  }
  const warnings: string[] = [];
  const scale = maxSidePx / Math.max(originalWidth, originalHeight);
  if (scale < 1) {
    const resizeWidth = Math.max(1, Math.round(originalWidth * scale));
    const resizeHeight = Math.max(1, Math.round(originalHeight * scale));
    bitmap.close();
    bitmap = await createImageBitmap(file, { resizeWidth, resizeHeight, resizeQuality: 'high' });
    warnings.push(`The image is ${originalWidth}×${originalHeight} px; it was reduced to ${resizeWidth}×${resizeHeight} px.`);
  }
  return { image: bitmap, originalWidth, originalHeight, warnings };
}
