// How many fine-tuning steps a preset means for T photos. Shared by the app's fine-tuning panel and
// the evaluation, so the numbers in docs/EVAL.md describe what users get.

export type FineTunePreset = 'quick' | 'balanced' | 'best';

export const FINE_TUNE_PRESETS: readonly FineTunePreset[] = ['quick', 'balanced', 'best'];

/** Steps per preset and photo count: fewer photos overfit sooner (the paper's authors tune by T). */
export function fineTuneSteps(preset: FineTunePreset, photoCount: number): number {
  const base = { quick: 20, balanced: 80, best: 300 }[preset];
  return Math.round(base * Math.min(4, 1 + Math.log2(Math.max(1, photoCount)) / 2));
}
