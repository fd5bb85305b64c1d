import { describe, expect, it, vi } from 'vitest';
import { lazyFaceDetector, selectFace, toPixelLandmarks, type FaceDetector } from './detector.ts';
import { DetectorUnavailableError, FaceTooSmallError, NoFaceError, toFaceErrorInfo } from './errors.ts';
import face478 from './__fixtures__/face478.json';
import { NUM_LANDMARKS } from './types.ts';

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

describe('toPixelLandmarks', () => {
  it('scales x and z by the width and y by the height', () => {
    expect(toPixelLandmarks([{ x: 0.5, y: 0.25, z: -0.1, visibility: 0 }], 200, 100)).toEqual([{ x: 100, y: 25, z: -20 }]);
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

  it('boxes the chosen face in pixels', () => {
    const result = selectFace([normalisedFace()], width, height);
    const xs = face478.landmarks.map((p) => p.x);
    const ys = face478.landmarks.map((p) => p.y);
    expect(result.box.x).toBeCloseTo(Math.min(...xs), 5);
    expect(result.box.y).toBeCloseTo(Math.min(...ys), 5);
    expect(result.box.width).toBeCloseTo(Math.max(...xs) - Math.min(...xs), 5);
    expect(result.box.height).toBeCloseTo(Math.max(...ys) - Math.min(...ys), 5);
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

describe('lazyFaceDetector', () => {
  const fakeDetector = () => ({ mode: 'IMAGE', detect: vi.fn(), close: vi.fn() }) as unknown as FaceDetector;

  it('makes the detector on first use, once, with the options given', async () => {
    const made = fakeDetector();
    const create = vi.fn(() => Promise.resolve(made));
    const lazy = lazyFaceDetector({ mode: 'IMAGE', minFaceSizePx: 0 }, create);
    expect(create).not.toHaveBeenCalled();
    const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
    expect(a).toBe(made);
    expect(b).toBe(made);
    expect(create).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledWith({ mode: 'IMAGE', minFaceSizePx: 0 });
  });

  it('forgets a failed start, so the next use retries', async () => {
    const made = fakeDetector();
    const create = vi.fn().mockRejectedValueOnce(new DetectorUnavailableError('no model')).mockResolvedValueOnce(made);
    const lazy = lazyFaceDetector({}, create);
    await expect(lazy.get()).rejects.toThrow(DetectorUnavailableError);
    await expect(lazy.get()).resolves.toBe(made);
    expect(create).toHaveBeenCalledTimes(2);
  });

  it('closes the detector it made, and makes a new one afterwards', async () => {
    const first = fakeDetector();
    const second = fakeDetector();
    const create = vi.fn().mockResolvedValueOnce(first).mockResolvedValueOnce(second);
    const lazy = lazyFaceDetector({}, create);
    await lazy.close(); // nothing made yet
    await lazy.get();
    await lazy.close();
    expect(first.close).toHaveBeenCalledTimes(1);
    await expect(lazy.get()).resolves.toBe(second);
  });

  it('closes quietly when the start failed', async () => {
    const lazy = lazyFaceDetector({}, () => Promise.reject(new Error('no model')));
    await expect(lazy.get()).rejects.toThrow('no model');
    await expect(lazy.close()).resolves.toBeUndefined();
  });
});
