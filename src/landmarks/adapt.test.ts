import { describe, expect, it } from 'vitest';
import { STABLE_POINT_INDICES, createLandmarkAdapter, createNeutralSeekingAdapter, measureFaceFrame, mostNeutralFrame } from './adapt.ts';
import { KEYPOINTS } from './contours.ts';
import { distance, rotatePointAbout } from './geometry.ts';
import { loadRealFaceFixture } from './real-face-fixture.ts';
import { makeSyntheticFace, type SyntheticFaceOptions } from './synthetic-face.ts';
import type { Landmarks, Point } from './types.ts';

const faceWidth = (p: Landmarks) => distance(p[KEYPOINTS.rightFaceSide], p[KEYPOINTS.leftFaceSide]);
const mouthGap = (p: Landmarks) => distance(p[KEYPOINTS.upperInnerLip], p[KEYPOINTS.lowerInnerLip]);
const eyeLineAngle = (p: Landmarks) => measureFaceFrame(p).angle;

/** Moves a face as a rigid head would: rotate and scale about a point, then translate. */
function movedHead(points: Landmarks, about: { x: number; y: number }, radians: number, scale: number, tx: number, ty: number): Point[] {
  return points.map((p) => {
    const r = rotatePointAbout(p, about, radians, scale);
    return { x: r.x + tx, y: r.y + ty, z: p.z * scale };
  });
}

function expectSameLandmarks(actual: Landmarks, expected: Landmarks, tolerance: number): void {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(
      worst,
      Math.abs(actual[i].x - expected[i].x),
      Math.abs(actual[i].y - expected[i].y),
      Math.abs(actual[i].z - expected[i].z),
    );
  }
  expect(worst).toBeLessThanOrEqual(tolerance);
}

const driverBase: SyntheticFaceOptions = { centerX: 300, centerY: 260, halfWidth: 100 };
const avatarBase: SyntheticFaceOptions = { centerX: 128, centerY: 140, halfWidth: 60, roll: -0.1 };

describe('createLandmarkAdapter', () => {
  it('reproduces the driver exactly when the avatar is the driver reference (self-reenactment)', () => {
    const reference = makeSyntheticFace(driverBase);
    const adapt = createLandmarkAdapter(reference, reference);
    const track = [
      reference,
      makeSyntheticFace({ ...driverBase, mouthOpen: 0.15, gazeX: -0.3 }),
      movedHead(makeSyntheticFace({ ...driverBase, mouthOpen: 0.05 }), { x: 280, y: 250 }, 0.25, 1.2, 14, -9),
      movedHead(reference, { x: 0, y: 0 }, -0.4, 0.7, 100, 50),
    ];
    for (const frame of track) expectSameLandmarks(adapt(frame), frame, 1e-6 * faceWidth(reference));
  });

  it("keeps the avatar's face shape when the driver has a wider face", () => {
    const wideReference = makeSyntheticFace({ ...driverBase, widthScale: 1.3 });
    const avatar = makeSyntheticFace(avatarBase);
    const adapt = createLandmarkAdapter(avatar, wideReference);
    // Neutral driver: the avatar comes out unchanged, not widened.
    expectSameLandmarks(adapt(wideReference), avatar, 1e-9 * faceWidth(avatar));
    const talking = adapt(makeSyntheticFace({ ...driverBase, widthScale: 1.3, mouthOpen: 0.2 }));
    expect(faceWidth(talking) / faceWidth(avatar)).toBeCloseTo(1, 6);
    expect(faceWidth(wideReference) / faceWidth(avatar)).toBeGreaterThan(2);
  });

  it("scales sideways motion by face width: a wide driver's smile is narrowed to fit the avatar", () => {
    const wideReference = makeSyntheticFace({ ...driverBase, widthScale: 1.3 });
    const avatar = makeSyntheticFace(avatarBase);
    const adapt = createLandmarkAdapter(avatar, wideReference);
    const smiling = wideReference.map((p) => ({ ...p }));
    smiling[KEYPOINTS.rightMouthCorner].x -= 10;
    smiling[KEYPOINTS.leftMouthCorner].x += 10;
    const out = adapt(smiling);
    const widthRatio = faceWidth(avatar) / faceWidth(wideReference);
    const heightRatio = 60 / 100;
    expect(Math.abs(widthRatio - heightRatio)).toBeGreaterThan(0.1);
    const corner = KEYPOINTS.leftMouthCorner;
    const move = { x: out[corner].x - avatar[corner].x, y: out[corner].y - avatar[corner].y };
    expect(Math.hypot(move.x, move.y)).toBeCloseTo(10 * widthRatio, 6);
    // Along the avatar's eye line, since the avatar's head is rolled.
    expect(Math.atan2(move.y, move.x)).toBeCloseTo(avatarBase.roll!, 6);
  });

  it("transfers mouth opening in proportion to the avatar's face size", () => {
    const reference = makeSyntheticFace(driverBase);
    const avatar = makeSyntheticFace(avatarBase);
    const adapt = createLandmarkAdapter(avatar, reference);
    const driverOpen = makeSyntheticFace({ ...driverBase, mouthOpen: 0.2 });
    const driverOpening = mouthGap(driverOpen) - mouthGap(reference);
    const avatarOpening = mouthGap(adapt(driverOpen)) - mouthGap(avatar);
    expect(driverOpening).toBeGreaterThan(15);
    // Heights scale by avatar/driver face size: 60 / 100.
    expect(avatarOpening / driverOpening).toBeCloseTo(0.6, 3);
    // The chin follows the jaw down, along the avatar's own (rolled) vertical axis.
    const chinBefore = avatar[KEYPOINTS.chin];
    const chinAfter = adapt(driverOpen)[KEYPOINTS.chin];
    const along = Math.atan2(chinAfter.y - chinBefore.y, chinAfter.x - chinBefore.x);
    expect(along).toBeCloseTo(Math.PI / 2 + avatarBase.roll!, 3);
  });

  it("rotates, scales and moves the avatar's head with the driver's, relative to face size", () => {
    const reference = makeSyntheticFace(driverBase);
    const avatar = makeSyntheticFace(avatarBase);
    const adapt = createLandmarkAdapter(avatar, reference);
    const stableCenter = (p: Landmarks) => {
      const xs = STABLE_POINT_INDICES.map((i) => p[i]);
      return { x: xs.reduce((a, q) => a + q.x, 0) / xs.length, y: xs.reduce((a, q) => a + q.y, 0) / xs.length };
    };
    const c = stableCenter(reference);
    // The driver turns 0.3 rad, comes 10 % closer and moves right by a fifth of its face width.
    const frame = movedHead(reference, c, 0.3, 1.1, 0.2 * faceWidth(reference), 0);
    const out = adapt(frame);
    expect(eyeLineAngle(out) - eyeLineAngle(avatar)).toBeCloseTo(0.3, 6);
    expect(faceWidth(out) / faceWidth(avatar)).toBeCloseTo(1.1, 6);
    const move = { x: stableCenter(out).x - stableCenter(avatar).x, y: stableCenter(out).y - stableCenter(avatar).y };
    // A fifth of the avatar's face width, along the avatar's own (rolled) x axis.
    expect(Math.hypot(move.x, move.y) / faceWidth(avatar)).toBeCloseTo(0.2, 6);
    expect(Math.atan2(move.y, move.x)).toBeCloseTo(avatarBase.roll!, 6);
    // Expression is untouched by pure head motion: the mouth stays closed (scaled with the head).
    expect(mouthGap(out) / mouthGap(avatar)).toBeCloseTo(1.1, 6);
  });

  it('works on a real MediaPipe face: exact self-reenactment, and a wider real driver does not widen the avatar', () => {
    const real = loadRealFaceFixture().landmarks;
    const self = createLandmarkAdapter(real, real);
    const turned = movedHead(real, { x: 180, y: 200 }, -0.2, 0.9, -12, 30);
    expectSameLandmarks(self(turned), turned, 1e-6 * faceWidth(real));

    // The same real expression track driven by a person with a 25 % wider face.
    const widen = (points: Landmarks) => points.map((p) => ({ x: 180 + 1.25 * (p.x - 180), y: p.y, z: p.z }));
    const avatar = makeSyntheticFace(avatarBase);
    const adapt = createLandmarkAdapter(avatar, widen(real));
    expect(faceWidth(adapt(widen(real))) / faceWidth(avatar)).toBeCloseTo(1, 9);
    const nodding = adapt(movedHead(widen(real), { x: 180, y: 200 }, 0.15, 1, 0, 0));
    expect(faceWidth(nodding) / faceWidth(avatar)).toBeCloseTo(1, 6);
    expect(eyeLineAngle(nodding) - eyeLineAngle(avatar)).toBeCloseTo(0.15, 6);
  });

  it('rejects landmark lists that are not 478 points', () => {
    const face = makeSyntheticFace(driverBase);
    expect(() => createLandmarkAdapter(face.slice(0, 100), face)).toThrow(/478/);
    expect(() => createLandmarkAdapter(face, face)(face.slice(0, 468))).toThrow(/478/);
  });
});

describe('createNeutralSeekingAdapter', () => {
  it('moves its reference to a more closed mouth, so a driver who starts open never crosses the avatar lips', () => {
    const avatar = makeSyntheticFace(avatarBase);
    const open = makeSyntheticFace({ ...driverBase, mouthOpen: 0.2 });
    const closed = makeSyntheticFace(driverBase);
    // The fixed reference of the first frame: closing the mouth pushes the avatar's lips past each other.
    const fixed = createLandmarkAdapter(avatar, open);
    const crossed = fixed(closed);
    expect(crossed[KEYPOINTS.lowerInnerLip].y - crossed[KEYPOINTS.upperInnerLip].y).toBeLessThan(-5);

    const seeking = createNeutralSeekingAdapter(avatar);
    expectSameLandmarks(seeking.adapt(open), avatar, 1e-6); // the first frame is the reference
    expect(seeking.referenceMouthOpening()).toBeGreaterThan(0.1);
    expectSameLandmarks(seeking.adapt(closed), avatar, 1e-6); // the closed mouth becomes the reference
    const reopened = seeking.adapt(open);
    expect(mouthGap(reopened) - mouthGap(avatar)).toBeGreaterThan(5); // and opening opens the avatar's
    // A small change (within the margin) keeps the reference; reset takes the next frame.
    const slightly = makeSyntheticFace({ ...driverBase, mouthOpen: 0.005 });
    const before = seeking.referenceMouthOpening();
    seeking.adapt(slightly);
    expect(seeking.referenceMouthOpening()).toBe(before);
    seeking.reset();
    expect(seeking.referenceMouthOpening()).toBeNull();
    expectSameLandmarks(seeking.adapt(open), avatar, 1e-6);
  });

  it('picks the most closed frame of a recorded sequence', () => {
    const frames = [0.2, 0.05, 0.0, 0.1].map((mouthOpen) => makeSyntheticFace({ ...driverBase, mouthOpen }));
    expect(mostNeutralFrame(frames)).toBe(2);
    expect(() => mostNeutralFrame([])).toThrow(/no frames/);
  });
});
