import { describe, expect, it } from 'vitest';
import { composeGrid, resizeForGrid } from './image-grid.ts';
import type { RgbaImage } from '../landmarks/types.ts';

function solid(width: number, height: number, rgba: [number, number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set(rgba, i);
  return { width, height, data };
}

function pixel(image: RgbaImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 4;
  return Array.from(image.data.subarray(i, i + 4));
}

/** Each pixel's red channel is its index, so every position is recognisable. */
function indexed(width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([p, 0, 0, 255], p * 4);
  return { width, height, data };
}

describe('resizeForGrid', () => {
  it('returns a same-sized image untouched', () => {
    const image = indexed(5, 3);
    expect(resizeForGrid(image, 5, 3)).toBe(image);
  });

  it('averages areas when shrinking', () => {
    // 4×2 checkerboard of 0 / 200, shrunk to 2×1: each output pixel covers two black, two white.
    const data = new Uint8ClampedArray(4 * 2 * 4);
    for (let p = 0; p < 8; p++) {
      const v = (p % 4) % 2 === Math.floor(p / 4) % 2 ? 200 : 0;
      data.set([v, v, v, 255], p * 4);
    }
    const out = resizeForGrid({ width: 4, height: 2, data }, 2, 1);
    expect(pixel(out, 0, 0)).toEqual([100, 100, 100, 255]);
    expect(pixel(out, 1, 0)).toEqual([100, 100, 100, 255]);
  });

  it('weights partial coverage when shrinking by a non-integer factor', () => {
    // 3 → 2: the first output pixel sees source 0 fully and half of source 1.
    const image: RgbaImage = { width: 3, height: 1, data: new Uint8ClampedArray([0, 0, 0, 255, 90, 0, 0, 255, 180, 0, 0, 255]) };
    const out = resizeForGrid(image, 2, 1);
    expect(pixel(out, 0, 0)[0]).toBe(30); // (1·0 + 0.5·90) / 1.5
    expect(pixel(out, 1, 0)[0]).toBe(150); // (0.5·90 + 1·180) / 1.5
  });

  it('repeats pixels (nearest) when enlarging', () => {
    const out = resizeForGrid(indexed(2, 2), 4, 4);
    const reds = Array.from({ length: 16 }, (_, p) => out.data[p * 4]);
    expect(reds).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
  });
});

describe('composeGrid', () => {
  it('gives a single cell back as it is', () => {
    const cell = indexed(6, 4);
    const out = composeGrid([[cell]], { gap: 5 });
    expect(out.width).toBe(6);
    expect(out.height).toBe(4);
    expect(out.data).toEqual(cell.data);
  });

  it('lays out rows and columns with gaps in the background colour', () => {
    const red = solid(3, 2, [255, 0, 0, 255]);
    const blue = solid(3, 2, [0, 0, 255, 255]);
    const out = composeGrid(
      [
        [red, blue],
        [blue, red],
      ],
      { gap: 1, background: [0, 50, 0] },
    );
    expect(out.width).toBe(7);
    expect(out.height).toBe(5);
    expect(pixel(out, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(pixel(out, 4, 0)).toEqual([0, 0, 255, 255]);
    expect(pixel(out, 3, 0)).toEqual([0, 50, 0, 255]); // vertical gap
    expect(pixel(out, 0, 2)).toEqual([0, 50, 0, 255]); // horizontal gap
    expect(pixel(out, 0, 3)).toEqual([0, 0, 255, 255]);
    expect(pixel(out, 6, 4)).toEqual([255, 0, 0, 255]);
  });

  it('fills missing cells and short rows with the background', () => {
    const cell = solid(2, 2, [9, 9, 9, 255]);
    const out = composeGrid([[cell, null, cell], [cell]], { gap: 0 });
    expect(out.width).toBe(6);
    expect(out.height).toBe(4);
    expect(pixel(out, 2, 0)).toEqual([255, 255, 255, 255]); // the null cell
    expect(pixel(out, 4, 0)).toEqual([9, 9, 9, 255]);
    expect(pixel(out, 3, 3)).toEqual([255, 255, 255, 255]); // past the end of row 2
  });

  it('sizes cells after the first image, even when the first cell is missing', () => {
    const small = solid(2, 2, [10, 20, 30, 255]);
    const large = solid(8, 8, [40, 50, 60, 255]);
    const out = composeGrid([[null, small, large]], { gap: 0 });
    expect(out.width).toBe(6);
    expect(out.height).toBe(2);
    expect(pixel(out, 5, 1)).toEqual([40, 50, 60, 255]);
  });

  it('defaults to a 2-pixel white gap', () => {
    const cell = solid(2, 2, [0, 0, 0, 255]);
    const out = composeGrid([[cell, cell]]);
    expect(out.width).toBe(6);
    expect(pixel(out, 2, 0)).toEqual([255, 255, 255, 255]);
    expect(pixel(out, 3, 1)).toEqual([255, 255, 255, 255]);
  });

  it('rejects a grid without images and a bad gap', () => {
    expect(() => composeGrid([[null], []])).toThrow(/no images/);
    expect(() => composeGrid([])).toThrow(/no images/);
    expect(() => composeGrid([[solid(1, 1, [0, 0, 0, 255])]], { gap: -1 })).toThrow(/gap/);
  });
});
