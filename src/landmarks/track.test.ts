import { describe, expect, it } from 'vitest';
import { loadRealFaceFixture } from './real-face-fixture.ts';
import { computeFaceCrop, mapLandmarksToCrop } from './crop.ts';
import { decodeTrack, encodeTrack, TRACK_SCALE } from './track.ts';

describe('landmark track', () => {
  it('round-trips frames within the quantisation step, scaled to any crop size', () => {
    const fixture = loadRealFaceFixture();
    const unit = mapLandmarksToCrop(fixture.landmarks, computeFaceCrop(fixture.landmarks, 1));
    const shifted = unit.map((p) => ({ ...p, x: p.x + 0.01 }));
    const decoded = decodeTrack(encodeTrack([unit, shifted]), 256);
    expect(decoded).toHaveLength(2);
    const err = Math.max(...decoded.flatMap((frame, f) => frame.map((p, i) => Math.abs(p.x / 256 - [unit, shifted][f][i].x))));
    expect(err).toBeLessThanOrEqual(0.5 / TRACK_SCALE + 1e-9);
    expect(decoded[1][0].x - decoded[0][0].x).toBeCloseTo(0.01 * 256, 1);
  });

  it('rejects a truncated file', () => {
    expect(() => decodeTrack(new Uint8Array(10), 256)).toThrow(/whole number of frames/);
  });
});
