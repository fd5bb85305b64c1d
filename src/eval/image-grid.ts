/**
 * Side-by-side comparison sheets for the eval report (source | driver | ours | baselines …):
 * one row per example, every cell brought to a common size.
 */
import type { RgbaImage } from '../landmarks/types.ts';

export type Rgb = [number, number, number];

export interface GridOptions {
  /** Pixels between neighbouring cells (none around the outside). Default 2. */
  gap?: number;
  /** Colour of gaps and missing cells; opaque. Default white. */
  background?: Rgb;
}

/** Source pixels, with weights summing to 1, that make up one output pixel along one axis. */
interface AxisTap {
  indices: number[];
  weights: number[];
}

/**
 * Per-axis resampling taps. Shrinking uses the area (box) filter, the exact average of the source
 * span each output pixel covers, so fine texture is not aliased into patterns that would mislead a
 * reader comparing sharpness. Enlarging uses nearest neighbour, which adds no blur of its own:
 * whatever softness the reader sees is the method's, not the sheet's.
 */
function axisTaps(sourceLength: number, targetLength: number): AxisTap[] {
  const scale = sourceLength / targetLength;
  return Array.from({ length: targetLength }, (_, o) => {
    if (scale <= 1) {
      return { indices: [Math.min(sourceLength - 1, Math.floor((o + 0.5) * scale))], weights: [1] };
    }
    const start = o * scale;
    const end = (o + 1) * scale;
    const indices: number[] = [];
    const weights: number[] = [];
    for (let s = Math.floor(start); s < Math.min(sourceLength, Math.ceil(end)); s++) {
      const overlap = Math.min(end, s + 1) - Math.max(start, s);
      if (overlap > 0) {
        indices.push(s);
        weights.push(overlap / scale);
      }
    }
    return { indices, weights };
  });
}

/** Resizes `image` to width × height (separable area / nearest, see axisTaps). */
export function resizeForGrid(image: RgbaImage, width: number, height: number): RgbaImage {
  if (image.width === width && image.height === height) return image;
  const columns = axisTaps(image.width, width);
  const rows = axisTaps(image.height, height);
  const data = new Uint8ClampedArray(width * height * 4);
  const accumulator = new Float64Array(4);
  for (let y = 0; y < height; y++) {
    const row = rows[y];
    for (let x = 0; x < width; x++) {
      const column = columns[x];
      accumulator.fill(0);
      for (let r = 0; r < row.indices.length; r++) {
        for (let c = 0; c < column.indices.length; c++) {
          const weight = row.weights[r] * column.weights[c];
          const i = (row.indices[r] * image.width + column.indices[c]) * 4;
          for (let k = 0; k < 4; k++) accumulator[k] += weight * image.data[i + k];
        }
      }
      data.set(accumulator, (y * width + x) * 4); // Uint8ClampedArray rounds and clamps
    }
  }
  return { width, height, data };
}

/**
 * Lays the rows out top to bottom, cells left to right. Every cell is resized to the size of the
 * first non-null cell (reading order); `null` cells and the ends of rows shorter than the longest
 * one show the background. Cell pixels, alpha included, are copied as they are. Throws when there
 * is no image at all, since the sheet would have no size.
 */
export function composeGrid(rows: readonly (readonly (RgbaImage | null)[])[], options: GridOptions = {}): RgbaImage {
  const gap = options.gap ?? 2;
  const [br, bg, bb] = options.background ?? [255, 255, 255];
  if (!Number.isInteger(gap) || gap < 0) throw new Error(`composeGrid: gap must be a non-negative integer, got ${gap}`);
  const first = rows.flat().find((cell): cell is RgbaImage => cell !== null);
  if (first === undefined) throw new Error('composeGrid: no images to lay out');

  const cellWidth = first.width;
  const cellHeight = first.height;
  const columnCount = Math.max(...rows.map((row) => row.length));
  const width = columnCount * cellWidth + (columnCount - 1) * gap;
  const height = rows.length * cellHeight + (rows.length - 1) * gap;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = br;
    data[i + 1] = bg;
    data[i + 2] = bb;
    data[i + 3] = 255;
  }

  rows.forEach((row, r) => {
    row.forEach((cell, c) => {
      if (cell === null) return;
      const fitted = resizeForGrid(cell, cellWidth, cellHeight);
      const left = c * (cellWidth + gap);
      const top = r * (cellHeight + gap);
      for (let y = 0; y < cellHeight; y++) {
        const from = y * cellWidth * 4;
        data.set(fitted.data.subarray(from, from + cellWidth * 4), ((top + y) * width + left) * 4);
      }
    });
  });
  return { width, height, data };
}
