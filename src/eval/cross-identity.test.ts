// Cross-identity plumbing: deterministic pairs, the driving frames taken from a clip, landmark
// adaptation as the app applies it, one pair scored on a fake lab page with known answers, and pairs
// summarised into rows.
import { describe, expect, it } from 'vitest';
import type { EvalImage, LabEvaluationApi } from '../lab/evaluate.ts';
import { KEYPOINTS } from '../landmarks/contours.ts';
import { makeSyntheticFace } from '../landmarks/synthetic-face.ts';
import type { RgbaImage } from '../landmarks/types.ts';
import {
  adaptationFollow,
  adaptDriving,
  CROSS_METRICS,
  drivingFrameIndices,
  pairDrivers,
  scoreCrossPair,
  summarizeCross,
  type CrossScore,
  type DrivingClip,
} from './cross-identity.ts';
import { encode } from './eval-image.ts';

describe('pairDrivers', () => {
  it("drives each source with another person's clip, spread over the clips, the same every run", () => {
    const sources = ['videos/a', 'videos/b', 'videos/c', 'identities/x', 'identities/y'];
    const drivers = ['videos/a', 'videos/b', 'videos/c'];
    const pairs = pairDrivers(sources, drivers);
    expect(pairs).toEqual([
      { source: 'videos/a', driver: 'videos/b' },
      { source: 'videos/b', driver: 'videos/c' },
      { source: 'videos/c', driver: 'videos/a' },
      { source: 'identities/x', driver: 'videos/a' },
      { source: 'identities/y', driver: 'videos/b' },
    ]);
    for (const p of pairs) expect(p.driver).not.toBe(p.source);
    expect(pairDrivers(sources, drivers)).toEqual(pairs);
  });

  it('leaves a source without a driver when the only clip is its own', () => {
    expect(pairDrivers(['videos/a', 'identities/x'], ['videos/a'])).toEqual([
      { source: 'videos/a', driver: null },
      { source: 'identities/x', driver: 'videos/a' },
    ]);
  });
});

describe('drivingFrameIndices', () => {
  it('takes frames `step` apart from the middle of the clip, earlier when the second half is short', () => {
    expect(drivingFrameIndices(100, 4, 2)).toEqual([50, 52, 54, 56]);
    expect(drivingFrameIndices(20, 8, 2)).toEqual([5, 7, 9, 11, 13, 15, 17, 19]);
    expect(drivingFrameIndices(5, 8, 2)).toEqual([0, 2, 4]);
  });
});

describe('adaptDriving', () => {
  const driver = [0, 0.1, 0.3].map((mouthOpen) => makeSyntheticFace({ centerX: 128, centerY: 120, halfWidth: 60, mouthOpen }));
  it("reproduces the driver's landmarks when the avatar is the driver's first frame (self-reenactment)", () => {
    const adapted = adaptDriving(driver[0], driver);
    adapted.forEach((frame, t) =>
      frame.forEach((p, i) => {
        expect(p.x).toBeCloseTo(driver[t][i].x, 6);
        expect(p.y).toBeCloseTo(driver[t][i].y, 6);
      }),
    );
  });

  it("keeps the avatar's face (its position and width), moving it as the driver moves", () => {
    const avatar = makeSyntheticFace({ centerX: 100, centerY: 140, halfWidth: 40, widthScale: 1.2 });
    const adapted = adaptDriving(avatar, driver);
    // Frame 0 is the neutral reference: the avatar as it is.
    adapted[0].forEach((p, i) => expect(p.x).toBeCloseTo(avatar[i].x, 6));
    expect(adaptDriving(avatar, [])).toEqual([]);
  });

  it("follows the driver's mouth (correlation 1) from a closed first frame, and from an open one once the driver closes", () => {
    const avatar = makeSyntheticFace({ centerX: 100, centerY: 140, halfWidth: 40 });
    const face = (mouthOpen: number) => makeSyntheticFace({ centerX: 128, centerY: 120, halfWidth: 60, mouthOpen });
    const opening = [0, 0.1, 0.3, 0.05, 0.2].map(face);
    expect(adaptationFollow(opening, adaptDriving(avatar, opening)).mouthCorr).toBeCloseTo(1, 6);
    // First frame wide open: the reference moves to the closed mouth of frame 2, so the avatar's lips
    // never cross (a fixed first-frame reference pushed them past each other) and follow from there.
    const fromOpen = [0.3, 0, 0.1, 0.3, 0.05, 0.2].map(face);
    const driving = adaptDriving(avatar, fromOpen);
    expect(adaptationFollow(fromOpen.slice(1), driving.slice(1)).mouthCorr).toBeCloseTo(1, 6);
    for (const points of driving) expect(points[KEYPOINTS.lowerInnerLip].y - points[KEYPOINTS.upperInnerLip].y).toBeGreaterThan(-1e-6);
  });
});

describe('summarizeCross', () => {
  const score = (source: string, method: CrossScore['method'], generator: string | null, T: number, value: number): CrossScore => ({
    source,
    driver: 'videos/d',
    method,
    generator,
    T,
    frames: 4,
    faceFound: 1,
    idSource: value,
    idDriver: 1 - value,
    mouthCorr: value,
    eyeCorr: value,
    poseErr: 10 * value,
    poseYaw: value,
    posePitch: value,
    poseRoll: value,
    jitter: value / 10,
    flicker: value,
    sharpness: value,
  });

  it('gives one row per method, generator and T, ordered as the self-reenactment table, mean ± ci95 over pairs', () => {
    const rows = summarizeCross(
      [
        score('a', 'ff', 'paper', 1, 0.2),
        score('a', 'ff', 'warp', 1, 0.6),
        score('a', 'copy', null, 1, 0.9),
        score('b', 'ff', 'warp', 1, 0.8),
        score('a', 'warp', null, 8, 0.5),
      ],
      ['warp', 'paper'],
    );
    expect(rows.map((r) => `${r.method}-${r.generator}@${r.T}`)).toEqual(['copy-null@1', 'ff-warp@1', 'ff-paper@1', 'warp-null@8']);
    const ffWarp = rows[1];
    expect(ffWarp.pairs).toBe(2);
    expect(ffWarp.frames).toBe(8);
    expect(ffWarp.idSource.mean).toBeCloseTo(0.7, 12);
    expect(ffWarp.idDriver.mean).toBeCloseTo(0.3, 12);
    expect(ffWarp.idSource.ci95).toBeGreaterThan(0);
    for (const { key } of CROSS_METRICS) expect(ffWarp[key].n).toBe(2);
    expect(rows[0].idSource.ci95).toBeNaN();
  });
});

describe('scoreCrossPair', () => {
  // A fake lab page: the embedding of an image is its mean colour; the detector finds the landmarks a
  // frame was drawn from (looked up by its first pixel, which encodes the frame number).
  const size = 64;
  const frame = (t: number, shade: number): RgbaImage => {
    const data = new Uint8ClampedArray(size * size * 4);
    for (let p = 0; p < size * size; p++) data.set([shade, 255 - shade, (p * 7) % 256, 255], p * 4);
    data.set([t, 0, 0, 255], 0);
    return { width: size, height: size, data };
  };
  const opening = [0, 0.1, 0.3, 0.05, 0.2, 0.15];
  const points = opening.map((mouthOpen, t) => makeSyntheticFace({ centerX: 32 + t * 0.5, centerY: 30, halfWidth: 14, mouthOpen }));
  const driverCrops = opening.map((_, t) => frame(t, 200));
  const sourcePhoto = frame(99, 40);
  const landmarksOf = (image: EvalImage) => {
    const t = Buffer.from(image.rgbaBase64, 'base64')[0];
    const found = t === 99 ? points[0] : points[t];
    return found.flatMap((p) => [p.x, p.y, p.z]);
  };
  const meanColour = (image: EvalImage) => {
    const bytes = Buffer.from(image.rgbaBase64, 'base64');
    const sum = [0, 0, 0];
    for (let i = 0; i < bytes.length; i += 4) for (let c = 0; c < 3; c++) sum[c] += bytes[i + c];
    return sum.map((v) => v / (bytes.length / 4));
  };
  const api = {
    faceresIdentity: async (images: EvalImage[]) => images.map(meanColour),
    detect: async (image: EvalImage) => landmarksOf(image),
  } as unknown as LabEvaluationApi;
  const clip: DrivingClip = { driver: 'videos/d', fps: 15, crops: driverCrops, points, dropped: 0 };

  it("gives the driver's own frames as output idDriver = 1 and perfect following; a frozen photo follows nothing", async () => {
    const scores = await scoreCrossPair(api, {
      source: 'identities/s',
      clip,
      // Self-adaptation: the driving landmarks are the driver's own.
      driving: adaptDriving(points[0], points),
      cropSize: size,
      metricSize: size,
      sourceFrames: [sourcePhoto],
      sourcePoints: [points[0]],
      sourceEmbeddings: [meanColour(encode(sourcePhoto))],
      generated: [
        { method: 'copy', generator: null, T: 1, frames: points.map(() => sourcePhoto) },
        { method: 'ff', generator: 'g', T: 1, frames: driverCrops },
      ],
    });
    const [copy, driverAsOutput] = scores;
    expect(driverAsOutput.idDriver).toBeCloseTo(1, 12);
    expect(driverAsOutput.idSource).toBeLessThan(driverAsOutput.idDriver);
    expect(driverAsOutput.mouthCorr).toBeCloseTo(1, 9);
    expect(driverAsOutput.poseErr).toBeLessThan(1e-6);
    expect(driverAsOutput.jitter).toBeCloseTo(0, 9);
    expect(driverAsOutput.faceFound).toBe(1);
    expect(copy.mouthCorr).toBe(0);
    expect(copy.eyeCorr).toBeNaN(); // The synthetic driver never blinks: nothing to follow.
    expect(copy.flicker).toBe(0);
    expect(copy.jitter).toBe(0);
    expect(copy.idSource).toBeCloseTo(1, 12);
    // The source's own photo, measured in face boxes that move with the driver by a few pixels: about 1.
    expect(Math.abs(copy.sharpness - 1)).toBeLessThan(0.1);
  });
});
