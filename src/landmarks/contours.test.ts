import { FaceLandmarker } from '@mediapipe/tasks-vision';
import { describe, expect, it } from 'vitest';
import { CONTOUR_PARTS, FACE_OVAL, IRIS_PARTS, JAW, PUPIL_COLOR, drawnLandmarkIndices, type ContourPartName } from './contours.ts';
import { loadRealFaceFixture } from './real-face-fixture.ts';
import { NUM_LANDMARKS, type Point } from './types.ts';

type Connection = { start: number; end: number };

const edgeKey = (a: number, b: number) => `${Math.min(a, b)}-${Math.max(a, b)}`;
const edgeSet = (connections: readonly Connection[]) => new Set(connections.map((c) => edgeKey(c.start, c.end)));

function polylineEdges(indices: readonly number[], closed: boolean): string[] {
  const edges: string[] = [];
  for (let k = 0; k + 1 < indices.length; k++) edges.push(edgeKey(indices[k], indices[k + 1]));
  if (closed) edges.push(edgeKey(indices[indices.length - 1], indices[0]));
  return edges;
}

function part(name: ContourPartName) {
  const found = CONTOUR_PARTS.find((p) => p.name === name);
  if (!found) throw new Error(`missing part ${name}`);
  return found;
}

/** MediaPipe's own connection lists, from the installed tasks-vision package (the source of truth). */
const mediapipe = {
  oval: edgeSet(FaceLandmarker.FACE_LANDMARKS_FACE_OVAL),
  lips: edgeSet(FaceLandmarker.FACE_LANDMARKS_LIPS),
  leftEye: edgeSet(FaceLandmarker.FACE_LANDMARKS_LEFT_EYE),
  rightEye: edgeSet(FaceLandmarker.FACE_LANDMARKS_RIGHT_EYE),
  leftBrow: edgeSet(FaceLandmarker.FACE_LANDMARKS_LEFT_EYEBROW),
  rightBrow: edgeSet(FaceLandmarker.FACE_LANDMARKS_RIGHT_EYEBROW),
  leftIris: edgeSet(FaceLandmarker.FACE_LANDMARKS_LEFT_IRIS),
  rightIris: edgeSet(FaceLandmarker.FACE_LANDMARKS_RIGHT_IRIS),
  mesh: edgeSet(FaceLandmarker.FACE_LANDMARKS_TESSELATION),
};

describe('contour table', () => {
  it("traces each eye exactly along MediaPipe's eye outline of the same side", () => {
    expect(new Set(polylineEdges(part('rightEye').indices, true))).toEqual(mediapipe.rightEye);
    expect(new Set(polylineEdges(part('leftEye').indices, true))).toEqual(mediapipe.leftEye);
  });

  it("traces the outer and inner lips, which together are MediaPipe's lip outline", () => {
    const outer = polylineEdges(part('outerLips').indices, true);
    const inner = polylineEdges(part('innerLips').indices, true);
    expect(new Set([...outer, ...inner])).toEqual(mediapipe.lips);
    // The outer ring goes through the mouth corners 61/291, the inner one through 78/308.
    expect(part('outerLips').indices).toEqual(expect.arrayContaining([61, 291, 0, 17]));
    expect(part('innerLips').indices).toEqual(expect.arrayContaining([78, 308, 13, 14]));
  });

  it('uses the face oval for the jaw, from face side to face side through the chin', () => {
    expect(new Set(polylineEdges(FACE_OVAL, true))).toEqual(mediapipe.oval);
    for (const edge of polylineEdges(JAW, false)) expect(mediapipe.oval.has(edge), edge).toBe(true);
    expect(JAW[0]).toBe(234);
    expect(JAW[JAW.length - 1]).toBe(454);
    expect(JAW[(JAW.length - 1) / 2]).toBe(152);
  });

  it("draws each brow along its own side's MediaPipe brow", () => {
    for (const edge of polylineEdges(part('rightBrow').indices, false)) expect(mediapipe.rightBrow.has(edge), edge).toBe(true);
    for (const edge of polylineEdges(part('leftBrow').indices, false)) expect(mediapipe.leftBrow.has(edge), edge).toBe(true);
  });

  it('follows mesh edges for the nose, which has no MediaPipe contour set', () => {
    for (const name of ['noseBridge', 'noseBase'] as const) {
      for (const edge of polylineEdges(part(name).indices, false)) expect(mediapipe.mesh.has(edge), `${name} ${edge}`).toBe(true);
    }
  });

  it('pairs each iris ring with its own side and centre', () => {
    const right = IRIS_PARTS.find((p) => p.name === 'rightIris')!;
    const left = IRIS_PARTS.find((p) => p.name === 'leftIris')!;
    expect(new Set(polylineEdges(right.ring, true))).toEqual(mediapipe.rightIris);
    expect(new Set(polylineEdges(left.ring, true))).toEqual(mediapipe.leftIris);
    expect(right.center).toBe(468);
    expect(left.center).toBe(473);
  });

  it('gives every part its own visible colour', () => {
    const colors = [...CONTOUR_PARTS.map((p) => p.color), ...IRIS_PARTS.map((p) => p.ringColor), PUPIL_COLOR];
    expect(new Set(colors.map((c) => c.join(','))).size).toBe(colors.length);
    for (const c of colors) expect(Math.max(...c)).toBeGreaterThanOrEqual(100);
  });

  it('only uses valid landmark indices', () => {
    const indices = drawnLandmarkIndices();
    expect(indices.every((i) => Number.isInteger(i) && i >= 0 && i < NUM_LANDMARKS)).toBe(true);
    expect(indices).toContain(477);
  });

  it("matches a real MediaPipe face: each iris centre lies inside its own eye, subject's right on the image left", () => {
    const face = loadRealFaceFixture().landmarks;
    const insidePolygon = (p: Point, ring: readonly number[]) => {
      let inside = false;
      for (let k = 0, j = ring.length - 1; k < ring.length; j = k++) {
        const a = face[ring[k]];
        const b = face[ring[j]];
        if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
      }
      return inside;
    };
    expect(insidePolygon(face[468], part('rightEye').indices)).toBe(true);
    expect(insidePolygon(face[473], part('leftEye').indices)).toBe(true);
    expect(face[468].x).toBeLessThan(face[473].x);
    // Jaw: the chin (152) is the lowest jaw point and the jaw ends are the widest.
    const jawY = JAW.map((i) => face[i].y);
    expect(Math.max(...jawY)).toBeCloseTo(face[152].y, 0);
    expect(face[JAW[0]].x).toBeLessThan(face[152].x);
    expect(face[JAW[JAW.length - 1]].x).toBeGreaterThan(face[152].x);
  });
});
