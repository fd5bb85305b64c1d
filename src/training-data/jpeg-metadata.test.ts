import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stripJpegMetadata } from './jpeg-metadata.ts';

const segment = (marker: number, payload: number[]) => [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];

describe('stripJpegMetadata', () => {
  const app0 = segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0]);
  const icc = segment(
    0xe2,
    Array.from({ length: 300 }, (_, i) => i & 0xff),
  );
  const comment = segment(0xfe, [0x68, 0x69]);
  const quant = segment(0xdb, [0, ...Array.from({ length: 64 }, () => 1)]);
  const scan = [0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0xff, 0xe2, 0x34, 0xff, 0xd9]; // entropy data may hold 0xff e2
  const jpeg = Uint8Array.from([0xff, 0xd8, ...app0, ...icc, ...quant, ...comment, ...scan]);

  it('drops APP1–APP15 and comments, and keeps everything else in order', () => {
    expect(Array.from(stripJpegMetadata(jpeg))).toEqual([0xff, 0xd8, ...app0, ...quant, ...scan]);
  });

  it('leaves a JPEG without metadata unchanged', () => {
    const plain = new Uint8Array(readFileSync(new URL('./__fixtures__/gradient16.jpg', import.meta.url)));
    expect(Array.from(stripJpegMetadata(plain))).toEqual(Array.from(plain));
  });

  it('rejects data that is not a JPEG or is cut short', () => {
    expect(() => stripJpegMetadata(Uint8Array.from([0x89, 0x50, 0x4e, 0x47]))).toThrow(/not a JPEG/);
    expect(() => stripJpegMetadata(jpeg.subarray(0, 40))).toThrow(/malformed/);
  });
});
