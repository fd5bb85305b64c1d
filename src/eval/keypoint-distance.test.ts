import { describe, expect, it } from 'vitest';
import { interOcularDistance } from '../landmarks/expression.ts';
import { averageKeypointDistance } from './keypoint-distance.ts';
import { loadRealFaceFixture } from '../landmarks/real-face-fixture.ts';
import type { Point } from '../landmarks/types.ts';

function face(): Point[] {
  return loadRealFaceFixture().landmarks;
}

describe('interOcularDistance', () => {
  it('measures between points 33 and 263 in x and y only', () => {
    const points: Point[] = Array.from({ length: 478 }, () => ({ x: 0, y: 0, z: 0 }));
    points[33] = { x: 10, y: 20, z: 5 };
    points[263] = { x: 13, y: 24, z: -50 };
    expect(interOcularDistance(points)).toBe(5);
  });

  it('explains itself when the points are too few', () => {
    expect(() => interOcularDistance([{ x: 0, y: 0 }])).toThrow(/33 and 263, got 1 points/);
  });
});

describe('averageKeypointDistance', () => {
  it('is 0 for identical landmarks', () => {
    expect(averageKeypointDistance(face(), face())).toBe(0);
  });

  it('is the shift length over the inter-ocular distance for a uniform shift', () => {
    const driver = face();
    const detected = driver.map((p) => ({ x: p.x + 3, y: p.y - 4, z: p.z + 100 }));
    expect(averageKeypointDistance(detected, driver)).toBeCloseTo(5 / interOcularDistance(driver), 12);
  });

  it('does not change when both faces are scaled together', () => {
    const driver = face();
    const detected = driver.map((p, k) => ({ ...p, x: p.x + Math.sin(k), y: p.y + Math.cos(k) }));
    const scale = (points: Point[]) => points.map((p) => ({ x: p.x * 2.5, y: p.y * 2.5, z: p.z }));
    expect(averageKeypointDistance(scale(detected), scale(driver))).toBeCloseTo(averageKeypointDistance(detected, driver), 12);
  });

  it('normalises by the driver, not the detected face', () => {
    const driver = face();
    const detected = driver.map((p) => ({ ...p, x: p.x * 2, y: p.y * 2 }));
    const meanDistance = driver.reduce((s, p) => s + Math.hypot(p.x, p.y), 0) / driver.length;
    expect(averageKeypointDistance(detected, driver)).toBeCloseTo(meanDistance / interOcularDistance(driver), 12);
  });

  it('rejects mismatched lengths and a degenerate driver', () => {
    expect(() => averageKeypointDistance(face().slice(0, 400), face())).toThrow(/400 detected points but 478 driver/);
    const collapsed = face().map(() => ({ x: 1, y: 1, z: 0 }));
    expect(() => averageKeypointDistance(face(), collapsed)).toThrow(/inter-ocular distance is 0/);
  });

  it('propagates non-finite coordinates as NaN', () => {
    const detected = face();
    detected[5] = { x: Number.NaN, y: 0, z: 0 };
    expect(averageKeypointDistance(detected, face())).toBeNaN();
  });
});
