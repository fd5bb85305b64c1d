import { describe, expect, it } from 'vitest';
import { KEYPOINTS } from '../landmarks/contours.ts';
import { NUM_LANDMARKS, type Landmarks } from '../landmarks/types.ts';
import { mouthOpening } from '../landmarks/expression.ts';
import { widestMouthOverRuns, widestMouthTarget } from './mouth-opening.ts';

/** A face with eyes `eyes` apart and inner lips `gap` apart (everything else at the origin). */
function face(gap: number, eyes = 40): Landmarks {
  const points = Array.from({ length: NUM_LANDMARKS }, () => ({ x: 0, y: 0, z: 0 }));
  points[KEYPOINTS.rightEyeOuter] = { x: 100, y: 100, z: 0 };
  points[KEYPOINTS.leftEyeOuter] = { x: 100 + eyes, y: 100, z: 0 };
  points[KEYPOINTS.upperInnerLip] = { x: 120, y: 150, z: 3 };
  points[KEYPOINTS.lowerInnerLip] = { x: 120, y: 150 + gap, z: -5 };
  return points;
}

describe('mouthOpening', () => {
  it('is the inner-lip gap (13–14) over the inter-ocular distance, whatever the scale', () => {
    expect(mouthOpening(face(0))).toBe(0);
    expect(mouthOpening(face(10))).toBeCloseTo(0.25, 12);
    expect(mouthOpening(face(20, 80))).toBeCloseTo(0.25, 12);
  });

  it('refuses too few points and a zero inter-ocular distance', () => {
    expect(() => mouthOpening(face(5).slice(0, 10))).toThrow(/needs MediaPipe points/);
    expect(() => mouthOpening(face(5, 0))).toThrow(/inter-ocular/);
  });
});

describe('widestMouthTarget', () => {
  it('picks the target opening most beyond its own source (a difference, not a ratio)', () => {
    // Target 1 opens widest in absolute terms but its source is open too; target 2 gains most.
    const targets = [face(4), face(16), face(12)];
    const sources = [face(0), face(14), face(1)];
    const widest = widestMouthTarget(targets, sources);
    expect(widest.index).toBe(2);
    expect(widest.targetOpening).toBeCloseTo(0.3, 12);
    expect(widest.sourceOpening).toBeCloseTo(0.025, 12);
    expect(widest.gain).toBeCloseTo(0.275, 12);
  });

  it('takes the first on ties, reports a negative gain when every driver closes, and checks its input', () => {
    expect(widestMouthTarget([face(4), face(4)], [face(0), face(0)]).index).toBe(0);
    expect(widestMouthTarget([face(2), face(0)], [face(10), face(10)]).gain).toBeLessThan(0);
    expect(() => widestMouthTarget([], [])).toThrow(/at least one/);
    expect(() => widestMouthTarget([face(1)], [])).toThrow(/as many sources/);
  });
});

describe('widestMouthOverRuns', () => {
  it('finds the run and target with the widest gap (a T = 1 closed-lipped photo beats T = 8 nearer ones)', () => {
    const targets = [face(4), face(16)];
    const runs = new Map([
      [1, [face(0), face(0)]],
      [8, [face(4), face(14)]],
    ]);
    const widest = widestMouthOverRuns(targets, runs)!;
    expect(widest.T).toBe(1);
    expect(widest.index).toBe(1);
    expect(widest.gain).toBeCloseTo(0.4, 12);
  });

  it('takes the first run on ties and is null without runs', () => {
    const same = [face(0)];
    expect(
      widestMouthOverRuns(
        [face(8)],
        new Map([
          [8, same],
          [1, same],
        ]),
      )!.T,
    ).toBe(8);
    expect(widestMouthOverRuns([face(8)], new Map())).toBeNull();
  });
});
