import { describe, expect, it } from 'vitest';
import { KEYPOINTS, drawnLandmarkIndices } from './contours.ts';
import { makeSyntheticFace } from './synthetic-face.ts';
import { NUM_LANDMARKS } from './types.ts';

describe('makeSyntheticFace', () => {
  const face = makeSyntheticFace({ centerX: 200, centerY: 150, halfWidth: 80 });

  it('has 478 finite points with the anatomy in the right places', () => {
    expect(face).toHaveLength(NUM_LANDMARKS);
    expect(face.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && Number.isFinite(p.z))).toBe(true);
    const at = (i: number) => face[i];
    // Subject's right on the image left; forehead above eyes above nose tip above mouth above chin.
    expect(at(KEYPOINTS.rightEyeOuter).x).toBeLessThan(at(KEYPOINTS.rightEyeInner).x);
    expect(at(KEYPOINTS.rightEyeInner).x).toBeLessThan(at(KEYPOINTS.leftEyeInner).x);
    expect(at(KEYPOINTS.leftEyeInner).x).toBeLessThan(at(KEYPOINTS.leftEyeOuter).x);
    const ys = [KEYPOINTS.foreheadTop, KEYPOINTS.rightEyeOuter, KEYPOINTS.noseTip, KEYPOINTS.upperInnerLip, KEYPOINTS.chin].map(
      (i) => at(i).y,
    );
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    // The face sides sit 10 degrees above the oval's widest point, at ear level.
    expect(at(KEYPOINTS.rightFaceSide).x).toBeCloseTo(200 - 80 * Math.cos(Math.PI / 18), 6);
    expect(at(KEYPOINTS.leftFaceSide).x).toBeCloseTo(200 + 80 * Math.cos(Math.PI / 18), 6);
  });

  it('places every drawn index away from the face centre and is deterministic', () => {
    for (const i of drawnLandmarkIndices()) expect(Math.hypot(face[i].x - 200, face[i].y - 150), `index ${i}`).toBeGreaterThan(1);
    expect(makeSyntheticFace({ centerX: 200, centerY: 150, halfWidth: 80 })).toEqual(face);
  });

  it('opens the mouth by dropping the lower lip and the chin', () => {
    const open = makeSyntheticFace({ centerX: 200, centerY: 150, halfWidth: 80, mouthOpen: 0.25 });
    expect(open[KEYPOINTS.lowerInnerLip].y - face[KEYPOINTS.lowerInnerLip].y).toBeCloseTo(20, 6);
    expect(open[KEYPOINTS.upperInnerLip].y).toBeCloseTo(face[KEYPOINTS.upperInnerLip].y, 9);
    expect(open[KEYPOINTS.chin].y - face[KEYPOINTS.chin].y).toBeCloseTo(20, 6);
    expect(open[KEYPOINTS.rightEyeOuter]).toEqual(face[KEYPOINTS.rightEyeOuter]);
  });
});
