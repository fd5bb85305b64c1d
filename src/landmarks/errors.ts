/**
 * Typed failures of the landmark pipeline. Each carries a stable `code` for programs and a `message`
 * written for the person who chose the photo, so the UI can show it as is.
 */
export type FaceErrorCode = 'no-face' | 'face-too-small' | 'not-an-image' | 'detector-unavailable';

export class FaceInputError extends Error {
  readonly code: FaceErrorCode;

  constructor(code: FaceErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

export class NoFaceError extends FaceInputError {
  constructor(message = 'No face was found in this image. Use a photo where one face is clearly visible.') {
    super('no-face', message);
  }
}

export class FaceTooSmallError extends FaceInputError {
  /** Larger side of the face box, in pixels of the analysed image. */
  readonly faceSizePx: number;
  readonly minFaceSizePx: number;

  constructor(faceSizePx: number, minFaceSizePx: number) {
    super(
      'face-too-small',
      `The face is too small (${Math.round(faceSizePx)} px across; at least ${minFaceSizePx} px is needed). ` +
        'Use a closer or higher-resolution photo.',
    );
    this.faceSizePx = faceSizePx;
    this.minFaceSizePx = minFaceSizePx;
  }
}

export class NotAnImageError extends FaceInputError {
  constructor(detail?: string) {
    super('not-an-image', `This file could not be read as an image${detail ? ` (${detail})` : ''}. Use a JPEG, PNG or WebP photo.`);
  }
}

/** The face model or its runtime could not be loaded (missing file, failed download, bad bundle). */
export class DetectorUnavailableError extends FaceInputError {
  constructor(detail: string) {
    super('detector-unavailable', `The face detector could not be started: ${detail}`);
  }
}

/** Plain-data form of an error: survives postMessage / Comlink / page.evaluate, where classes do not. */
export interface FaceErrorInfo {
  code: FaceErrorCode | 'unknown';
  message: string;
}

export function toFaceErrorInfo(error: unknown): FaceErrorInfo {
  if (error instanceof FaceInputError) return { code: error.code, message: error.message };
  return { code: 'unknown', message: error instanceof Error ? error.message : String(error) };
}
