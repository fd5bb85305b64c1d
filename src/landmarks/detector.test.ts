import { describe, expect, it } from 'vitest';
import { landmarkBox, selectFace, toPixelLandmarks } from './detector';
import { DetectorUnavailableError, FaceTooSmallError, NoFaceError, toFaceErrorInfo } from './errors';
import face478 from './__fixtures__/face478.json';
import { NUM_LANDMARKS } from './types';

/** The fixture face in MediaPipe's normalised coordinates, optionally shrunk and shifted. */
function normalisedFace(scale = 1, dx = 0, dy = 0) {
  const { width, height, landmarks } = face478;
  return landmarks.map((p) => ({ x: (p.x / width) * scale + dx, y: (p.y / height) * scale + dy, z: p.z / width, visibility: 0 }));
}

describe('landmark fixture', () => {
  it('holds 478 points inside its image, eyes level and apart', () => {
    expect(face478.landmarks).toHaveLength(NUM_LANDMARKS);
    for (const p of face478.landmarks) {
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.x).toBeLessThanOrEqual(face478.width);
      expect(p.y).toBeGreaterThanOrEqual(0);
      expect(p.y).toBeLessThanOrEqual(face478.height);
    }
    const [rightEye, leftEye] = [face478.landmarks[33], face478.landmarks[263]];
    expect(leftEye.x - rightEye.x).toBeGreaterThan(40);
    expect(Math.abs(leftEye.y - rightEye.y)).toBeLessThan(20);
  });
});

describe('toPixelLandmarks and landmarkBox', () => {
  it('scales x and z by the width and y by the height', () => {
    expect(toPixelLandmarks([{ x: 0.5, y: 0.25, z: -0.1, visibility: 0 }], 200, 100)).toEqual([{ x: 100, y: 25, z: -20 }]);
  });

  it('boxes the points', () => {
    const box = landmarkBox([
      { x: 10, y: 40, z: 0 },
      { x: 30, y: 20, z: 0 },
      { x: 20, y: 30, z: 0 },
    ]);
    expect(box).toEqual({ x: 10, y: 20, width: 20, height: 20 });
  });
});

describe('selectFace', () => {
  const { width, height } = face478;

  it('returns the face in pixels with its box', () => {
    const result = selectFace([normalisedFace()], width, height);
    expect(result.warnings).toEqual([]);
    expect(result.landmarks[33].x).toBeCloseTo(face478.landmarks[33].x, 5);
    expect(result.landmarks[33].y).toBeCloseTo(face478.landmarks[33].y, 5);
    expect(result.box.width).toBeGreaterThan(64);
    expect([result.width, result.height]).toEqual([width, height]);
  });

  it('rejects an image without faces', () => {
    expect(() => selectFace([], width, height)).toThrow(NoFaceError);
  });

  it('picks the largest of several faces and says so', () => {
    const small = normalisedFace(0.3, 0.6, 0.6);
    const large = normalisedFace();
    const result = selectFace([small, large], width, height);
    expect(result.landmarks[1].x).toBeCloseTo(face478.landmarks[1].x, 5);
    expect(result.warnings).toEqual(['2 faces were found; the largest one is used.']);
  });

  it('rejects a face under 64 px with its size in the message', () => {
    const tiny = normalisedFace(0.2);
    let caught: unknown;
    try {
      selectFace([tiny], width, height);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FaceTooSmallError);
    const error = caught as FaceTooSmallError;
    expect(error.code).toBe('face-too-small');
    expect(error.faceSizePx).toBeLessThan(64);
    expect(error.message).toContain(`${Math.round(error.faceSizePx)} px across; at least 64 px`);
  });

  it('refuses a model that does not give 478 points', () => {
    expect(() => selectFace([normalisedFace().slice(0, 468)], width, height)).toThrow(DetectorUnavailableError);
  });
});

describe('toFaceErrorInfo', () => {
  it('keeps code and message of pipeline errors and marks others unknown', () => {
    expect(toFaceErrorInfo(new NoFaceError())).toEqual({ code: 'no-face', message: new NoFaceError().message });
    expect(toFaceErrorInfo(new Error('boom'))).toEqual({ code: 'unknown', message: 'boom' });
  });
});
