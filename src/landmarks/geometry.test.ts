/** The shared 2-D geometry helpers: the bounding box of a point set, landmarks moved between crop sizes. */
import { describe, expect, it } from 'vitest';
import { boundingBox, scalePoints } from './geometry.ts';

describe('boundingBox', () => {
  it('boxes the points', () => {
    const box = boundingBox([
      { x: 10, y: 40 },
      { x: 30, y: 20 },
      { x: 20, y: 30 },
    ]);
    expect(box).toEqual({ minX: 10, minY: 20, maxX: 30, maxY: 40 });
  });

  it('passes over points that are not finite', () => {
    const points = [
      { x: 1, y: 2 },
      { x: NaN, y: 100 },
      { x: 3, y: Infinity },
      { x: 5, y: 6 },
    ];
    expect(boundingBox(points)).toEqual({ minX: 1, minY: 2, maxX: 5, maxY: 6 });
  });

  it('throws when no point is finite', () => {
    expect(() => boundingBox([])).toThrow(/no finite points/);
    expect(() => boundingBox([{ x: NaN, y: 0 }])).toThrow(/no finite points/);
  });
});

describe('scalePoints', () => {
  it('moves points from one square to another, z like x', () => {
    expect(scalePoints([{ x: 10, y: 20, z: -4 }], 128, 256)).toEqual([{ x: 20, y: 40, z: -8 }]);
  });

  it('gives the points back unchanged for the same size', () => {
    const points = [{ x: 1.5, y: 2.5, z: 0.25 }];
    expect(scalePoints(points, 64, 64)).toBe(points);
  });
});
