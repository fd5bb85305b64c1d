// Fine-tuning keeps only what helps. Fine-tuning on a few photos can make the avatar worse on poses
// and lighting it did not train on (measured on held-out identities: 50 quick steps on 8 photos from
// other clips lowered SSIM and identity on the hold-out clip). So with enough photos, a few are held
// out of fine-tuning; each is rendered from its own landmarks, warped from the nearest photo that
// fine-tuning trains on, and compared with the photo itself on the frame the app shows. The tuned G
// and ψ′ replace the avatar only when they reconstruct the held-out photos better than the avatar
// did before, by more than a held-out photo's noise (ADOPTION_MARGIN), and better than any earlier
// adoption of the same run (AvatarSession.adoptFineTuned).
// The embedding still averages all photos. Pure tensor code: the session builds the set.
import * as tf from '@tensorflow/tfjs';
import { composeShown, type ContentLossFn } from './finetune.ts';
import type { Generator, GeneratorInputs } from './generator.ts';
import { meanAbsoluteError } from './losses.ts';

/** Fewer photos than this: nothing is held out (fine-tuning needs the others), and it is adopted as is. */
export const VALIDATION_MIN_PHOTOS = 4;
/** One photo is held out for each this many (rounded up). */
export const PHOTOS_PER_VALIDATION_PHOTO = 8;

/** Indices of the photos held out of fine-tuning among `count`, evenly spread; [] below VALIDATION_MIN_PHOTOS. */
export function validationPhotos(count: number): number[] {
  if (count < VALIDATION_MIN_PHOTOS) return [];
  const held = Math.ceil(count / PHOTOS_PER_VALIDATION_PHOTO);
  return Array.from({ length: held }, (_, i) => Math.floor(((i + 0.5) * count) / held));
}

/**
 * How far below the avatar's own held-out error the tuned weights' must fall to be adopted, as a
 * fraction of it. One held-out photo is a noisy judge. Measured with `npm run eval` (T = 8, quick
 * preset) on 16 held-out people outside docs/EVAL-FT.md's: the 5 adoptions on a fall under 1% moved
 * the hold-out frames' SSIM by −0.0007 and ID-cos by −0.0009 on average, the 4 on a larger fall by
 * +0.0014 and +0.0012; docs/EVAL-FT.md's people said the same (3 under 1%: −0.0058 SSIM, all three
 * worse). train/README, "Adopting only a clear gain".
 */
export const ADOPTION_MARGIN = 0.01;

/**
 * Whether tuned weights whose held-out error is `candidate` replace what the avatar shows: below the
 * avatar's error before fine-tuning by ADOPTION_MARGIN of it, and below what is kept now (`kept`:
 * `before`, or an earlier adoption of the same run).
 */
export function improvesEnough(candidate: number, before: number, kept: number): boolean {
  return candidate < kept && candidate <= before * (1 - ADOPTION_MARGIN);
}

/** The held-out photos as G sees them and as the app shows them. */
export interface ValidationSet {
  /** G's inputs for each held-out photo's landmarks, [V, r, r, ·] (warp-guided: a fine-tuning photo warped onto them). */
  readonly inputs: GeneratorInputs;
  /** The held-out photos at the side S they are compared at, [V, S, S, 3] in [-1, 1]. */
  readonly real: tf.Tensor4D;
  /** Warp-guided G: the same warps at S, onto which α↑·Δ↑ are added as the app composes ([V, S, S, 3]). */
  readonly shownWarped?: tf.Tensor4D;
}

/** How a validation error weighs its terms: fine-tuning's own reconstruction terms. */
export interface ValidationTerms {
  /** Weight of the mean absolute error (fine-tuning's l1Weight, or 1 when it has none). */
  readonly l1Weight: number;
  readonly contentLoss?: ContentLossFn;
}

/** The weights of a recipe's reconstruction terms, as a validation error uses them. */
export function validationTerms(l1Weight: number | undefined, contentLoss: ContentLossFn | undefined): ValidationTerms {
  return { l1Weight: l1Weight && l1Weight > 0 ? l1Weight : 1, contentLoss };
}

/** Mean reconstruction error of G with ψ over the held-out photos (l1Weight·L1 + content); read back asynchronously. */
export async function validationError(g: Generator, psi: tf.Tensor, set: ValidationSet, terms: ValidationTerms): Promise<number> {
  const value = tf.tidy(() => {
    const out = g.render(psi as tf.Tensor2D, set.inputs);
    const size = set.real.shape[1];
    const frame = set.shownWarped
      ? composeShown(set.shownWarped, out)
      : out.frame.shape[1] === size
        ? out.frame
        : (tf.image.resizeBilinear(out.frame, [size, size], false, true) as tf.Tensor4D);
    const l1 = tf.mul(meanAbsoluteError(frame, set.real), terms.l1Weight);
    return terms.contentLoss ? tf.add(l1, terms.contentLoss(frame, set.real)) : l1;
  });
  try {
    return (await value.data())[0];
  } finally {
    value.dispose();
  }
}

export function disposeValidationSet(set: ValidationSet): void {
  const { landmarks, warped, mask } = set.inputs;
  tf.dispose([landmarks, set.real, ...(warped ? [warped] : []), ...(mask ? [mask] : []), ...(set.shownWarped ? [set.shownWarped] : [])]);
}

/** What the held-out photos said of a fine-tuning run (errors as validationError). */
export interface FineTuneValidation {
  /** Photos held out of fine-tuning. */
  readonly photos: number;
  /** The avatar's error before this run. */
  readonly before: number;
  /** The error of the tuned weights at the last adoption attempt. */
  readonly last: number;
  /** The error of what the avatar now shows (before, unless a tuned state was adopted). */
  readonly kept: number;
  /** Whether some tuned state of this run was adopted (the avatar is now fine-tuned by it). */
  readonly adopted: boolean;
  /** The fall below `before` an adoption needed, as a fraction of it (ADOPTION_MARGIN). */
  readonly margin: number;
}
