import { describe, expect, it } from 'vitest';
import { zlibSync } from 'fflate';
import { decodePng, encodePng } from './png.ts';
import type { RgbaImage } from '../landmarks/types.ts';

function makeTestImage(width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 37 + y * 11) & 0xff;
      data[i + 1] = (x * y * 7 + 3) & 0xff;
      data[i + 2] = (255 - x * 5) & 0xff;
      data[i + 3] = (128 + x - y) & 0xff;
    }
  }
  return { width, height, data };
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(payload, 8);
  view.setUint32(8 + payload.length, crc32(out.subarray(4, 8 + payload.length)));
  return out;
}

/** An independent reference encoder that applies the given PNG filter on each row (cycled). */
function encodeWithFilters(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  colorType: number,
  filters: number[],
): Uint8Array {
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const filter = filters[y % filters.length];
    raw[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const cur = pixels[y * stride + i];
      const a = i >= channels ? pixels[y * stride + i - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a),
        pb = Math.abs(p - b),
        pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      raw[y * (stride + 1) + 1 + i] = (cur - predictor) & 0xff;
    }
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const compressed = zlibSync(raw);
  // Split IDAT in two to check that multiple IDAT chunks are concatenated.
  const half = compressed.length >> 1;
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('tEXt', new TextEncoder().encode('Comment\0ignored')),
    chunk('IDAT', compressed.subarray(0, half)),
    chunk('IDAT', compressed.subarray(half)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('png', () => {
  it('round-trips an RGBA image exactly', () => {
    const image = makeTestImage(13, 7);
    const decoded = decodePng(encodePng(image));
    expect(decoded.width).toBe(13);
    expect(decoded.height).toBe(7);
    expect(Array.from(decoded.data)).toEqual(Array.from(image.data));
  });

  it('writes a valid signature, IHDR for 8-bit RGBA and IEND', () => {
    const png = encodePng(makeTestImage(3, 2));
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe('IHDR');
    expect(png[24]).toBe(8);
    expect(png[25]).toBe(6);
    expect(String.fromCharCode(...png.subarray(png.length - 8, png.length - 4))).toBe('IEND');
  });

  it('writes opaque images as RGB, round-trips them, and filters smooth rows far smaller than filter 0 would', () => {
    const width = 96;
    const height = 64;
    const data = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        // A smooth gradient with a little deterministic texture: what frames and photos look like.
        data.set([(x * 2 + y + ((x * 7 + y * 13) % 5)) & 0xff, (y * 3 + ((x * y) % 3)) & 0xff, (x + y * 2) & 0xff, 255], i);
      }
    }
    const png = encodePng({ width, height, data });
    expect(png[25]).toBe(2); // colour type RGB
    expect(Array.from(decodePng(png).data)).toEqual(Array.from(data));
    const rgb = new Uint8Array(width * height * 3).map((_, i) => data[Math.floor(i / 3) * 4 + (i % 3)]);
    const unfiltered = encodeWithFilters(rgb, width, height, 3, 2, [0]);
    expect(png.length).toBeLessThan(unfiltered.length * 0.7);
  });

  it.each([0, 1, 2, 3, 4])('decodes RGBA rows written with filter %i', (filter) => {
    const image = makeTestImage(9, 6);
    const png = encodeWithFilters(new Uint8Array(image.data), 9, 6, 4, 6, [filter]);
    expect(Array.from(decodePng(png).data)).toEqual(Array.from(image.data));
  });

  it('decodes RGB and grey images with mixed filters into opaque RGBA', () => {
    const rgb = new Uint8Array(5 * 4 * 3).map((_, i) => (i * 29 + 7) & 0xff);
    const fromRgb = decodePng(encodeWithFilters(rgb, 5, 4, 3, 2, [4, 3, 2, 1]));
    for (let p = 0; p < 20; p++) {
      expect(Array.from(fromRgb.data.subarray(p * 4, p * 4 + 4))).toEqual([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], 255]);
    }

    const grey = new Uint8Array(4 * 3).map((_, i) => i * 20);
    const fromGrey = decodePng(encodeWithFilters(grey, 4, 3, 1, 0, [1, 4, 3]));
    for (let p = 0; p < 12; p++) {
      expect(Array.from(fromGrey.data.subarray(p * 4, p * 4 + 4))).toEqual([p * 20, p * 20, p * 20, 255]);
    }
  });

  it('rejects corrupt data and unsupported formats', () => {
    const png = encodePng(makeTestImage(4, 4));
    const corrupt = png.slice();
    corrupt[40] ^= 0xff;
    expect(() => decodePng(corrupt)).toThrow(/CRC/);
    expect(() => decodePng(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/signature/);

    const sixteenBit = encodeWithFilters(new Uint8Array(16), 2, 2, 4, 6, [0]);
    sixteenBit[24] = 16;
    // Fix the IHDR CRC so the bit-depth check (not the CRC check) is what fails.
    new DataView(sixteenBit.buffer).setUint32(29, crc32(sixteenBit.subarray(12, 29)));
    expect(() => decodePng(sixteenBit)).toThrow(/unsupported/);
  });
});
