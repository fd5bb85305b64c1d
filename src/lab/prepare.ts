/**
 * window.lab.prepareSamples: the browser half of training-set preparation
 * (scripts/prepare-training-set.ts). Per image (mirrored first, on request) it runs the app's own
 * detector once, then for each requested size the crop choice and crop resampler, and JPEG-encodes
 * each crop with Chromium's encoder (one detection serves every size a run prepares). The
 * landmark image is not drawn here: the rasterizer is pure TypeScript and bit-identical everywhere,
 * so the Node side draws it from these exact landmarks and the page does only what needs a browser.
 *
 * Results are plain data (JPEG as base64, landmarks as a flat number array) because page.evaluate
 * serialises through JSON-like values; errors come back as { error } for the same reason.
 */
import { bitmapPixels, toImageData } from '../util/bitmap.ts';
import { computeFaceCrop, mapLandmarksToCrop, resampleCrop, type CropTransform } from '../landmarks/crop.ts';
import { lazyFaceDetector } from '../landmarks/detector.ts';
import type { FaceErrorInfo } from '../landmarks/errors.ts';
import type { RgbaImage } from '../landmarks/types.ts';
import { detectInImageUrl } from './detect-url.ts';

export interface PrepareSampleOptions {
  /** Sides of the square crops in pixels: one crop per size, from the same detection. */
  sizes: readonly number[];
  /** Chromium JPEG quality, 0..1. */
  jpegQuality: number;
  /** Mirror each image left to right before detection (the training set's mirrored photos). */
  mirror?: boolean;
}

/** One size's crop of a prepared image. */
export interface PreparedCrop {
  size: number;
  cropJpegBase64: string;
  /** 478 × (x, y, z) in crop pixels, flattened, at full double precision. */
  landmarks: number[];
  /** Where the crop lies in the source image (source pixels). */
  crop: Pick<CropTransform, 'x0' | 'y0' | 'side'>;
}

export interface PreparedSample {
  /** One crop per requested size, in the order of PrepareSampleOptions.sizes. */
  crops: PreparedCrop[];
  sourceWidth: number;
  sourceHeight: number;
  warnings: string[];
}

export type PrepareSampleResult = PreparedSample | { error: FaceErrorInfo };

export interface LabPrepareApi {
  /** One result per URL, in order; a failing image never fails the batch. */
  prepareSamples(imageUrls: string[], options: PrepareSampleOptions): Promise<PrepareSampleResult[]>;
}

async function encodeJpeg(image: RgbaImage, quality: number): Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('2D canvas is unavailable in this browser');
  ctx.putImageData(toImageData(image), 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
  return new Uint8Array(await blob.arrayBuffer());
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  // Chunked: String.fromCharCode with one argument per byte overflows the stack on large arrays.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function createPrepareApi(): LabPrepareApi {
  // Training keeps faces the app would refuse as too small (64 px): the preparation script applies
  // its own limit on how far a crop may be upscaled, which depends on the training resolution.
  const detector = lazyFaceDetector({ mode: 'IMAGE', minFaceSizePx: 0 });

  const prepareOne = (imageUrl: string, options: PrepareSampleOptions): Promise<PrepareSampleResult> =>
    detectInImageUrl(
      detector.get,
      imageUrl,
      async (detection, decoded) => {
        const pixels = bitmapPixels(decoded.image);
        const crops: PreparedCrop[] = [];
        for (const size of options.sizes) {
          const transform = computeFaceCrop(detection.landmarks, size);
          const crop = resampleCrop(pixels, transform, size);
          crops.push({
            size,
            cropJpegBase64: toBase64(await encodeJpeg(crop, options.jpegQuality)),
            landmarks: mapLandmarksToCrop(detection.landmarks, transform).flatMap((p) => [p.x, p.y, p.z]),
            crop: { x0: transform.x0, y0: transform.y0, side: transform.side },
          });
        }
        return {
          crops,
          sourceWidth: detection.width,
          sourceHeight: detection.height,
          warnings: [...decoded.warnings, ...detection.warnings],
        };
      },
      { mirror: options.mirror },
    );

  return {
    async prepareSamples(imageUrls, options) {
      const results: PrepareSampleResult[] = [];
      for (const url of imageUrls) results.push(await prepareOne(url, options));
      return results;
    },
  };
}
