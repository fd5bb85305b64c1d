import { describe, expect, it } from 'vitest';
import {
  ADOPTION_MARGIN,
  improvesEnough,
  PHOTOS_PER_VALIDATION_PHOTO,
  validationPhotos,
  validationTerms,
  VALIDATION_MIN_PHOTOS,
} from './finetune-validation.ts';

describe('validationPhotos', () => {
  it('holds nothing out below the minimum, then one photo per eight, evenly spread', () => {
    for (let n = 0; n < VALIDATION_MIN_PHOTOS; n++) expect(validationPhotos(n)).toEqual([]);
    expect(validationPhotos(4)).toEqual([2]);
    expect(validationPhotos(8)).toEqual([4]);
    expect(validationPhotos(9)).toEqual([2, 6]);
    expect(validationPhotos(32)).toEqual([4, 12, 20, 28]);
  });

  it('gives distinct indices in range, and always leaves most photos to fine-tune on', () => {
    for (let n = VALIDATION_MIN_PHOTOS; n <= 32; n++) {
      const held = validationPhotos(n);
      expect(held.length).toBe(Math.ceil(n / PHOTOS_PER_VALIDATION_PHOTO));
      expect(new Set(held).size).toBe(held.length);
      for (const i of held) expect(i >= 0 && i < n).toBe(true);
      expect(n - held.length).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('validationTerms', () => {
  it("weighs L1 by the recipe's l1Weight, or 1 when the recipe has none", () => {
    expect(validationTerms(10, undefined).l1Weight).toBe(10);
    expect(validationTerms(0, undefined).l1Weight).toBe(1);
    expect(validationTerms(undefined, undefined).l1Weight).toBe(1);
  });
});

describe('improvesEnough', () => {
  it('adopts only a fall of at least ADOPTION_MARGIN below the avatar, and below what is kept', () => {
    expect(ADOPTION_MARGIN).toBeGreaterThan(0);
    const before = 2;
    const edge = before * (1 - ADOPTION_MARGIN);
    // A fall within the held-out photos' noise is declined; a clear one is adopted.
    expect(improvesEnough(before, before, before)).toBe(false);
    expect(improvesEnough(before * (1 - ADOPTION_MARGIN / 2), before, before)).toBe(false);
    expect(improvesEnough(edge, before, before)).toBe(true);
    expect(improvesEnough(before * 0.8, before, before)).toBe(true);
    // After an adoption, a later state must beat it too (and still clear the margin).
    expect(improvesEnough(before * 0.85, before, before * 0.8)).toBe(false);
    expect(improvesEnough(before * 0.75, before, before * 0.8)).toBe(true);
    expect(improvesEnough(Number.NaN, before, before)).toBe(false);
  });
});
