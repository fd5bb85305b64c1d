/**
 * Training shard: one binary file holding, per frame, the face crop (JPEG), the landmark image
 * (exactly the rasterizer's pixels) and the 478 landmarks in crop coordinates. Read by
 * train/dataset_io.py with numpy, PIL and zlib only, so the layout is plain and documented here.
 *
 * Layout, all integers little-endian:
 *
 *   offset 0   header, 40 bytes:
 *              magic "THTS", u32 version (1), u32 frameCount N, u32 size S, u32 landmarkCount K (478),
 *              u32 landmarkScale Q, u32 landmarksOffset, u32 landmarksLength, u32 0, u32 0
 *   offset 40  frame table, N × 4 u32: cropOffset, cropLength, landmarkImageOffset, landmarkImageLength
 *              (offsets from the start of the file)
 *   then       landmarks: zlib stream of the int16 array [N, K, 3] (x, y, z in crop pixels × Q,
 *              rounded), byte-planed: all N·K·3 low bytes, then all high bytes
 *   then       per frame: the crop JPEG, then the landmark image as a zlib stream of raw RGB [S, S, 3]
 *
 * Why these encodings: the landmark image must reach the trainer bit-identical to what the app
 * feeds the generator, so it is stored losslessly; raw RGB + zlib is about 15 % smaller than the
 * project's RGBA PNG for these line drawings and needs no image decoder. Landmarks at 1/Q px
 * (Q = 16 → 0.06 px) are far below detector noise; byte-planing puts the nearly constant high bytes
 * together, which deflate shrinks to almost nothing.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { NUM_LANDMARKS, type Point, type RgbaImage } from '../landmarks/types.ts';

export const SHARD_MAGIC = 'THTS';
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 40;
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

export interface DecodedShardFrame {
  cropJpeg: Uint8Array;
  landmarkImage: RgbaImage;
  /** Dequantised: multiples of 1 / landmarkScale. */
  landmarks: Point[];
}

export interface DecodedShard {
  size: number;
  landmarkScale: number;
  frames: DecodedShardFrame[];
}

function quantize(value: number, scale: number): number {
  const q = Math.round(value * scale);
  if (!Number.isFinite(value) || q < -32768 || q > 32767) {
    throw new Error(`shard: landmark coordinate ${value} does not fit int16 at scale ${scale}`);
  }
  return q;
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

function encodeLandmarks(frames: readonly ShardFrame[], scale: number): Uint8Array {
  const values = frames.length * NUM_LANDMARKS * 3;
  const planes = new Uint8Array(values * 2);
  let v = 0;
  for (const frame of frames) {
    if (frame.landmarks.length !== NUM_LANDMARKS) {
      throw new Error(`shard: a frame has ${frame.landmarks.length} landmarks, expected ${NUM_LANDMARKS}`);
    }
    for (const p of frame.landmarks) {
      for (const coordinate of [p.x, p.y, p.z]) {
        const q = quantize(coordinate, scale) & 0xffff;
        planes[v] = q & 0xff;
        planes[values + v] = q >>> 8;
        v++;
      }
    }
  }
  return zlibSync(planes, { level: 9 });
}

function decodeLandmarks(bytes: Uint8Array, frameCount: number, landmarkCount: number, scale: number): Point[][] {
  const planes = unzlibSync(bytes);
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
  return frames;
}

export function encodeShard(frames: readonly ShardFrame[], size: number, landmarkScale = DEFAULT_LANDMARK_SCALE): Uint8Array {
  const landmarkImages = frames.map((frame) => {
    if (frame.landmarkImage.width !== size || frame.landmarkImage.height !== size) {
      throw new Error(`shard: landmark image is ${frame.landmarkImage.width}×${frame.landmarkImage.height}, expected ${size}×${size}`);
    }
    return encodeLandmarkImage(frame.landmarkImage);
  });
  const landmarks = encodeLandmarks(frames, landmarkScale);
  const tableBytes = frames.length * FRAME_TABLE_ENTRY_BYTES;
  const landmarksOffset = SHARD_HEADER_BYTES + tableBytes;
  let total = landmarksOffset + landmarks.length;
  for (let i = 0; i < frames.length; i++) total += frames[i].cropJpeg.length + landmarkImages[i].length;

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = SHARD_MAGIC.charCodeAt(i);
  const header = [SHARD_VERSION, frames.length, size, NUM_LANDMARKS, landmarkScale, landmarksOffset, landmarks.length, 0, 0];
  header.forEach((value, i) => view.setUint32(4 + i * 4, value, true));
  out.set(landmarks, landmarksOffset);

  let cursor = landmarksOffset + landmarks.length;
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

export function decodeShard(bytes: Uint8Array): DecodedShard {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== SHARD_MAGIC) throw new Error(`shard: bad magic ${JSON.stringify(magic)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [version, frameCount, size, landmarkCount, landmarkScale, landmarksOffset, landmarksLength] = Array.from(
    { length: 7 },
    (_, i) => view.getUint32(4 + i * 4, true),
  );
  if (version !== SHARD_VERSION) throw new Error(`shard: version ${version} is not supported`);
  const landmarks = decodeLandmarks(
    bytes.subarray(landmarksOffset, landmarksOffset + landmarksLength),
    frameCount,
    landmarkCount,
    landmarkScale,
  );
  const frames: DecodedShardFrame[] = [];
  for (let i = 0; i < frameCount; i++) {
    const entry = SHARD_HEADER_BYTES + i * FRAME_TABLE_ENTRY_BYTES;
    const [cropOffset, cropLength, imageOffset, imageLength] = [0, 4, 8, 12].map((d) => view.getUint32(entry + d, true));
    frames.push({
      cropJpeg: bytes.slice(cropOffset, cropOffset + cropLength),
      landmarkImage: decodeLandmarkImage(bytes.subarray(imageOffset, imageOffset + imageLength), size),
      landmarks: landmarks[i],
    });
  }
  return { size, landmarkScale, frames };
}
