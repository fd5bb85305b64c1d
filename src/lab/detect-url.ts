/**
 * The lab's one way through an image URL: fetch → decode (→ mirror, on request) → detect → take the
 * result → close the bitmap. Every failure (HTTP, decoding, no face, no detector) comes back as
 * { error: { code, message } }, because the lab's callers reach it through page.evaluate, where
 * exceptions lose their type.
 */
import { decodeImageFile, type DecodedImage, type DetectionResult, type FaceDetector } from '../landmarks/detector.ts';
import { toFaceErrorInfo, type FaceErrorInfo } from '../landmarks/errors.ts';
import { mirroredBitmap } from '../util/bitmap.ts';

export interface DetectUrlOptions {
  /** Mirror the decoded image left to right before detection (a mirrored photo is just another photo). */
  mirror?: boolean;
}

export async function detectInImageUrl<T>(
  detector: () => Promise<FaceDetector>,
  imageUrl: string,
  take: (detection: DetectionResult, decoded: DecodedImage) => T | Promise<T>,
  options: DetectUrlOptions = {},
): Promise<T | { error: FaceErrorInfo }> {
  try {
    const found = await detector();
    const response = await fetch(imageUrl);
    if (!response.ok) throw new Error(`${imageUrl}: HTTP ${response.status}`);
    const decoded = await decodeImageFile(await response.blob());
    if (options.mirror) {
      const original = decoded.image;
      try {
        decoded.image = mirroredBitmap(original);
      } finally {
        original.close();
      }
    }
    try {
      return await take(found.detect(decoded.image), decoded);
    } finally {
      decoded.image.close();
    }
  } catch (error) {
    return { error: toFaceErrorInfo(error) };
  }
}
