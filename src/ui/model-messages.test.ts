import { describe, expect, it } from 'vitest';
import { fineTuneOutcome } from './model-messages.ts';

describe('fineTuneOutcome', () => {
  const validation = { photos: 1, before: 2, last: 1.5, kept: 1.5, adopted: true, margin: 0.01 };

  it('says nothing when no photo was held out, or no step ran', () => {
    expect(fineTuneOutcome({ stepsDone: 20 })).toBeNull();
    expect(fineTuneOutcome({ stepsDone: 0, validation })).toBeNull();
  });

  it('reports how much the held-out error fell when the tuned weights were adopted', () => {
    expect(fineTuneOutcome({ stepsDone: 50, validation })).toBe(
      "Fine-tuned: on the photo held out to check it, the avatar's error fell by 25%.",
    );
  });

  it('says the avatar was kept, and how much worse fine-tuning made it, when it was not adopted', () => {
    const text = fineTuneOutcome({ stepsDone: 50, validation: { photos: 2, before: 2, last: 2.2, kept: 2, adopted: false, margin: 0.01 } });
    expect(text).toContain('kept as it was');
    expect(text).toContain('the 2 photos held out');
    expect(text).toContain('up 10%');
    // One photo held out, error 2 before fine-tuning and `last` after it, not adopted.
    const declined = (last: number) =>
      fineTuneOutcome({ stepsDone: 50, validation: { photos: 1, before: 2, last, kept: 2, adopted: false, margin: 0.01 } });
    expect(declined(2.001)).toContain('(error up less than 0.1%)');
    // A fall too small to trust (finetune-validation.ts's ADOPTION_MARGIN) is declined, and said so.
    expect(declined(1.994)).toContain('kept as it was');
    expect(declined(1.994)).toContain('error down 0.3%, short of the 1% that');
    // Below 10% the change keeps one decimal: a 0.7% fall must not read as the 1% it fell short of.
    expect(declined(1.986)).toContain('error down 0.7%, short of the 1%');
    const adopted = fineTuneOutcome({ stepsDone: 50, validation: { ...validation, last: 1.9, kept: 1.9 } });
    expect(adopted).toContain('error fell by 5.0%.');
  });
});
