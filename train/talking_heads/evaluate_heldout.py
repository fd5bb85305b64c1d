"""Held-out numbers for the model card: FF self-reenactment of people the trainer never saw.

    $PYTHON -m train.talking_heads.evaluate_heldout --checkpoint RUN/checkpoint.pt --data data/train-128 \\
        --out RUN/heldout [--k 8] [--targets 4] [--metric-size 64]

--checkpoint also takes exported weights (public/weights/NAME/manifest.json). --metric-size resizes
generated and real frames to one size before the metrics (area averaging down, bilinear up), so
networks of different resolutions are compared on equal terms (SSIM depends on the pixel scale).

For each held-out person (train/split.json): K source frames from one clip, targets from another
clip where the person has one (YouTube Faces), else from the remaining photos (CelebA). The output
is G(y_target, P·mean_k E(x_k, y_k)) — the feed-forward avatar, no fine-tuning; a warp-guided G also
gets the source frame nearest the target's pose warped onto the target's landmarks (warp.py).

Metrics: SSIM (11×11 Gaussian window, σ 1.5, on luma in [0, 1]) and an identity cosine between
generated and real frames on faceres (the VGGFace2-trained network of the content loss; global
average pool of its last depthwise-separable block). This is *not* the paper's CSIM (ArcFace);
the project's eval command (issue 7) uses mobilefacenet for that. Also the same metrics for the
trivial baseline "copy a source frame", and for the warp alone (the same nearest source, warped),
which a warp-guided G must beat. ssim_face: SSIM inside the target's face oval (background.py
face_oval_mask; each window weighted by its centre), the part of the frame that the landmarks and the
warped photo determine (the background of a hold-out frame is in neither). Sharpness: variance of
the Laplacian of luma, output over real (1.0 = as sharp as the real frame; a blurring network scores
below the warp). Mouth: mean absolute
error (pixels in [-1, 1]) inside the mouth's opening (mouth.py mouth_mask) on the frames whose target
opens the mouth wider than the warped source by more than MOUTH_GAP (mouth_opening units), the
case a warp answers with stretched lips; reported with the number of such frames. On the same frames,
mouth_ssim: SSIM of a MOUTH_VIEW-px square around the target's mouth (mouth.py mouth_crops), the
teeth's and the dark gap's structure; mouth_grid.png shows, per person, the frame that opens the mouth
most beyond its source (source, warp, FF, target around the mouth). With a mouth generator
(config.mouth) FF includes its pass, as the app shows it.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .checkpoint import load_networks
from .background import face_oval_mask
from .image_metrics import sharpness, ssim, weighted_ssim
from .mouth import mouth_crops, mouth_l1, mouth_mask, mouth_opening
from .nets import GeneratorInputs, compose
from .perceptual import PerceptualNetwork
from .warp import nearest_source, sample, warp, warp_grid

from .dataset_io import load_training_set


class IdentityEmbedding:
    def __init__(self) -> None:
        self.net = PerceptualNetwork("face", ["conv_pw_13_relu"])

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        feats = self.net((images + 1) / 2)[0]
        return F.normalize(feats.mean(dim=(2, 3)), dim=1)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1


def resize_for_metrics(images: torch.Tensor, size: int) -> torch.Tensor:
    if size <= 0 or images.shape[-1] == size:
        return images
    if images.shape[-1] > size:
        return F.interpolate(images, size=(size, size), mode="area")
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


def episodes(person, k: int, targets: int, rng: np.random.Generator, same_clip: bool = False, keep=None):
    clips = [c for c in person.clips if len(c.frames) > 0]
    if keep is not None:  # frames with a display twin only
        clips = [c for c in (dataclasses.replace(c, frames=c.frames[keep[c.frames]]) for c in clips) if len(c.frames) > 0]
    if not clips:
        return None
    if same_clip:
        # The longest clip: targets first (up to half of it), the sources from the rest.
        frames = rng.permutation(max(clips, key=lambda c: len(c.frames)).frames)
        if len(frames) < 2:
            return None
        cut = min(targets, len(frames) // 2)
        return rng.permutation(frames[cut:])[:k], frames[:cut]
    if len(clips) >= 2:
        sources, rest = clips[0].frames, np.concatenate([c.frames for c in clips[1:]])
    else:
        frames = rng.permutation(clips[0].frames)
        sources, rest = frames[:k], frames[k:]
    if len(rest) == 0:
        return None
    src = rng.choice(sources, size=min(k, len(sources)), replace=False)
    tgt = rng.choice(rest, size=min(targets, len(rest)), replace=False)
    return src, tgt


METRICS = (
    "ssim_ff",
    "ssim_copy",
    "ssim_warp",
    "ssim_face_ff",
    "ssim_face_warp",
    "idcos_ff",
    "idcos_copy",
    "idcos_warp",
    "sharp_ff",
    "sharp_warp",
)
MOUTH_METRICS = ("mouth_ff", "mouth_warp", "mouth_ssim_ff", "mouth_ssim_warp")
# Side of the squares around the mouth that mouth_ssim compares and the mouth grid shows.
MOUTH_VIEW = 64
MOUTH_GAP = 0.1  # target opening − source opening (÷ eye-corner distance) for a frame to count


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--targets", type=int, default=4)
    p.add_argument("--grid-people", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--metric-size", type=int, default=0, help="compare at this size (0: the network's resolution)")
    p.add_argument(
        "--display-data",
        default=None,
        help="the same set cut larger (display_data.py): judge warp-guided frames as the app shows them, warp at that size + α↑·Δ↑",
    )
    p.add_argument(
        "--mouth-targets",
        type=int,
        default=0,
        help="also score the mouth on each person's N most open-mouthed frames (outside the sources; not in the other metrics)",
    )
    p.add_argument("--same-clip", action="store_true", help="targets from the sources' own clip (the paper's self-reenactment)")
    p.add_argument(
        "--curve", default=None, help="append {step, samples, hours, metrics} to this JSONL file (the model card's learning curve)"
    )
    p.add_argument(
        "--trained", action="store_true", help="score the trained weights even where the checkpoint keeps their moving average (--ema)"
    )
    args = p.parse_args(argv)

    config, embedder, generator, _, extra = load_networks(args.checkpoint, average=not args.trained)
    if extra.get("averaged"):
        print(f"{args.checkpoint}: E and G are the run's moving average (decay {extra['averaged']})", flush=True)
    embedder.eval()
    generator.eval()
    data = load_training_set(args.data, heldout=True, landmarks=True, training=False)
    if data.size != config.resolution:
        raise SystemExit(f"{args.data} is {data.size} px but the network is {config.resolution} px")
    twin = None
    if args.display_data:
        if not config.generator.uses_warp:
            raise SystemExit("--display-data is for warp-guided networks")
        from .display_data import display_twin

        twin = display_twin(data, load_training_set(args.display_data, heldout=True, landmarks=True, training=False))
    identity = IdentityEmbedding()
    rng = np.random.default_rng(args.seed)
    rows, grid, mouth_grid = [], [], []
    for person in (p for p in data.people if p.heldout):
        picked = episodes(person, args.k, args.targets, rng, args.same_clip, None if twin is None else twin[2])
        if picked is None:
            continue
        src, tgt = picked
        points = torch.from_numpy(data.landmarks[..., :2])
        frame_points = (torch.from_numpy(twin[1]) if twin is not None else points).float()
        with torch.no_grad():
            e_hat = embedder(to_tensor(data.crops[src]), to_tensor(data.landmark_images[src])).mean(0)
            psi = generator.psi_from_embedding(e_hat)

        def frames(tgt):
            """(FF frame, real, warp, warped source) for targets `tgt`, as the app shows them."""
            with torch.no_grad():
                pick = nearest_source(points[src].unsqueeze(0).expand(len(tgt), -1, -1, -1), points[tgt])
                chosen = src[pick.numpy()]
                warped, mask = warp(to_tensor(data.crops[chosen]), points[chosen], points[tgt])
                out = generator.render(psi, GeneratorInputs(to_tensor(data.landmark_images[tgt]), warped, mask))
                fake, real = out.frame.float(), to_tensor(data.crops[tgt])
                if twin is not None:  # the frame the app shows: the warp at display size (moved by the flow), α and Δ upsampled
                    image = to_tensor(twin[0][chosen])
                    position = warp_grid(frame_points[chosen], frame_points[tgt], image.shape[-1])[0]
                    warped = sample(image, position)
                    fake, real = compose(warped, out, image, position), to_tensor(twin[0][tgt])
                if generator.mouth is not None:  # the mouth generator repaints around the mouth (config.mouth)
                    mouth_psi = generator.mouth.psi_from_embedding(e_hat)
                    fake = generator.mouth.refine(mouth_psi.expand(len(tgt), -1), fake, frame_points[tgt], frame_points[chosen])[0]
            return fake, real, warped, chosen

        fake, real, warped, chosen = frames(tgt)
        copy = to_tensor((twin[0] if twin is not None else data.crops)[src[:1]]).expand_as(real)
        # Mouth error at the frame's own size, on targets that open the mouth beyond their warped source:
        # the hold-out targets, plus (--mouth-targets) the person's most open-mouthed frames.
        mouth_sets = [(tgt, (fake, real, warped, chosen))]
        if args.mouth_targets > 0:
            pool = np.setdiff1d(np.concatenate([c.frames for c in person.clips]), src)
            if twin is not None:
                pool = pool[twin[2][pool]]
            widest = pool[np.argsort(-mouth_opening(frame_points[pool]).numpy(), kind="stable")[: args.mouth_targets]]
            widest = np.setdiff1d(widest, tgt)
            if len(widest):
                mouth_sets.append((widest, frames(widest)))
        errors = {m: [] for m in MOUTH_METRICS}
        widest_row = None  # (opening gap, [source, warp, FF, target] around the target's mouth)
        for targets, (shown, truth, warp_only, sources) in mouth_sets:
            gap = mouth_opening(frame_points[targets]) - mouth_opening(frame_points[sources])
            for i in (gap > MOUTH_GAP).nonzero().squeeze(1).tolist():
                at = frame_points[targets[i : i + 1]]
                mask = mouth_mask(at, truth.shape[-1])
                errors["mouth_ff"].append(mouth_l1(shown[i : i + 1], truth[i : i + 1], mask).item())
                errors["mouth_warp"].append(mouth_l1(warp_only[i : i + 1], truth[i : i + 1], mask).item())
                # SSIM of a square around the mouth: the teeth and the dark gap's structure, not only its colour.
                views = [mouth_crops(x[i : i + 1].float(), at, MOUTH_VIEW) for x in (shown, warp_only, truth)]
                errors["mouth_ssim_ff"].append(ssim(views[0], views[2]).mean().item())
                errors["mouth_ssim_warp"].append(ssim(views[1], views[2]).mean().item())
                if widest_row is None or gap[i] > widest_row[0]:
                    source_frames = to_tensor((twin[0] if twin is not None else data.crops)[sources[i : i + 1]])
                    source_view = mouth_crops(source_frames, frame_points[sources[i : i + 1]], MOUTH_VIEW)
                    widest_row = (float(gap[i]), [source_view[0], views[1][0], views[0][0], views[2][0]])
        mouth = {"mouth_frames": len(errors["mouth_ff"]), **{m: float(np.mean(v)) for m, v in errors.items()}} if errors["mouth_ff"] else {}
        if widest_row is not None and len(mouth_grid) < args.grid_people:
            mouth_grid.append(torch.cat(widest_row[1], dim=2))
        m_fake, m_real, m_copy, m_warp = (resize_for_metrics(x, args.metric_size) for x in (fake, real, copy, warped))
        sharp_real = sharpness(m_real).clamp_min(1e-8)
        # The target's face oval at the metrics' size: where G, not the background, decides.
        oval = face_oval_mask(frame_points[tgt] * (m_real.shape[-1] / real.shape[-1]), m_real.shape[-1])
        rows.append(
            {
                "source": person.source,
                "person": person.id,
                "k": len(src),
                "targets": len(tgt),
                "ssim_ff": ssim(m_fake, m_real).mean().item(),
                "ssim_copy": ssim(m_copy, m_real).mean().item(),
                "idcos_ff": (identity(m_fake) * identity(m_real)).sum(1).mean().item(),
                "idcos_copy": (identity(m_copy) * identity(m_real)).sum(1).mean().item(),
                "ssim_warp": ssim(m_warp, m_real).mean().item(),
                "ssim_face_ff": weighted_ssim(m_fake, m_real, oval).mean().item(),
                "ssim_face_warp": weighted_ssim(m_warp, m_real, oval).mean().item(),
                "idcos_warp": (identity(m_warp) * identity(m_real)).sum(1).mean().item(),
                "sharp_ff": (sharpness(m_fake) / sharp_real).mean().item(),
                "sharp_warp": (sharpness(m_warp) / sharp_real).mean().item(),
                **mouth,
            }
        )
        if len(grid) < args.grid_people:
            lmk = to_tensor(data.landmark_images[tgt[:1]])
            lmk = F.interpolate(lmk, size=tuple(real.shape[-2:]), mode="nearest")[0]
            columns = [copy[0], lmk, warped[0], fake[0], real[0]]
            grid.append(torch.cat(columns, dim=2))

    def mean(key, source=None):
        vals = [r[key] for r in rows if key in r and (source is None or r["source"] == source)]
        return float(np.mean(vals)) if vals else float("nan")

    def mouth_summary(source=None):
        """Frame-weighted mouth errors over the people who have such frames."""
        picked = [r for r in rows if "mouth_frames" in r and (source is None or r["source"] == source)]
        frames = sum(r["mouth_frames"] for r in picked)
        weighted = {m: sum(r[m] * r["mouth_frames"] for r in picked) / frames if frames else float("nan") for m in MOUTH_METRICS}
        return {**weighted, "mouth_frames": frames}

    summary = {
        "checkpoint": str(args.checkpoint),
        "weights": "moving average" if extra.get("averaged") else "trained",
        "step": int(extra.get("trainer", {}).get("step", extra.get("meta", {}).get("steps", 0))),
        "resolution": config.resolution,
        "metric_size": args.metric_size or (twin[0].shape[1] if twin is not None else config.resolution),
        "display_data": args.display_data,
        "same_clip": args.same_clip,
        "mouth_targets": args.mouth_targets,
        "mouth_view": MOUTH_VIEW,
        "people": len(rows),
        "k": args.k,
        "metrics": {src or "all": {**{m: mean(m, src) for m in METRICS}, **mouth_summary(src)} for src in (None, "ytf", "celeba")},
        "per_person": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "heldout.json").write_text(json.dumps(summary, indent=1))
    if grid:
        from PIL import Image

        image = torch.cat(grid, dim=1).clamp(-1, 1)
        if image.shape[-2] // len(grid) < 128:  # small frames: tiles of at least 128 px, pixels kept sharp
            image = F.interpolate(image[None], scale_factor=128 // (image.shape[-2] // len(grid)), mode="nearest")[0]
        Image.fromarray(((image + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()).save(out / "heldout_grid.png")
    if mouth_grid:
        # Per person, the frame opening the mouth most beyond its source: source, warp, FF, target, each
        # a MOUTH_VIEW square around the mouth (the source's own, the others' the target's), 2× up.
        from PIL import Image

        image = F.interpolate(torch.cat(mouth_grid, dim=1).clamp(-1, 1)[None], scale_factor=2, mode="nearest")[0]
        Image.fromarray(((image + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()).save(out / "mouth_grid.png")
    if args.curve:
        # Cumulative over the lineage (warm starts) plus this run so far.
        # A checkpoint lists its parents and counts itself; exported weights list every run, themselves too.
        exported = "trainer" not in extra
        runs = extra.get("meta", {}).get("lineage", []) if exported else extra.get("lineage", [])
        own_steps, own_hours = (0, 0.0) if exported else (summary["step"], float(extra.get("wall_seconds", 0.0)) / 3600)
        point = {
            "step": summary["step"],
            "cumulative_steps": sum(int(r.get("steps") or 0) for r in runs) + own_steps,
            "cumulative_hours": round(sum(float(r.get("hours") or 0) for r in runs) + own_hours, 3),
            "k": args.k,
            "metric_size": summary["metric_size"],
            "same_clip": summary["same_clip"],
            "display_data": summary["display_data"],
            "metrics": summary["metrics"]["all"],
        } | ({"ema": extra["averaged"]} if extra.get("averaged") else {})
        with open(args.curve, "a", encoding="utf-8") as f:
            f.write(json.dumps(point) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "per_person"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
