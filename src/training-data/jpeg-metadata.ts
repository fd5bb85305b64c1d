/**
 * Removes metadata segments from a JPEG without touching the coded image. Chromium embeds a 472-byte
 * sRGB ICC profile (APP2) in every JPEG it encodes: at 128 px that is about 15 % of each crop, and the
 * pixels are sRGB either way. Everything from the start-of-scan marker on is copied as is, so the
 * decoded pixels are unchanged.
 */

const SOI = 0xd8;
const SOS = 0xda;
const APP0 = 0xe0; // JFIF header: kept, some decoders want it
const APP15 = 0xef;
const COM = 0xfe;

function isDroppable(marker: number): boolean {
  return (marker > APP0 && marker <= APP15) || marker === COM;
}

export function stripJpegMetadata(jpeg: Uint8Array): Uint8Array {
  if (jpeg[0] !== 0xff || jpeg[1] !== SOI) throw new Error('stripJpegMetadata: not a JPEG (no SOI marker)');
  const kept: Uint8Array[] = [jpeg.subarray(0, 2)];
  let offset = 2;
  for (;;) {
    if (offset + 4 > jpeg.length || jpeg[offset] !== 0xff) throw new Error(`stripJpegMetadata: malformed segment at byte ${offset}`);
    const marker = jpeg[offset + 1];
    if (marker === SOS) {
      kept.push(jpeg.subarray(offset));
      break;
    }
    const end = offset + 2 + ((jpeg[offset + 2] << 8) | jpeg[offset + 3]);
    if (!isDroppable(marker)) kept.push(jpeg.subarray(offset, end));
    offset = end;
  }
  const out = new Uint8Array(kept.reduce((sum, part) => sum + part.length, 0));
  let cursor = 0;
  for (const part of kept) {
    out.set(part, cursor);
    cursor += part.length;
  }
  return out;
}
