import { describe, expect, it } from 'vitest';
import { rasterizeLandmarks } from '../landmarks/rasterize.ts';
import { makeSyntheticFace } from '../landmarks/synthetic-face.ts';
import { NUM_LANDMARKS, type Point } from '../landmarks/types.ts';
import {
  decodeImageShard,
  decodeLandmarkFile,
  DEFAULT_LANDMARK_SCALE,
  encodeImageShard,
  encodeLandmarkFile,
  encodeShard,
} from './shard.ts';

const SIZE = 32;

function face(shift: number): Point[] {
  return makeSyntheticFace({ centerX: 16 + shift, centerY: 17, halfWidth: 9, mouthOpen: shift / 10, gazeX: 0.2 });
}

function fakeJpeg(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('image shard', () => {
  it('round-trips crops byte for byte and landmark images pixel for pixel', () => {
    const frames = [0, 1, 2].map((k) => ({ cropJpeg: fakeJpeg(100 + 37 * k, k), landmarkImage: rasterizeLandmarks(face(k), SIZE) }));
    const decoded = decodeImageShard(encodeImageShard(frames, SIZE));
    expect(decoded.size).toBe(SIZE);
    expect(decoded.frames).toHaveLength(3);
    decoded.frames.forEach((frame, k) => {
      expect(Array.from(frame.cropJpeg)).toEqual(Array.from(frames[k].cropJpeg));
      expect(Array.from(frame.landmarkImage.data)).toEqual(Array.from(frames[k].landmarkImage.data));
    });
    // The frames differ, so a decoder that mixed them up would fail above; make sure they do.
    expect(Array.from(decoded.frames[0].landmarkImage.data)).not.toEqual(Array.from(decoded.frames[2].landmarkImage.data));
  });

  it('writes the documented header and frame table', () => {
    const frames = [{ cropJpeg: fakeJpeg(10, 0), landmarkImage: rasterizeLandmarks(face(0), SIZE) }];
    const bytes = encodeImageShard(frames, SIZE);
    const view = new DataView(bytes.buffer);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('THTS');
    expect([4, 8, 12].map((o) => view.getUint32(o, true))).toEqual([1, 1, SIZE]);
    const [cropOffset, cropLength, imageOffset, imageLength] = [16, 20, 24, 28].map((o) => view.getUint32(o, true));
    expect([cropOffset, cropLength, imageOffset]).toEqual([32, 10, 42]);
    expect(imageOffset + imageLength).toBe(bytes.length);
    expect(bytes[imageOffset]).toBe(0x78); // zlib stream header
  });

  it('refuses a landmark image of the wrong size or with transparency', () => {
    const wrongSize = { cropJpeg: fakeJpeg(4, 0), landmarkImage: rasterizeLandmarks(face(0), 16) };
    expect(() => encodeImageShard([wrongSize], SIZE)).toThrow(/16×16/);
    const transparent = rasterizeLandmarks(face(0), SIZE);
    transparent.data[3] = 0;
    expect(() => encodeImageShard([{ cropJpeg: fakeJpeg(4, 0), landmarkImage: transparent }], SIZE)).toThrow(/opaque/);
  });

  it('rejects a file of another kind', () => {
    const landmarks = encodeLandmarkFile([face(0)]);
    expect(() => decodeImageShard(landmarks)).toThrow(/THTS/);
  });
});

describe('landmark file', () => {
  it('round-trips to within half a fixed-point step, negatives included', () => {
    const points = face(1).map((p, i) => ({ x: p.x - 20, y: p.y + i / 1000, z: -p.z - 3.3 }));
    const decoded = decodeLandmarkFile(encodeLandmarkFile([points, face(2)]));
    expect(decoded.landmarkScale).toBe(DEFAULT_LANDMARK_SCALE);
    expect(decoded.frames).toHaveLength(2);
    expect(decoded.frames[0]).toHaveLength(NUM_LANDMARKS);
    const step = 1 / DEFAULT_LANDMARK_SCALE;
    decoded.frames[0].forEach((p, i) => {
      expect(Math.abs(p.x - points[i].x)).toBeLessThanOrEqual(step / 2);
      expect(Math.abs(p.y - points[i].y)).toBeLessThanOrEqual(step / 2);
      expect(Math.abs(p.z - points[i].z)).toBeLessThanOrEqual(step / 2);
    });
    expect(Math.min(...decoded.frames[0].map((p) => p.x))).toBeLessThan(0);
  });

  it('stores low bytes, then high bytes, of x·Q, y·Q, z·Q', async () => {
    const { unzlibSync } = await import('fflate');
    const points = Array.from({ length: NUM_LANDMARKS }, () => ({ x: 0, y: 0, z: 0 }));
    points[0] = { x: 1.5, y: -1, z: 300 }; // 24, -16, 4800 at Q = 16
    const bytes = encodeLandmarkFile([points]);
    const view = new DataView(bytes.buffer);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('THLM');
    expect([4, 8, 12, 16].map((o) => view.getUint32(o, true))).toEqual([1, 1, NUM_LANDMARKS, 16]);
    const planes = unzlibSync(bytes.subarray(20));
    const n = NUM_LANDMARKS * 3;
    const value = (v: number) => (((planes[n + v] << 8) | planes[v]) << 16) >> 16;
    expect([value(0), value(1), value(2)]).toEqual([24, -16, 4800]);
  });

  it('refuses coordinates that do not fit int16 and wrong point counts', () => {
    const far = face(0).map((p) => ({ ...p, x: p.x + 5000 }));
    expect(() => encodeLandmarkFile([far])).toThrow(/int16/);
    expect(() => encodeLandmarkFile([face(0).slice(1)])).toThrow(/477 landmarks/);
  });
});

describe('encodeShard', () => {
  it('keeps the two files in step', () => {
    const frames = [0, 1].map((k) => ({ cropJpeg: fakeJpeg(20, k), landmarkImage: rasterizeLandmarks(face(k), SIZE), landmarks: face(k) }));
    const encoded = encodeShard(frames, SIZE);
    expect(decodeImageShard(encoded.images).frames).toHaveLength(2);
    expect(decodeLandmarkFile(encoded.landmarks).frames[1][33].x).toBeCloseTo(face(1)[33].x, 1);
  });
});
