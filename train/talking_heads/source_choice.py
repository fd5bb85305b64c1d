"""Which photo to warp when an avatar has several: measured on held-out people, warps only.

    $PYTHON -m train.talking_heads.source_choice --data data/train-64 [--k 8] [--targets 4]

For each held-out person (evaluate_heldout's episodes: K source frames, targets from another clip or
other photos), warps the sources onto each target's landmarks and scores: the first source, the
nearest source (warp.nearest_source, what the app and the trainer use), and the mean of the warps of
the nearest 2 and 3. Prints SSIM (mean) and sharpness (median of variance-of-Laplacian ratios, output
over real; averaging warps blurs, which SSIM rewards on blurry targets).
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from .evaluate_heldout import episodes, to_tensor
from .image_metrics import sharpness, ssim
from .warp import alignment_error, warp

from .dataset_io import load_training_set


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--targets", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    data = load_training_set(args.data, heldout=True, landmarks=True)
    points = torch.from_numpy(data.landmarks[..., :2])
    rng = np.random.default_rng(args.seed)
    choices = ("first", "nearest", "mean of nearest 2", "mean of nearest 3")
    scores = {c: [] for c in choices}
    sharp = {c: [] for c in choices}
    for person in (p for p in data.people if p.heldout):
        picked = episodes(person, args.k, args.targets, rng)
        if picked is None:
            continue
        src, tgt = picked
        real = to_tensor(data.crops[tgt])
        real_sharpness = sharpness(real).clamp_min(1e-8)
        order = alignment_error(points[src].unsqueeze(0).expand(len(tgt), -1, -1, -1), points[tgt]).argsort(dim=1)

        def warped(index: torch.Tensor) -> torch.Tensor:
            chosen = src[index.numpy()]
            return warp(to_tensor(data.crops[chosen]), points[chosen], points[tgt])[0]

        ranked = [warped(order[:, i]) for i in range(min(3, len(src)))]
        outputs = {
            "first": warped(torch.zeros(len(tgt), dtype=torch.long)),
            "nearest": ranked[0],
            "mean of nearest 2": torch.stack(ranked[:2]).mean(0),
            "mean of nearest 3": torch.stack(ranked[:3]).mean(0),
        }
        for choice, frame in outputs.items():
            scores[choice].append(ssim(frame, real).mean().item())
            sharp[choice].append((sharpness(frame) / real_sharpness).mean().item())
    result = {c: {"ssim": round(float(np.mean(scores[c])), 4), "sharpness_median": round(float(np.median(sharp[c])), 3)} for c in choices}
    print(json.dumps({"people": len(scores["first"]), "k": args.k, "choices": result}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
