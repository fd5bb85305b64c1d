import { describe, expect, it } from 'vitest';
import { cropDropReason, cropUpscale, MAX_CROP_UPSCALE, outsideFraction } from './frame-filter.ts';

describe('outsideFraction', () => {
  it('is 0 inside the image and 1 entirely outside', () => {
    expect(outsideFraction({ x0: 10, y0: 10, side: 50 }, 100, 100)).toBe(0);
    expect(outsideFraction({ x0: 200, y0: 0, side: 50 }, 100, 100)).toBe(1);
  });

  it('measures the part beyond each edge', () => {
    // Half the square sticks out on the left.
    expect(outsideFraction({ x0: -25, y0: 0, side: 50 }, 100, 100)).toBeCloseTo(0.5, 10);
    // A square larger than a small image (a tight YouTube Faces crop): 64² inside of 100².
    expect(outsideFraction({ x0: -18, y0: -18, side: 100 }, 64, 64)).toBeCloseTo(1 - 0.4096, 10);
  });
});

describe('cropDropReason', () => {
  it('keeps crops enlarged up to the limit and drops larger enlargements', () => {
    expect(cropUpscale({ x0: 0, y0: 0, side: 64 }, 128)).toBe(2);
    expect(cropDropReason({ x0: 0, y0: 0, side: 128 / MAX_CROP_UPSCALE }, 128)).toBeNull();
    expect(cropDropReason({ x0: 0, y0: 0, side: 63 }, 128)).toBe('upscale');
    expect(cropDropReason({ x0: 0, y0: 0, side: 63 }, 64)).toBeNull(); // the limit scales with the output size
    expect(cropDropReason({ x0: 0, y0: 0, side: 500 }, 128)).toBeNull(); // downscaling is always fine
  });
});
