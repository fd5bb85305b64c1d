/**
 * Minimal PNG codec for 8-bit, non-interlaced images, built on fflate's zlib.
 *
 * Why our own: golden-image tests and training-data tooling must read and write PNGs identically in
 * Node, workers and the browser without a canvas. Writing produces RGB when every pixel is opaque
 * (RGBA otherwise) and picks each row's filter as libpng does, the one whose bytes have the smallest
 * sum of absolute values (as signed bytes): photos and frames shrink several-fold against filter 0,
 * and the output stays byte-stable across platforms (no randomness, fflate's zlib). Reading accepts
 * all five scanline filters and the 8-bit grey / grey+alpha / RGB / RGBA colour types, so PNGs saved
 * by other tools (image editors, Python) decode too.
 */
import { unzlibSync, zlibSync } from 'fflate';
import type { RgbaImage } from '../landmarks/types.ts';

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Channels per pixel for each supported 8-bit PNG colour type. */
const CHANNELS_BY_COLOR_TYPE: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 };

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function writeChunk(out: Uint8Array, offset: number, type: string, payload: Uint8Array): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(offset, payload.length);
  for (let i = 0; i < 4; i++) out[offset + 4 + i] = type.charCodeAt(i);
  out.set(payload, offset + 8);
  // The CRC covers the chunk type and payload, not the length.
  view.setUint32(offset + 8 + payload.length, crc32(out, offset + 4, offset + 8 + payload.length));
  return offset + 12 + payload.length;
}

/** Writes row `y` of `pixels` (stride bytes, bpp bytes a pixel) filtered with `filter` into `out`
 * (stride bytes); returns the sum of the filtered bytes' magnitudes as signed bytes. */
function filterRow(pixels: Uint8Array, y: number, stride: number, bpp: number, filter: number, out: Uint8Array): number {
  const row = y * stride;
  const prev = row - stride;
  let cost = 0;
  for (let i = 0; i < stride; i++) {
    const left = i >= bpp ? pixels[row + i - bpp] : 0;
    const up = y > 0 ? pixels[prev + i] : 0;
    const upLeft = y > 0 && i >= bpp ? pixels[prev + i - bpp] : 0;
    const predictor =
      filter === 0 ? 0 : filter === 1 ? left : filter === 2 ? up : filter === 3 ? (left + up) >> 1 : paeth(left, up, upLeft);
    const value = (pixels[row + i] - predictor) & 0xff;
    out[i] = value;
    cost += value < 128 ? value : 256 - value;
  }
  return cost;
}

/** Encodes an RGBA image as a PNG: 8-bit RGB when fully opaque, else RGBA; each row with the filter
 * (0–4) of smallest signed-byte magnitude; zlib level 9. */
export function encodePng(image: RgbaImage): Uint8Array {
  const { width, height, data } = image;
  if (data.length !== width * height * 4) {
    throw new Error(`encodePng: data has ${data.length} bytes, expected ${width * height * 4}`);
  }
  let opaque = true;
  for (let i = 3; i < data.length && opaque; i += 4) opaque = data[i] === 255;
  const bpp = opaque ? 3 : 4;
  const pixels = new Uint8Array(width * height * bpp);
  if (opaque) {
    for (let p = 0, q = 0; p < data.length; p += 4, q += 3) {
      pixels[q] = data[p];
      pixels[q + 1] = data[p + 1];
      pixels[q + 2] = data[p + 2];
    }
  } else {
    pixels.set(data);
  }
  const stride = width * bpp;
  const raw = new Uint8Array((stride + 1) * height);
  const trial = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    let best = 0;
    let bestCost = Infinity;
    for (let filter = 0; filter <= 4; filter++) {
      const cost = filterRow(pixels, y, stride, bpp, filter, trial);
      if (cost < bestCost) {
        bestCost = cost;
        best = filter;
      }
    }
    raw[y * (stride + 1)] = best;
    filterRow(pixels, y, stride, bpp, best, raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
  }
  const compressed = zlibSync(raw, { level: 9 });

  const header = new Uint8Array(13);
  const headerView = new DataView(header.buffer);
  headerView.setUint32(0, width);
  headerView.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = opaque ? 2 : 6; // colour type RGB or RGBA
  // compression, filter method and interlace stay 0

  const out = new Uint8Array(8 + (12 + 13) + (12 + compressed.length) + 12);
  out.set(PNG_SIGNATURE, 0);
  let offset = writeChunk(out, 8, 'IHDR', header);
  offset = writeChunk(out, offset, 'IDAT', compressed);
  writeChunk(out, offset, 'IEND', new Uint8Array(0));
  return out;
}

function paeth(left: number, up: number, upLeft: number): number {
  const p = left + up - upLeft;
  const pa = Math.abs(p - left);
  const pb = Math.abs(p - up);
  const pc = Math.abs(p - upLeft);
  if (pa <= pb && pa <= pc) return left;
  return pb <= pc ? up : upLeft;
}

/** Reverses the per-scanline filters in place; returns the unfiltered pixel bytes without filter bytes. */
function unfilterScanlines(raw: Uint8Array, height: number, stride: number, bytesPerPixel: number): Uint8Array {
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const prev = dst - stride; // previous unfiltered row; only read when y > 0
    for (let i = 0; i < stride; i++) {
      const left = i >= bytesPerPixel ? pixels[dst + i - bytesPerPixel] : 0;
      const up = y > 0 ? pixels[prev + i] : 0;
      const upLeft = y > 0 && i >= bytesPerPixel ? pixels[prev + i - bytesPerPixel] : 0;
      let predictor: number;
      switch (filter) {
        case 0:
          predictor = 0;
          break;
        case 1:
          predictor = left;
          break;
        case 2:
          predictor = up;
          break;
        case 3:
          predictor = (left + up) >> 1;
          break;
        case 4:
          predictor = paeth(left, up, upLeft);
          break;
        default:
          throw new Error(`decodePng: unknown filter type ${filter} on row ${y}`);
      }
      pixels[dst + i] = (raw[src + i] + predictor) & 0xff;
    }
  }
  return pixels;
}

/** Decodes an 8-bit, non-interlaced grey, grey+alpha, RGB or RGBA PNG into RGBA. */
export function decodePng(bytes: Uint8Array): RgbaImage {
  for (let i = 0; i < PNG_SIGNATURE.length; i++) {
    if (bytes[i] !== PNG_SIGNATURE[i]) throw new Error('decodePng: not a PNG (bad signature)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let channels = 0;
  const idatParts: Uint8Array[] = [];
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const payloadStart = offset + 8;
    const payloadEnd = payloadStart + length;
    if (payloadEnd + 4 > bytes.length) throw new Error(`decodePng: truncated ${type} chunk`);
    if (crc32(bytes, offset + 4, payloadEnd) !== view.getUint32(payloadEnd)) {
      throw new Error(`decodePng: CRC mismatch in ${type} chunk`);
    }
    if (type === 'IHDR') {
      width = view.getUint32(payloadStart);
      height = view.getUint32(payloadStart + 4);
      const bitDepth = bytes[payloadStart + 8];
      const colorType = bytes[payloadStart + 9];
      const interlace = bytes[payloadStart + 12];
      channels = CHANNELS_BY_COLOR_TYPE[colorType] ?? 0;
      if (bitDepth !== 8 || channels === 0 || interlace !== 0) {
        throw new Error(
          `decodePng: unsupported format (bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}); ` +
            'only 8-bit non-interlaced grey/grey+alpha/RGB/RGBA is supported',
        );
      }
    } else if (type === 'IDAT') {
      idatParts.push(bytes.subarray(payloadStart, payloadEnd));
    } else if (type === 'IEND') {
      break;
    }
    offset = payloadEnd + 4;
  }
  if (channels === 0) throw new Error('decodePng: missing IHDR chunk');
  if (idatParts.length === 0) throw new Error('decodePng: missing IDAT chunk');

  const compressed = new Uint8Array(idatParts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of idatParts) {
    compressed.set(part, at);
    at += part.length;
  }
  const raw = unzlibSync(compressed);
  const stride = width * channels;
  if (raw.length < (stride + 1) * height) throw new Error('decodePng: image data is shorter than the header says');
  const pixels = unfilterScanlines(raw, height, stride, channels);

  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const s = p * channels;
    const d = p * 4;
    if (channels >= 3) {
      data[d] = pixels[s];
      data[d + 1] = pixels[s + 1];
      data[d + 2] = pixels[s + 2];
      data[d + 3] = channels === 4 ? pixels[s + 3] : 255;
    } else {
      data[d] = data[d + 1] = data[d + 2] = pixels[s];
      data[d + 3] = channels === 2 ? pixels[s + 1] : 255;
    }
  }
  return { width, height, data };
}
