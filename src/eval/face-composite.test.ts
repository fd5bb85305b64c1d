import { describe, expect, it } from 'vitest';
import { makeSyntheticFace } from '../landmarks/synthetic-face.ts';
import type { RgbaImage } from '../landmarks/types.ts';
import { compositeFace } from './face-composite.ts';

const flat = (size: number, value: number): RgbaImage => ({
  width: size,
  height: size,
  data: new Uint8ClampedArray(size * size * 4).fill(value),
});

describe('compositeFace', () => {
  const size = 64;
  const points = makeSyntheticFace({ centerX: 32, centerY: 34, halfWidth: 16 });

  it('takes the inside picture on the face and the outside one in the corners', () => {
    const out = compositeFace(flat(size, 200), flat(size, 20), points);
    const at = (x: number, y: number) => out.data[(y * size + x) * 4];
    expect(at(32, 34)).toBe(200);
    expect(at(0, 0)).toBe(20);
    expect(at(63, 63)).toBe(20);
    expect(out.data[3]).toBe(255);
    const mixed = [...out.data].filter((v, i) => i % 4 === 0 && v > 20 && v < 200).length;
    expect(mixed).toBeGreaterThan(0);
    expect(mixed).toBeLessThan(size * 4 * 2);
  });

  it('swapping the pictures gives the complement', () => {
    const a = compositeFace(flat(size, 255), flat(size, 0), points);
    const b = compositeFace(flat(size, 0), flat(size, 255), points);
    for (let i = 0; i < a.data.length; i += 4) expect(Math.abs(a.data[i] + b.data[i] - 255)).toBeLessThanOrEqual(1);
  });

  it('refuses pictures of different sizes, and ones that are not square', () => {
    expect(() => compositeFace(flat(8, 0), flat(16, 0), points)).toThrow(/sizes differ/);
    const wide: RgbaImage = { width: 16, height: 8, data: new Uint8ClampedArray(16 * 8 * 4) };
    expect(() => compositeFace(wide, wide, points)).toThrow(/square/);
  });
});
