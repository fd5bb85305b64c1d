/**
 * The lab's one way through an image URL: fetch → decode → detect → take the result → close the bitmap. Every
 * failure (HTTP, decoding, no face, no detector) comes back as { error: { code, message } }, because
 * the lab's callers reach it through page.evaluate, where exceptions lose their type.
 */
import { decodeImageFile, type DecodedImage, type DetectionResult, type FaceDetector } from '../landmarks/detector.ts';
import { toFaceErrorInfo, type FaceErrorInfo } from '../landmarks/errors.ts';

export async function detectInImageUrl<T>(
  detector: () => Promise<FaceDetector>,
  imageUrl: string,
  take: (detection: DetectionResult, decoded: DecodedImage) => T | Promise<T>,
): Promise<T | { error: FaceErrorInfo }> {
  try {
    const found = await detector();
    const response = await fetch(imageUrl);
    if (!response.ok) throw new Error(`${imageUrl}: HTTP ${response.status}`);
    const decoded = await decodeImageFile(await response.blob());
    try {
      return await take(found.detect(decoded.image), decoded);
    } finally {
      decoded.image.close();
    }
  } catch (error) {
    return { error: toFaceErrorInfo(error) };
  }
}
