// IEEE 754 binary16 <-> binary32 conversion. Written by hand because Node 20 (and older browsers)
// have no Float16Array. Encoding rounds to nearest, ties to even, like numpy's astype(float16) and
// PyTorch's .half(), so weights quantised here and by the Python exporter are bit-identical.

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** binary16 bit pattern nearest to `value` (round to nearest, ties to even; NaN stays NaN). */
export function float32ToFloat16Bits(value: number): number {
  scratchF32[0] = value;
  const bits = scratchU32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;

  if (exponent === 0xff) {
    // Inf stays inf; NaN keeps its top payload bits and is forced quiet so it can't become inf.
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half (or zero). Below 2^-25 everything rounds to zero.
    if (halfExponent < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    return sign | roundShifted(significand, shift);
  }
  // Normal: a carry out of the mantissa correctly bumps the exponent (up to inf at 65520).
  return sign | roundShifted((halfExponent << 23) | mantissa, 13);
}

/** value >> shift, rounded to nearest with ties to even. */
function roundShifted(value: number, shift: number): number {
  const truncated = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  return remainder > halfway || (remainder === halfway && (truncated & 1) === 1) ? truncated + 1 : truncated;
}

let decodeTable: Float32Array | undefined;

/** float32 value of every binary16 bit pattern (256 KiB, built on first use). */
function float16DecodeTable(): Float32Array {
  if (!decodeTable) {
    decodeTable = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) decodeTable[h] = float16BitsToFloat32(h);
  }
  return decodeTable;
}

/** Value of a binary16 bit pattern. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

export function encodeFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

export function decodeFloat16(bits: Uint16Array): Float32Array {
  const table = float16DecodeTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** The float32 values `values` become after a float16 round trip. */
export function quantizeToFloat16(values: Float32Array): Float32Array {
  return decodeFloat16(encodeFloat16(values));
}
