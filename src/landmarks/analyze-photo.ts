/**
 * One photo → what the avatar needs from it: the square face crop, the face's landmarks in crop
 * coordinates, and the landmark image. Runs wherever it is called (the app calls it in a worker).
 */
import { computeFaceCrop, mapLandmarksToCrop, resampleCrop } from './crop.ts';
import { decodeImageFile, lazyFaceDetector } from './detector.ts';
import { rasterizeLandmarks } from './rasterize.ts';
import type { Landmarks, RgbaImage } from './types.ts';
import { bitmapPixels } from '../util/bitmap.ts';

export interface AnalyzedPhoto {
  crop: RgbaImage;
  landmarkImage: RgbaImage;
  /** The 478 points in crop pixel coordinates. */
  landmarks: Landmarks;
  warnings: string[];
}

/** Made on the first photo; a failed start (e.g. a missing model file) is retried on the next. */
const imageDetector = lazyFaceDetector({ mode: 'IMAGE' });

/** Throws the typed errors of ./errors for files that cannot make an avatar. */
export async function analyzePhoto(file: Blob, size: number): Promise<AnalyzedPhoto> {
  const decoded = await decodeImageFile(file);
  try {
    const found = (await imageDetector.get()).detect(decoded.image);
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
