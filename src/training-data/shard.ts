/**
 * Training shards. Each shard is two files, read by train/talking_heads/dataset_io.py with numpy, PIL and zlib only,
 * so the layouts are plain and documented here (all integers little-endian):
 *
 * shard-NNN.bin — per frame the face crop (JPEG) and the landmark image (the rasterizer's pixels):
 *   offset 0   header, 16 bytes: magic "THTS", u32 version (1), u32 frameCount N, u32 size S
 *   offset 16  frame table, N × 4 u32: cropOffset, cropLength, landmarkImageOffset, landmarkImageLength
 *              (offsets from the start of the file)
 *   then       per frame: the crop JPEG, then the landmark image as a zlib stream of raw RGB [S, S, 3]
 *
 * shard-NNN.landmarks.bin — the 478 landmarks of the same frames, in crop pixels:
 *   offset 0   header, 20 bytes: magic "THLM", u32 version (1), u32 frameCount N, u32 landmarkCount K,
 *              u32 landmarkScale Q
 *   offset 20  zlib stream of the int16 array [N, K, 3] (x, y, z × Q, rounded), byte-planed: all
 *              N·K·3 low bytes, then all high bytes
 *
 * Why two files: training needs only crops and landmark images, and the set has to travel to a GPU
 * machine with a tight size limit, so the landmarks (about a third of the bytes; used by evaluation
 * and analysis) can be left behind.
 * Why these encodings: the landmark image must reach the trainer bit-identical to what the app feeds
 * the generator, so it is stored losslessly; raw RGB + zlib is about 15 % smaller than the project's
 * RGBA PNG for these line drawings and needs no image decoder. Landmarks at 1/Q px (Q = 16 → 0.06 px)
 * are far below detector noise; byte-planing puts the nearly constant high bytes together, which
 * deflate shrinks to almost nothing.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { NUM_LANDMARKS, type Point, type RgbaImage } from '../landmarks/types.ts';

export const SHARD_MAGIC = 'THTS';
export const LANDMARKS_MAGIC = 'THLM';
export const SHARD_VERSION = 1;
const SHARD_HEADER_BYTES = 16;
const LANDMARKS_HEADER_BYTES = 20;
const FRAME_TABLE_ENTRY_BYTES = 16;
/** Fixed-point units per pixel for stored landmarks. */
export const DEFAULT_LANDMARK_SCALE = 16;

export interface ShardFrame {
  cropJpeg: Uint8Array;
  /** size × size, opaque (the rasterizer's output). */
  landmarkImage: RgbaImage;
  /** 478 points in crop pixels. */
  landmarks: readonly Point[];
}

export interface EncodedShard {
  images: Uint8Array;
  landmarks: Uint8Array;
}

export interface DecodedShardFrame {
  cropJpeg: Uint8Array;
  landmarkImage: RgbaImage;
}

function writeMagic(out: Uint8Array, magic: string): void {
  for (let i = 0; i < 4; i++) out[i] = magic.charCodeAt(i);
}

function readHeader(bytes: Uint8Array, magic: string, words: number): number[] {
  const found = String.fromCharCode(...bytes.subarray(0, 4));
  if (found !== magic) throw new Error(`shard: expected magic ${magic}, found ${JSON.stringify(found)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = Array.from({ length: words }, (_, i) => view.getUint32(4 + i * 4, true));
  if (values[0] !== SHARD_VERSION) throw new Error(`shard: version ${values[0]} is not supported`);
  return values;
}

/** RGBA → zlib(RGB). Refuses transparent pixels: the trainer reads RGB only, so alpha would be lost. */
export function encodeLandmarkImage(image: RgbaImage): Uint8Array {
  const pixels = image.width * image.height;
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    if (image.data[i * 4 + 3] !== 255) throw new Error('shard: landmark image must be opaque');
    rgb[i * 3] = image.data[i * 4];
    rgb[i * 3 + 1] = image.data[i * 4 + 1];
    rgb[i * 3 + 2] = image.data[i * 4 + 2];
  }
  return zlibSync(rgb, { level: 9 });
}

export function decodeLandmarkImage(bytes: Uint8Array, size: number): RgbaImage {
  const rgb = unzlibSync(bytes);
  if (rgb.length !== size * size * 3) throw new Error(`shard: landmark image has ${rgb.length} bytes, expected ${size * size * 3}`);
  const data = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    data[i * 4] = rgb[i * 3];
    data[i * 4 + 1] = rgb[i * 3 + 1];
    data[i * 4 + 2] = rgb[i * 3 + 2];
    data[i * 4 + 3] = 255;
  }
  return { width: size, height: size, data };
}

function quantize(value: number, scale: number): number {
  const q = Math.round(value * scale);
  if (!Number.isFinite(value) || q < -32768 || q > 32767) {
    throw new Error(`shard: landmark coordinate ${value} does not fit int16 at scale ${scale}`);
  }
  return q;
}

export function encodeLandmarkFile(frames: readonly (readonly Point[])[], scale = DEFAULT_LANDMARK_SCALE): Uint8Array {
  const values = frames.length * NUM_LANDMARKS * 3;
  const planes = new Uint8Array(values * 2);
  let v = 0;
  for (const points of frames) {
    if (points.length !== NUM_LANDMARKS) throw new Error(`shard: a frame has ${points.length} landmarks, expected ${NUM_LANDMARKS}`);
    for (const p of points) {
      for (const coordinate of [p.x, p.y, p.z]) {
        const q = quantize(coordinate, scale) & 0xffff;
        planes[v] = q & 0xff;
        planes[values + v] = q >>> 8;
        v++;
      }
    }
  }
  const compressed = zlibSync(planes, { level: 9 });
  const out = new Uint8Array(LANDMARKS_HEADER_BYTES + compressed.length);
  writeMagic(out, LANDMARKS_MAGIC);
  const view = new DataView(out.buffer);
  [SHARD_VERSION, frames.length, NUM_LANDMARKS, scale].forEach((value, i) => view.setUint32(4 + i * 4, value, true));
  out.set(compressed, LANDMARKS_HEADER_BYTES);
  return out;
}

/** Dequantised landmarks: multiples of 1 / landmarkScale. */
export function decodeLandmarkFile(bytes: Uint8Array): { landmarkScale: number; frames: Point[][] } {
  const [, frameCount, landmarkCount, scale] = readHeader(bytes, LANDMARKS_MAGIC, 4);
  const planes = unzlibSync(bytes.subarray(LANDMARKS_HEADER_BYTES));
  const values = frameCount * landmarkCount * 3;
  if (planes.length !== values * 2) throw new Error(`shard: landmark block has ${planes.length} bytes, expected ${values * 2}`);
  const coordinate = (v: number) => ((((planes[values + v] << 8) | planes[v]) << 16) >> 16) / scale;
  const frames: Point[][] = [];
  for (let f = 0; f < frameCount; f++) {
    const points: Point[] = [];
    for (let k = 0; k < landmarkCount; k++) {
      const v = (f * landmarkCount + k) * 3;
      points.push({ x: coordinate(v), y: coordinate(v + 1), z: coordinate(v + 2) });
    }
    frames.push(points);
  }
  return { landmarkScale: scale, frames };
}

export function encodeImageShard(frames: readonly Omit<ShardFrame, 'landmarks'>[], size: number): Uint8Array {
  const landmarkImages = frames.map((frame) => {
    if (frame.landmarkImage.width !== size || frame.landmarkImage.height !== size) {
      throw new Error(`shard: landmark image is ${frame.landmarkImage.width}×${frame.landmarkImage.height}, expected ${size}×${size}`);
    }
    return encodeLandmarkImage(frame.landmarkImage);
  });
  const dataStart = SHARD_HEADER_BYTES + frames.length * FRAME_TABLE_ENTRY_BYTES;
  let total = dataStart;
  for (let i = 0; i < frames.length; i++) total += frames[i].cropJpeg.length + landmarkImages[i].length;

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  writeMagic(out, SHARD_MAGIC);
  [SHARD_VERSION, frames.length, size].forEach((value, i) => view.setUint32(4 + i * 4, value, true));
  let cursor = dataStart;
  frames.forEach((frame, i) => {
    const entry = SHARD_HEADER_BYTES + i * FRAME_TABLE_ENTRY_BYTES;
    view.setUint32(entry, cursor, true);
    view.setUint32(entry + 4, frame.cropJpeg.length, true);
    out.set(frame.cropJpeg, cursor);
    cursor += frame.cropJpeg.length;
    view.setUint32(entry + 8, cursor, true);
    view.setUint32(entry + 12, landmarkImages[i].length, true);
    out.set(landmarkImages[i], cursor);
    cursor += landmarkImages[i].length;
  });
  return out;
}

export function decodeImageShard(bytes: Uint8Array): { size: number; frames: DecodedShardFrame[] } {
  const [, frameCount, size] = readHeader(bytes, SHARD_MAGIC, 3);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: DecodedShardFrame[] = [];
  for (let i = 0; i < frameCount; i++) {
    const entry = SHARD_HEADER_BYTES + i * FRAME_TABLE_ENTRY_BYTES;
    const [cropOffset, cropLength, imageOffset, imageLength] = [0, 4, 8, 12].map((d) => view.getUint32(entry + d, true));
    frames.push({
      cropJpeg: bytes.slice(cropOffset, cropOffset + cropLength),
      landmarkImage: decodeLandmarkImage(bytes.subarray(imageOffset, imageOffset + imageLength), size),
    });
  }
  return { size, frames };
}

export function encodeShard(frames: readonly ShardFrame[], size: number, landmarkScale = DEFAULT_LANDMARK_SCALE): EncodedShard {
  return {
    images: encodeImageShard(frames, size),
    landmarks: encodeLandmarkFile(
      frames.map((f) => f.landmarks),
      landmarkScale,
    ),
  };
}
