"""Meta-learning command: resumable, time-boxed training runs.

    $PYTHON -m train.talking_heads.train --data data/train-128 --config default --run train/runs/default \\
        --time-limit 540 [--steps N] [--batch 8] [--k 8] [--variant ff|ft] [--device cuda]

Each command trains until --steps or --time-limit (so one command fits a 10-minute slot), then
writes the checkpoint; running the same command again resumes exactly (weights, optimisers, RNG,
step). Logs go to RUN/log.jsonl and stdout, sample grids to RUN/samples/.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from .checkpoint import load_checkpoint, load_networks, save_checkpoint
from .config import load_preset
from .episodes import EpisodeSampler, people_of, videos_of
from .trainer import MetaTrainer, TrainOptions, format_stats, is_finite
from .warm_start import default_warm_start, warm_start

from .dataset_io import load_training_set


def save_grid(path: Path, samples: dict) -> None:
    """Rows: source | driver landmarks | (warp |) output | ground truth, one row per sample."""
    from PIL import Image

    columns = list(samples.values())
    rows = torch.cat([torch.cat([x.float().clamp(-1, 1) for x in row], dim=2) for row in zip(*columns)], dim=1)
    pixels = ((rows + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="training set folder (scripts/prepare-training-set.ts)")
    p.add_argument("--config", default="default", help="preset of src/nn/configs.json")
    p.add_argument("--run", required=True, help="run folder: checkpoint, logs, samples")
    p.add_argument("--steps", type=int, default=10**9, help="stop at this total step count")
    p.add_argument("--time-limit", type=float, default=540, help="seconds of training in this command")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--variant", choices=["ff", "ft"], default="ff", help="ft adds the embedding match loss")
    p.add_argument("--match-weight", type=float, default=None, help="L_MCH weight for --variant ft (default 1e-2, detached)")
    p.add_argument("--lr-g", type=float, default=5e-5)
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--l1-weight", type=float, default=0.0)
    p.add_argument("--sources", default=None, help="comma-separated sources whose clips make episodes (default: all, e.g. ytf,celeba)")
    p.add_argument("--ssim-weight", type=float, default=0.0, help="weight of (1 - SSIM) of the generated frame (not in the paper)")
    p.add_argument("--mouth-weight", type=float, default=0.0, help="weight of an L1 inside the mouth's opening (not in the paper)")
    p.add_argument(
        "--ignore-target-padding",
        action="store_true",
        help="take the target's black padding bands (its crop past the video's edge) out of the reconstruction losses",
    )
    p.add_argument(
        "--colour-jitter",
        type=float,
        default=0.0,
        help="per episode, gains in [1 - C, 1 + C] per channel and an offset in [-C, C] on every frame (0: none)",
    )
    p.add_argument(
        "--mouth-content-weight", type=float, default=0.0, help="weight of the content loss on a crop around the mouth (not in the paper)"
    )
    p.add_argument(
        "--mouth-focus",
        type=float,
        default=0.0,
        help="fraction of episodes whose target is among its clip's most open-mouthed frames and sources among the least",
    )
    p.add_argument(
        "--cross-clip",
        type=float,
        default=0.0,
        help="fraction of episodes whose target comes from another clip of the sources' person (as the app is driven)",
    )
    p.add_argument(
        "--embedder-only",
        default="",
        help="comma-separated sources (e.g. celeba) whose frames feed E only; G warps the target moved by a small similarity",
    )
    p.add_argument("--beta1-g", type=float, default=None, help="Adam β1 of E and G (default: the paper's 0)")
    p.add_argument("--head-lr-scale", type=float, default=1.0, help="learning-rate multiplier of the warp-guided output head")
    p.add_argument("--content-weight", type=float, default=1.0, help="0 disables the perceptual content loss")
    p.add_argument("--adv-weight", type=float, default=1.0, help="weight of G's adversarial term −r̂ (paper: 1)")
    p.add_argument(
        "--fm-weight",
        type=float,
        default=10.0,
        help="weight of D's feature matching (paper: 10); with --adv-weight 0 too, D is not trained",
    )
    p.add_argument(
        "--display-data",
        default=None,
        help="the same set cut larger (e.g. data/train-128): reconstruction losses on the frame the app shows (display_data.py)",
    )
    p.add_argument(
        "--content-size",
        type=int,
        default=None,
        help="side the content loss resizes to (default: contentLoss.inputSize of src/nn/perceptual.json, as the app's fine-tuning)",
    )
    p.add_argument(
        "--train-only",
        choices=["", "mouth", "face"],
        default="",
        help="mouth: only the mouth generator (config.mouth) learns; E, G and D stay as loaded. "
        "face: everything but the mouth generator learns (it stays as loaded)",
    )
    p.add_argument(
        "--teacher",
        default=None,
        help="warp-guided weights (a manifest or checkpoint) whose E and G teach this run's G: with --distill-weight, "
        "an L1 between G's residual α·Δ and the teacher's (e.g. a narrower G learning from the shipped one)",
    )
    p.add_argument(
        "--background-weight",
        type=float,
        default=0.0,
        help="weight of an L1 on G's residual α·Δ outside the face oval where the warp is valid (background.py)",
    )
    p.add_argument(
        "--face-ssim-weight",
        type=float,
        default=0.0,
        help="weight of 1 − SSIM inside the target's face oval on the shown frame, on top of --ssim-weight",
    )
    p.add_argument("--distill-weight", type=float, default=0.0, help="weight of the L1 to the teacher's α·Δ (needs --teacher)")
    p.add_argument(
        "--ema",
        type=float,
        default=0.0,
        help="keep a moving average of E and G's weights with this decay per step (ema.py; e.g. 0.999), "
        "which evaluate_heldout and export_weights then take; 0: none",
    )
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: every core this process may use)")
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--sample-every", type=int, default=500)
    p.add_argument("--checkpoint-every", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-bf16", action="store_true")
    p.add_argument(
        "--warm-start",
        default="shipped",
        help="when the run has no checkpoint, start E, G (with P) and D from these weights (a manifest or "
        "checkpoint; G's new inputs and head start as no-ops) instead of from scratch: 'shipped' (default) is "
        "public/weights/warp or public/weights/paper by the preset's generator; 'none' starts from scratch",
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    # torchrun sets WORLD_SIZE/RANK/LOCAL_RANK: one process per GPU (or CPU process with gloo).
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if world > 1:
        backend = "nccl" if torch.cuda.is_available() and args.device != "cpu" else "gloo"
        dist.init_process_group(backend)
    if args.device == "auto":
        device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    lead = rank == 0
    if device.type == "cpu":
        # Debian's torch starts with one intra-op thread here; two cores then run at half speed.
        torch.set_num_threads(args.threads or max(1, len(os.sched_getaffinity(0)) // world))
    elif args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    run = Path(args.run)
    run.mkdir(parents=True, exist_ok=True)
    ckpt_path = run / "checkpoint.pt"

    loaded = time.time()
    config = load_preset(args.config)
    data = load_training_set(args.data, heldout=False, landmarks=config.generator.uses_warp)
    if data.size != config.resolution:
        raise SystemExit(f"{args.data} is {data.size} px but preset {args.config} is {config.resolution} px")
    sources = args.sources.split(",") if args.sources else None
    videos, people = videos_of(data, sources=sources), people_of(data, sources=sources)
    display = None
    if args.display_data:
        if not config.generator.uses_warp:
            raise SystemExit("--display-data is for warp-guided presets (the paper's G shows its own frame)")
        from .display_data import display_twin, frames_with_twin

        large = load_training_set(args.display_data, heldout=False, landmarks=True)
        crops, points, has = display_twin(data, large)
        videos = frames_with_twin(videos, has)
        display = (crops, points)
        if lead:
            print(f"display twin: {args.display_data}, {large.size} px, {int(has.sum())}/{len(data)} frames matched", flush=True)
    # Each rank draws its own episodes; the global batch is batch × world size.
    sampler = EpisodeSampler(
        data.crops,
        data.landmark_images,
        videos,
        args.k,
        device,
        seed=args.seed + rank,
        points=data.landmarks,
        display=display,
        mouth_focus=args.mouth_focus,
        cross_clip=args.cross_clip,
        people=people,
        colour_jitter=args.colour_jitter,
        embedder_only=[source in args.embedder_only.split(",") for source, _ in people] if args.embedder_only else None,
    )
    if lead:
        print(f"data: {len(data)} frames, {sampler.num_videos} videos, loaded in {time.time() - loaded:.1f}s on {device}", flush=True)

    content = None
    if args.content_weight > 0 or args.mouth_content_weight > 0:
        from .perceptual import ContentLoss

        content = ContentLoss(input_range="signed", input_size=args.content_size).to(device)
    options = TrainOptions(
        batch=args.batch,
        k=args.k,
        lr_g=args.lr_g,
        lr_d=args.lr_d,
        l1_weight=args.l1_weight,
        betas_g=None if args.beta1_g is None else (args.beta1_g, 0.999),
        head_lr_scale=args.head_lr_scale,
        ssim_weight=args.ssim_weight,
        mouth_weight=args.mouth_weight,
        mouth_content_weight=args.mouth_content_weight,
        background_weight=args.background_weight,
        face_ssim_weight=args.face_ssim_weight,
        ignore_target_padding=args.ignore_target_padding,
        content_weight=args.content_weight,
        adv_weight=args.adv_weight,
        fm_weight=args.fm_weight,
        bf16=not args.no_bf16,
        variant=args.variant,
        train_only=args.train_only,
        distill_weight=args.distill_weight,
        ema=args.ema,
        match_weight=(args.match_weight if args.match_weight is not None else 1e-2) if args.variant == "ft" else 0.0,
        match_detach_target=args.variant == "ft" and args.match_weight is None,
    )
    teacher = None
    if args.distill_weight > 0:
        if not args.teacher:
            raise SystemExit("--distill-weight needs --teacher")
        _, t_embedder, t_generator, _, _ = load_networks(args.teacher, average=True)
        teacher = (t_embedder, t_generator)
        if lead:
            print(f"teacher: {args.teacher} ({t_generator.config.name}), distillation ×{args.distill_weight:g}", flush=True)
    trainer = MetaTrainer(config, sampler, options, content_loss=content, teacher=teacher)

    extra = {}
    if ckpt_path.exists():
        _, e, g, d, extra = load_checkpoint(ckpt_path)
        trainer.embedder.load_state_dict(e.state_dict())
        trainer.generator.load_state_dict(g.state_dict())
        trainer.discriminator.load_state_dict(d.state_dict())
        trainer.load_state_dict(extra["trainer"])
        if rank > 0:  # the checkpoint holds rank 0's sampler state; other ranks must not repeat it
            sampler.generator.manual_seed(args.seed + 1_000_003 * rank + trainer.step)
        if lead:
            print(f"resumed from {ckpt_path} at step {trainer.step}", flush=True)
    elif args.warm_start != "none":
        # Never start over: the lineage (steps, samples, hours) carries on from the weights' own.
        source = default_warm_start(config) if args.warm_start == "shipped" else Path(args.warm_start)
        if not source.exists() and args.warm_start == "shipped":
            source = default_warm_start(load_preset("cpu64"))  # a new generator kind starts from the paper's
        if not source.exists():
            raise SystemExit(f"warm start: {source} does not exist (pass --warm-start none to start from scratch)")
        extra = warm_start(trainer, source)
        if lead:
            print(f"warm start from {source}: {extra.get('lineage')}", flush=True)
    # The runs these weights descend from (warm_start.py); this run is added at export.
    parents = list(extra.get("lineage", []))
    # The lineage's held-out learning curve so far (its points before this run; export adds this run's).
    parents_curve = list(extra.get("curve", []))
    warm_from = extra.get("warm_start")
    wall_before = float(extra.get("wall_seconds", 0.0))
    samples_before = int(extra.get("samples_seen", 0))

    def checkpoint(reason: str) -> None:
        save_checkpoint(
            ckpt_path,
            trainer.config,
            trainer.embedder,
            trainer.generator,
            trainer.discriminator,
            extra={
                "trainer": trainer.state_dict(),
                "wall_seconds": wall_before + (time.time() - started),
                "samples_seen": samples_before + (trainer.step - first_step) * args.batch * world,
                "device": torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
                "data": str(args.data) + (f" + display twin {args.display_data}" if args.display_data else ""),
                "run": str(run),
                "bf16": trainer.use_autocast,
                "lineage": parents,
                "curve": parents_curve,
                "warm_start": warm_from,
                "options": asdict(options),
                "episodes": {
                    "sources": args.sources or "all",
                    "mouth_focus": args.mouth_focus,
                    "cross_clip": args.cross_clip,
                    "embedder_only": args.embedder_only,
                    "colour_jitter": args.colour_jitter,
                },
            },
        )
        print(f"checkpoint at step {trainer.step} ({reason})", flush=True)

    started = time.time()
    first_step = trainer.step
    log = open(run / "log.jsonl", "a", encoding="utf-8") if lead else None
    status = 0

    # SIGTERM or Ctrl-C (e.g. `kill` before the tests need the cores): finish the step, checkpoint, exit.
    interrupted = []

    def request_stop(signum, _frame) -> None:
        if interrupted:  # a second signal: stop at once (the last checkpoint stays)
            raise KeyboardInterrupt
        interrupted.append(signum)
        print(f"signal {signum}: stopping after this step with a checkpoint", flush=True)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, request_stop)

    def stop_now(failed: bool) -> bool:
        # Rank 0 decides for everyone, so no rank waits in an all-reduce the others left.
        stop = failed or bool(interrupted) or trainer.step >= args.steps or time.time() - started >= args.time_limit
        if world > 1:
            flag = torch.tensor([float(stop)], device=device)
            dist.broadcast(flag, src=0)
            stop = bool(flag.item())
        return stop

    failed = False
    while not stop_now(failed):
        want_log = (trainer.step + 1) % args.log_every == 0
        stats = trainer.train_step(log=want_log)
        if stats is not None and lead:
            seen = (trainer.step - first_step) * args.batch * world
            print(format_stats(stats, started, seen), flush=True)
            record = asdict(stats) | {"time": time.time(), "samples_seen": samples_before + seen}
            if device.type == "cuda":
                record["gpu_mem_gb"] = torch.cuda.max_memory_allocated(device) / 2**30
            log.write(json.dumps(record) + "\n")
            log.flush()
            if not is_finite(stats):
                print("non-finite loss: stopping; the last checkpoint is the last good state", flush=True)
                status, failed = 2, True
                continue
        if lead and trainer.step % args.sample_every == 0:
            save_grid(run / "samples" / f"step{trainer.step:07d}.png", trainer.samples())
        if lead and trainer.step % args.checkpoint_every == 0:
            checkpoint("periodic")
    if lead and status == 0:
        save_grid(run / "samples" / f"step{trainer.step:07d}.png", trainer.samples())
        checkpoint("end of command")
    if log:
        log.close()
    if world > 1:
        dist.destroy_process_group()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
