import { describe, expect, it } from 'vitest';
import { decodeFloat16, encodeFloat16, float16BitsToFloat32, float32ToFloat16Bits, quantizeToFloat16 } from './weights-io-float16.ts';

const bits = (v: number) => float32ToFloat16Bits(v);

describe('float32ToFloat16Bits', () => {
  it('encodes exact values, signed zeros and infinities', () => {
    expect(bits(0)).toBe(0x0000);
    expect(bits(-0)).toBe(0x8000);
    expect(bits(1)).toBe(0x3c00);
    expect(bits(-2)).toBe(0xc000);
    expect(bits(0.5)).toBe(0x3800);
    expect(bits(65504)).toBe(0x7bff); // largest finite half
    expect(bits(Infinity)).toBe(0x7c00);
    expect(bits(-Infinity)).toBe(0xfc00);
  });

  it('keeps NaN a NaN (never inf)', () => {
    const h = bits(NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x03ff).not.toBe(0);
    // A signalling NaN whose payload lives only in the low float32 bits must not collapse to inf.
    const f = new Float32Array(new Uint32Array([0x7f800001]).buffer)[0];
    expect(bits(f) & 0x03ff).not.toBe(0);
  });

  it('rounds to nearest, ties to even', () => {
    expect(bits(1 + 2 ** -11)).toBe(0x3c00); // halfway 1 and 1+2^-10: even is 1
    expect(bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway 1+2^-10 and 1+2^-9: even is the latter
    expect(bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above halfway rounds up
    expect(bits(65519)).toBe(0x7bff); // below the 65504/65536 midpoint
    expect(bits(65520)).toBe(0x7c00); // midpoint ties to even, which is inf
    expect(bits(1e6)).toBe(0x7c00);
    expect(bits(-1e6)).toBe(0xfc00);
  });

  it('handles subnormals and underflow', () => {
    expect(bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(bits(1023 * 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(bits(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24: even is 0
    expect(bits(-(2 ** -25))).toBe(0x8000);
    expect(bits(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 units: even is 2
    expect(bits(2 ** -26)).toBe(0x0000);
    expect(bits(1e-30)).toBe(0x0000);
    expect(bits(1023.5 * 2 ** -24)).toBe(0x0400); // rounds up out of the subnormals
  });

  it('round-trips every finite half exactly and rounds every midpoint to the even neighbour', () => {
    const f32 = new Float32Array(1);
    const failures: string[] = [];
    const check = (input: number, expected: number) => {
      f32[0] = input;
      const got = bits(f32[0]);
      if (got !== expected) failures.push(`${f32[0]} -> 0x${got.toString(16)}, want 0x${expected.toString(16)}`);
    };
    let checked = 0;
    for (let h = 0; h < 0x10000; h++) {
      if (((h >> 10) & 0x1f) === 0x1f) continue;
      const v = float16BitsToFloat32(h);
      check(v, h);
      checked++;
      // The next half up in magnitude, if finite.
      const next = h + 1;
      if (((next >> 10) & 0x1f) === 0x1f || (next & 0x8000) !== (h & 0x8000)) continue;
      const w = float16BitsToFloat32(next);
      check((v + w) / 2, (h & 1) === 0 ? h : next); // midpoint, exact in float32 (12 significant bits)
      check(v + (w - v) * 0.49, h);
      check(v + (w - v) * 0.51, next);
    }
    expect(checked).toBe(0x10000 - 2 * 1024);
    expect(failures.slice(0, 5)).toEqual([]);
  });
});

describe('float16BitsToFloat32', () => {
  it('decodes special patterns', () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
  });
});

describe('array helpers', () => {
  it('encode/decode arrays and quantize', () => {
    const values = new Float32Array([0, 1, -2.5, 0.1, 70000, 2 ** -24]);
    const encoded = encodeFloat16(values);
    expect(Array.from(encoded)).toEqual(Array.from(values, (v) => float32ToFloat16Bits(v)));
    const decoded = decodeFloat16(encoded);
    expect(decoded[3]).toBeCloseTo(0.0999755859375, 12);
    expect(decoded[4]).toBe(Infinity);
    expect(Array.from(quantizeToFloat16(values))).toEqual(Array.from(decoded));
  });
});
