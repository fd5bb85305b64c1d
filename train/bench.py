"""Meta-learning throughput on the machine at hand (a benchmark, not a test).

    $PYTHON train/bench.py [--config default] [--batch 8] [--k 8] [--steps 10] [--no-content] [--precision fp32,bf16,bf16@112]

Synthetic uint8 data of the preset's resolution stands in for the training set (throughput does
not depend on pixel values); warp-guided presets get the canonical face's landmarks with jitter.
Prints one JSON line per variant (in one run, so they compare): samples/s, ms/step, device,
peak GPU memory. A variant is a precision, fp32 or bf16 (autocast where the device supports it: CUDA,
CPUs with AVX-512 BF16), optionally with @N: the content loss's networks at N px instead of perceptual.json's
contentLoss.inputSize (128), and optionally :RECIPE, the losses and data of a step (RECIPES below):
`paper` (default: adversarial, feature matching and content losses, D updated every step, frames at
the preset's size) or `recon` (the reconstruction-only recipe the shipped warp-guided weights were
trained with: D skipped, the display twin at twice the size; plus warp64s-c's mouth-focused episodes
and mouth L1, which cost next to nothing). E.g. issue 13's
comparison, in one run:

    $PYTHON train/bench.py --config warp64s --batch 4 --k 4 --precision fp32@224,bf16@128,bf16@128:recon
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from train.talking_heads.config import load_preset  # noqa: E402
from train.talking_heads.episodes import EpisodeSampler  # noqa: E402
from train.talking_heads.trainer import MetaTrainer, TrainOptions  # noqa: E402

# Loss weights and data of a step per recipe; `recon` is train/README.md's warp64s-c command
# (train/runs/warp64s-c), `paper` the trainer's defaults.
RECIPES = {
    "paper": {"options": {}, "display": False, "mouth_focus": 0.0},
    "recon": {
        "options": {"l1_weight": 10.0, "ssim_weight": 5.0, "mouth_weight": 5.0, "adv_weight": 0.0, "fm_weight": 0.0},
        "display": True,
        "mouth_focus": 0.3,
    },
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--config", default="default")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--no-content", action="store_true")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: every core this process may use)")
    p.add_argument(
        "--precision",
        default="bf16",
        help="comma-separated variants: fp32, bf16, each optionally @N (content size; default perceptual.json's contentLoss.inputSize)",
    )
    args = p.parse_args()
    device = torch.device(args.device)
    if device.type == "cpu":
        # Debian's torch starts with one intra-op thread here; two cores then run at half speed.
        torch.set_num_threads(args.threads or len(os.sched_getaffinity(0)))
    elif args.threads:
        torch.set_num_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    config = load_preset(args.config)
    s = config.resolution
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, size=(64, s, s, 3), dtype=np.uint8)
    videos = [list(range(i, i + 8)) for i in range(0, 64, 8)]
    points = None
    if config.generator.uses_warp:
        from train.talking_heads.warp import load_mesh

        canonical = load_mesh().canonical.numpy().astype(np.float32) * s
        points = canonical[None] + rng.normal(0, 0.01 * s, size=(64, *canonical.shape)).astype(np.float32)
    for variant in args.precision.split(","):
        variant, _, recipe_name = variant.partition(":")
        precision, _, size = variant.partition("@")
        recipe = RECIPES[recipe_name or "paper"]
        content = None
        if not args.no_content:
            from train.talking_heads.perceptual import ContentLoss

            content = ContentLoss(input_range="signed", input_size=int(size) if size else None).to(device)
        display = None
        if recipe["display"]:
            if points is None:
                raise SystemExit(f"recipe {recipe_name} needs a warp-guided preset")
            big = rng.integers(0, 256, size=(64, 2 * s, 2 * s, 3), dtype=np.uint8)
            display = (big, points * 2)
        sampler = EpisodeSampler(
            crops, crops.copy(), videos, args.k, device, points=points, display=display, mouth_focus=recipe["mouth_focus"]
        )
        options = TrainOptions(batch=args.batch, k=args.k, bf16=precision == "bf16", **recipe["options"])
        trainer = MetaTrainer(config, sampler, options, content_loss=content)
        run(args, device, trainer, precision, content, recipe_name or "paper")


def run(args, device, trainer, precision: str, content, recipe: str) -> None:
    for _ in range(args.warmup):
        trainer.train_step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.time()
    for _ in range(args.steps):
        trainer.train_step()
    trainer.train_step(log=True)  # one host sync, like a log step
    elapsed = time.time() - start
    steps = args.steps + 1
    out = {
        "config": args.config,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
        "torch": torch.__version__,
        "batch": args.batch,
        "k": args.k,
        "precision": precision if trainer.use_autocast or precision == "fp32" else f"{precision} (unsupported here: fp32)",
        "content_loss": None if content is None else f"{content.networks['imagenet'].input_size} px",
        "recipe": recipe,
        "ms_per_step": round(1000 * elapsed / steps, 1),
        "samples_per_s": round(steps * args.batch / elapsed, 2),
    }
    if device.type == "cuda":
        out["peak_gpu_mem_gb"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
