// Each cross-identity metric on synthetic cases whose right answer is known: a frozen output, an
// output that follows exactly, a known head rotation, a still or flickering background.
import { describe, expect, it } from 'vitest';
import { STABLE_POINT_INDICES } from '../landmarks/adapt.ts';
import { KEYPOINTS } from '../landmarks/contours.ts';
import { makeSyntheticFace } from '../landmarks/synthetic-face.ts';
import type { Landmarks, Point, RgbaImage } from '../landmarks/types.ts';
import {
  backgroundFlicker,
  expressionSignals,
  EYE_LIDS,
  eyeOpenness,
  followCorrelation,
  headRotation,
  identitySimilarity,
  landmarkJitter,
  poseError,
} from './cross-metrics.ts';

/** A deterministic pseudo-random sequence in [0, 1). */
function lcg(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A face whose points all lie off one plane (z varies), so a 3D rotation is recoverable. */
function solidFace(seed = 1): Point[] {
  const random = lcg(seed);
  return makeSyntheticFace({ centerX: 128, centerY: 128, halfWidth: 60 }).map((p) => ({ ...p, z: (random() - 0.5) * 80 }));
}

function rotate(points: Landmarks, { yaw, pitch, roll }: { yaw: number; pitch: number; roll: number }, scale = 1, shift = 0): Point[] {
  const [a, b, c] = [pitch, yaw, roll].map((d) => (d * Math.PI) / 180);
  // R = Rz(roll) · Ry(yaw) · Rx(pitch)
  const rx = (p: Point): Point => ({ x: p.x, y: p.y * Math.cos(a) - p.z * Math.sin(a), z: p.y * Math.sin(a) + p.z * Math.cos(a) });
  const ry = (p: Point): Point => ({ x: p.x * Math.cos(b) + p.z * Math.sin(b), y: p.y, z: -p.x * Math.sin(b) + p.z * Math.cos(b) });
  const rz = (p: Point): Point => ({ x: p.x * Math.cos(c) - p.y * Math.sin(c), y: p.x * Math.sin(c) + p.y * Math.cos(c), z: p.z });
  return points.map((p) => {
    const r = rz(ry(rx({ x: p.x - 128, y: p.y - 128, z: p.z })));
    return { x: scale * r.x + 128 + shift, y: scale * r.y + 128 - shift, z: scale * r.z };
  });
}

function image(size: number, pixel: (x: number, y: number) => number): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = pixel(x, y);
      data.set([v, v, v, 255], (y * size + x) * 4);
    }
  }
  return { width: size, height: size, data };
}

describe('identitySimilarity', () => {
  it("is 1 for the driver's own frames as output, and falls for other embeddings", () => {
    const driver = [
      [1, 0.2, 0],
      [0.9, 0.1, 0.1],
      [1.1, 0.3, -0.1],
    ];
    expect(identitySimilarity(driver, driver)).toBeCloseTo(1, 12);
    expect(identitySimilarity([[0, 0, 1]], driver)).toBeLessThan(0.1);
    expect(identitySimilarity([[0, 0, 1]], [[0, 0, 2]])).toBeCloseTo(1, 12);
    expect(identitySimilarity([], driver)).toBeNaN();
  });
});

describe('followCorrelation', () => {
  const driver = [0, 0.1, 0.4, 0.2, 0.5, 0.05, 0.3];
  it('is 1 for an output that follows (any scale and offset), −1 for one that mirrors it', () => {
    expect(followCorrelation(driver, driver)).toBeCloseTo(1, 12);
    expect(
      followCorrelation(
        driver,
        driver.map((d) => 0.3 * d + 2),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      followCorrelation(
        driver,
        driver.map((d) => -d),
      ),
    ).toBeCloseTo(-1, 12);
  });

  it('is 0 for a frozen output and undefined for a driver that does not move', () => {
    expect(
      followCorrelation(
        driver,
        driver.map(() => 0.25),
      ),
    ).toBe(0);
    expect(
      followCorrelation(
        driver.map(() => 0.1),
        driver,
      ),
    ).toBeNaN();
  });

  it('is about 0 for an unrelated output, and skips frames without a face', () => {
    const random = lcg(7);
    const a = Array.from({ length: 4000 }, () => random());
    const b = Array.from({ length: 4000 }, () => random());
    expect(Math.abs(followCorrelation(a, b))).toBeLessThan(0.05);
    expect(followCorrelation([...driver, 9], [...driver, Number.NaN])).toBeCloseTo(1, 12);
    expect(followCorrelation([1, 2], [1, 2])).toBeNaN();
    expect(() => followCorrelation([1, 2, 3], [1, 2])).toThrow(/3 driver values, 2 output values/);
  });
});

describe('eyeOpenness and expression signals', () => {
  it('is the lid gap over the inter-ocular distance, both eyes averaged', () => {
    const face = makeSyntheticFace({ centerX: 100, centerY: 100, halfWidth: 50 }).map((p) => ({ ...p }));
    const iod = Math.hypot(face[KEYPOINTS.leftEyeOuter].x - face[KEYPOINTS.rightEyeOuter].x, 0);
    for (const eye of [EYE_LIDS.right, EYE_LIDS.left]) {
      face[eye.upper] = { x: 0, y: 90, z: 0 };
      face[eye.lower] = { x: 0, y: 90, z: 0 };
    }
    expect(eyeOpenness(face)).toBe(0);
    face[EYE_LIDS.right.lower] = { x: 0, y: 100, z: 0 };
    face[EYE_LIDS.left.lower] = { x: 0, y: 96, z: 0 };
    expect(eyeOpenness(face)).toBeCloseTo(8 / iod, 12);
  });

  it('gives NaN where no face was found', () => {
    const open = makeSyntheticFace({ centerX: 100, centerY: 100, halfWidth: 50, mouthOpen: 0.3 });
    const signals = expressionSignals([open, null]);
    expect(signals.mouth[0]).toBeGreaterThan(0);
    expect(signals.mouth[1]).toBeNaN();
    expect(signals.eyes[1]).toBeNaN();
  });
});

describe('headRotation and poseError', () => {
  const face = solidFace();
  it('is zero for the same pose, whatever the scale and position', () => {
    const e = poseError(face, rotate(face, { yaw: 0, pitch: 0, roll: 0 }, 0.6, 20));
    expect(e.mean).toBeLessThan(1e-6);
  });

  it('recovers a known yaw, pitch and roll in degrees', () => {
    const r = headRotation(face, rotate(face, { yaw: 20, pitch: -10, roll: 5 }, 1.3, -7));
    expect(r.yaw).toBeCloseTo(20, 6);
    expect(r.pitch).toBeCloseTo(-10, 6);
    expect(r.roll).toBeCloseTo(5, 6);
    const e = poseError(face, rotate(face, { yaw: -15, pitch: 0, roll: 0 }));
    expect(e.yaw).toBeCloseTo(15, 6);
    expect(e.mean).toBeCloseTo(5, 6);
  });

  it('uses the expression-stable points only: an open mouth is no pose change', () => {
    const closed = solidFace(3);
    const open = closed.map((p, i) => (STABLE_POINT_INDICES.includes(i) ? p : { ...p, y: p.y + 15 }));
    expect(poseError(closed, open).mean).toBeLessThan(1e-6);
  });
});

describe('landmarkJitter', () => {
  const still = makeSyntheticFace({ centerX: 128, centerY: 128, halfWidth: 60 });
  const moving = [0, 2, 5, 9].map((dx) => still.map((p) => ({ ...p, x: p.x + dx })));
  it('is 0 for an output that follows the driving landmarks exactly (offset allowed) or stands still', () => {
    expect(landmarkJitter(moving, moving)).toBe(0);
    expect(
      landmarkJitter(
        moving,
        moving.map((f) => f.map((p) => ({ ...p, y: p.y + 30 }))),
      ),
    ).toBe(0);
    expect(
      landmarkJitter(
        moving,
        moving.map(() => still),
      ),
    ).toBe(0);
  });

  it('measures motion beyond the driver, over the inter-ocular distance, skipping frames without a face', () => {
    const iod = Math.abs(still[KEYPOINTS.leftEyeOuter].x - still[KEYPOINTS.rightEyeOuter].x);
    const steady = [still, still, still];
    const shaking = [0, 3, 0].map((dy) => still.map((p) => ({ ...p, y: p.y + dy })));
    expect(landmarkJitter(steady, shaking)).toBeCloseTo(3 / iod, 12);
    expect(landmarkJitter(steady, [shaking[0], shaking[1], null])).toBeCloseTo(3 / iod, 12);
    expect(landmarkJitter(steady, [shaking[0], null, shaking[2]])).toBeNaN();
  });
});

describe('backgroundFlicker', () => {
  const face = makeSyntheticFace({ centerX: 32, centerY: 32, halfWidth: 10 });
  const faces = [face, face, face];
  it('is 0 for a still background even when the face changes', () => {
    const frames = [0, 1, 2].map((t) => image(64, (x, y) => (Math.abs(x - 32) < 8 && Math.abs(y - 32) < 8 ? 50 * t : 100)));
    expect(backgroundFlicker(frames, faces)).toBe(0);
  });

  it('is the mean luma change (0–255) of the background between consecutive frames', () => {
    const frames = [100, 110, 100].map((v) => image(64, () => v));
    expect(backgroundFlicker(frames, faces)).toBeCloseTo(10, 9);
    expect(backgroundFlicker(frames.slice(0, 1), faces.slice(0, 1))).toBeNaN();
  });
});
