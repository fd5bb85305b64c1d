"""Paired comparison of two held-out reports (evaluate_heldout's heldout.json), person by person.

    $PYTHON -m train.talking_heads.compare_heldout reports/shipped/heldout.json reports/candidate/heldout.json

Both reports must come from the same command on the same set (same people, sources, targets and
seed), so each person's row differs only by the weights. Per metric: both means over the people
the two reports share, and the candidate minus the baseline as mean ± 95% half-width (1.96 · sd / √n)
of the per-person differences, with how many people moved which way. Differences of means between
two weights are a few thousandths here while people differ by tenths: only the paired interval says
whether a change is outside the noise (what train/README's shipping decisions quote).
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple

# Metric, and whether higher is better.
METRICS: Tuple[Tuple[str, bool], ...] = (
    ("ssim_ff", True),
    ("ssim_face_ff", True),
    ("idcos_ff", True),
    ("mouth_ff", False),
    ("mouth_ssim_ff", True),
)


def paired(baseline: Sequence[Mapping], candidate: Sequence[Mapping], metric: str) -> Dict[str, float]:
    """{n, baseline, candidate, diff, half, better, worse} over the people (source, person) both rows have with `metric`."""
    base = {(r["source"], r["person"]): r[metric] for r in baseline if r.get(metric) is not None}
    pairs = [(base[key], r[metric]) for r in candidate if r.get(metric) is not None and (key := (r["source"], r["person"])) in base]
    n = len(pairs)
    if n == 0:
        return {"n": 0}
    diffs = [c - b for b, c in pairs]
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else float("nan")
    return {
        "n": n,
        "baseline": sum(b for b, _ in pairs) / n,
        "candidate": sum(c for _, c in pairs) / n,
        "diff": mean,
        "half": 1.96 * sd / math.sqrt(n),
        "better": sum(1 for d in diffs if d > 0),
        "worse": sum(1 for d in diffs if d < 0),
    }


def compare(baseline: Mapping, candidate: Mapping, sources: Sequence[str] = ("", "ytf", "celeba")) -> List[str]:
    """Markdown table lines: one row per metric and source ("" = all people)."""
    lines = [
        "| metric | people | baseline | candidate | candidate − baseline (95%) | people better / worse |",
        "| --- | --- | --- | --- | --- | --- |",
    ]

    def rows(report: Mapping, source: str) -> List[Mapping]:
        return [r for r in report["per_person"] if not source or r["source"] == source]

    for metric, higher in METRICS:
        for source in sources:
            s = paired(rows(baseline, source), rows(candidate, source), metric)
            if not s["n"]:
                continue
            better, worse = (s["better"], s["worse"]) if higher else (s["worse"], s["better"])
            lines.append(
                f"| {metric}{' (' + source + ')' if source else ''} | {s['n']} | {s['baseline']:.4f} | {s['candidate']:.4f} "
                f"| {s['diff']:+.4f} ± {s['half']:.4f} | {better} / {worse} |"
            )
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("baseline", type=Path, help="heldout.json of the weights to beat (e.g. the shipped ones)")
    p.add_argument("candidate", type=Path, help="heldout.json of the new weights, from the same command")
    args = p.parse_args(argv)
    baseline, candidate = (json.loads(path.read_text()) for path in (args.baseline, args.candidate))
    for key in ("metric_size", "same_clip", "k", "mouth_targets", "display_data"):
        if baseline.get(key) != candidate.get(key):
            raise SystemExit(f"the reports differ in {key} ({baseline.get(key)!r} against {candidate.get(key)!r}): not comparable")
    print(f"baseline: {baseline['checkpoint']} (step {baseline['step']}); candidate: {candidate['checkpoint']} (step {candidate['step']})")
    print("\n".join(compare(baseline, candidate)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
