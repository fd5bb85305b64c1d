/**
 * One photo → what the avatar needs from it: the square face crop, the face's landmarks in crop
 * coordinates, and the landmark image. Runs wherever it is called (the app calls it in a worker).
 */
import { computeFaceCrop, mapLandmarksToCrop, resampleCrop } from './crop';
import { createFaceDetector, decodeImageFile, type FaceDetector } from './detector';
import { rasterizeLandmarks } from './rasterize';
import type { Landmarks, RgbaImage } from './types';
import { bitmapPixels } from '../util/bitmap';

export interface AnalyzedPhoto {
  crop: RgbaImage;
  landmarkImage: RgbaImage;
  /** The 478 points in crop pixel coordinates. */
  landmarks: Landmarks;
  warnings: string[];
}

let detector: Promise<FaceDetector> | undefined;
function imageDetector(): Promise<FaceDetector> {
  if (!detector) {
    detector = createFaceDetector({ mode: 'IMAGE' });
    // A failed start (e.g. missing model file) must not be cached forever: the next photo retries.
    detector.catch(() => (detector = undefined));
  }
  return detector;
}

/** Throws the typed errors of ./errors for files that cannot make an avatar. */
export async function analyzePhoto(file: Blob, size: number): Promise<AnalyzedPhoto> {
  const decoded = await decodeImageFile(file);
  try {
    const found = (await imageDetector()).detect(decoded.image);
    const transform = computeFaceCrop(found.landmarks, size);
    const landmarks = mapLandmarksToCrop(found.landmarks, transform);
    return {
      crop: resampleCrop(bitmapPixels(decoded.image), transform, size),
      landmarkImage: rasterizeLandmarks(landmarks, size),
      landmarks,
      warnings: [...decoded.warnings, ...found.warnings],
    };
  } finally {
    decoded.image.close();
  }
}
