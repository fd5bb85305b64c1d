// A landmark track (driving motion without pixels): per frame, the 478 points in crop coordinates
// with the crop side = 1, stored as int16 x, y in units of 1/TRACK_SCALE (range ±2 crop sides).
import type { Landmarks, Point } from './types.ts';
import { NUM_LANDMARKS } from './types.ts';

export const TRACK_SCALE = 16384;

export interface DemoTrackMeta {
  fps: number;
  frames: number;
  source: string;
}

export function encodeTrack(frames: readonly Landmarks[]): Uint8Array {
  const values = new Int16Array(frames.length * NUM_LANDMARKS * 2);
  frames.forEach((points, f) =>
    points.forEach((p, i) => {
      const at = (f * NUM_LANDMARKS + i) * 2;
      values[at] = Math.max(-32768, Math.min(32767, Math.round(p.x * TRACK_SCALE)));
      values[at + 1] = Math.max(-32768, Math.min(32767, Math.round(p.y * TRACK_SCALE)));
    }),
  );
  return new Uint8Array(values.buffer);
}

/** Frames of points scaled to a crop of side `size` px (z is 0: the rasterizer draws in 2-D). */
export function decodeTrack(bytes: Uint8Array, size: number): Point[][] {
  const values = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const count = values.length / (NUM_LANDMARKS * 2);
  if (!Number.isInteger(count)) throw new Error(`landmark track: ${bytes.byteLength} bytes is not a whole number of frames`);
  const frames: Point[][] = [];
  for (let f = 0; f < count; f++) {
    const points: Point[] = [];
    for (let i = 0; i < NUM_LANDMARKS; i++) {
      const at = (f * NUM_LANDMARKS + i) * 2;
      points.push({ x: (values[at] / TRACK_SCALE) * size, y: (values[at + 1] / TRACK_SCALE) * size, z: 0 });
    }
    frames.push(points);
  }
  return frames;
}
