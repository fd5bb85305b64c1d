"""Where the mouth generator's pass costs identity: the pass confined to regions, held out.

    $PYTHON -m train.talking_heads.mouth_regions --checkpoint RUN/checkpoint.pt --data data/train-64 \\
        --display-data data/train-128 [--regions full,outer0,outer2,inner0,inner2]

For each held-out person (evaluate_heldout's same-clip episodes, K = 8, seed 0), its hold-out targets
and its four most open-mouthed frames, kept where the mouth generator runs (opening gate > 0): the
frame as the app shows it without the pass ("none") and with it, the pass's residual α·Δ confined to
one region at a time. "full" is the pass as the weights have it; "outerD" confines α to the outer lips'
polygon grown by D pixels of the crop (the generator's own mouth.alphaLipRegion = D); "innerD" to the
inner lips' polygon (the opening) grown by D pixels. Prints the mean identity cosine (faceres, 128 px,
as evaluate_heldout) with the target and the mean SSIM of the 64 px square around the target's mouth
(evaluate_heldout's mouth SSIM), per region: a region that keeps the identity of "none" and most of
the mouth SSIM of "full" says where the pass should paint.
"""
from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import torch
import torch.nn.functional as F

from . import mouth_region
from .checkpoint import load_networks
from .dataset_io import load_training_set
from .display_data import display_twin
from .evaluate_heldout import MOUTH_VIEW, IdentityEmbedding, episodes, resize_for_metrics, to_tensor
from .image_metrics import ssim
from .mouth import mouth_crops, mouth_opening
from .nets import GeneratorInputs, compose
from .warp import nearest_source, sample, warp, warp_grid


def confined(mouth, region: str):
    """The mouth generator's refine with its α confined to `region` ("outerD" / "innerD"), as a function
    (psi, frame, points, source_points) → refined frame."""
    grow = int(region[5:])
    if region.startswith("outer"):  # the generator's own option
        g = mouth.config.generator
        config = dataclasses.replace(mouth.config, generator=dataclasses.replace(g, alpha_lip_region=grow))

        def refine(psi, frame, points, source_points):
            saved, mouth.config = mouth.config, config
            try:
                return mouth.refine(psi, frame, points, source_points)[0]
            finally:
                mouth.config = saved

        return refine

    def refine_inner(psi, frame, points, source_points):
        # The pass as the weights have it (α already scaled by the opening gate), its α·Δ masked.
        out = mouth.refine(psi, frame, points, source_points)[1]
        box, lips = mouth_region.region(points, mouth.pad, mouth.config.resolution)
        inner = lips[:, :1]
        region_mask = F.max_pool2d(inner, 2 * grow + 1, 1, grow) if grow else inner
        return mouth_region.paste(frame.float(), out.alpha * out.delta * region_mask, box)

    return refine_inner


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--display-data", required=True)
    p.add_argument("--regions", default="full,outer0,outer2,inner0,inner2")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    config, embedder, generator, _, _ = load_networks(args.checkpoint)
    if generator.mouth is None or generator.mouth.opening_ramp is None:
        raise SystemExit(f"{args.checkpoint}: no mouth generator with an opening gate (config.mouth.openingRamp)")
    embedder.eval()
    generator.eval()
    mouth = generator.mouth
    data = load_training_set(args.data, heldout=True, landmarks=True, training=False)
    twin = display_twin(data, load_training_set(args.display_data, heldout=True, landmarks=True, training=False))
    identity = IdentityEmbedding()
    regions = ["none"] + args.regions.split(",")
    passes = {r: confined(mouth, r) for r in regions if r.startswith(("outer", "inner"))}
    scores = {r: {"id": [], "mouth_ssim": []} for r in regions}
    rng = np.random.default_rng(args.seed)
    points = torch.from_numpy(data.landmarks[..., :2])
    frame_points = torch.from_numpy(twin[1]).float()
    for person in (p for p in data.people if p.heldout):
        picked = episodes(person, 8, 4, rng, True, twin[2])
        if picked is None:
            continue
        src, tgt = picked
        pool = np.setdiff1d(np.concatenate([c.frames for c in person.clips]), src)
        pool = pool[twin[2][pool]]
        widest = pool[np.argsort(-mouth_opening(frame_points[pool]).numpy(), kind="stable")[:4]]
        targets = np.union1d(tgt, widest)
        with torch.no_grad():
            e_hat = embedder(to_tensor(data.crops[src]), to_tensor(data.landmark_images[src])).mean(0)
            psi, mouth_psi = generator.psi_from_embedding(e_hat), mouth.psi_from_embedding(e_hat)
            chosen = src[nearest_source(points[src].unsqueeze(0).expand(len(targets), -1, -1, -1), points[targets]).numpy()]
            runs = (mouth_region.opening_gate(frame_points[targets], frame_points[chosen], mouth.opening_ramp) > 0).numpy()
            if not runs.any():
                continue
            targets, chosen = targets[runs], chosen[runs]
            warped, mask = warp(to_tensor(data.crops[chosen]), points[chosen], points[targets])
            out = generator.render(psi, GeneratorInputs(to_tensor(data.landmark_images[targets]), warped, mask))
            image = to_tensor(twin[0][chosen])
            position = warp_grid(frame_points[chosen], frame_points[targets], image.shape[-1])[0]
            shown = compose(sample(image, position), out, image, position)
            real = to_tensor(twin[0][targets])
            real_id = identity(resize_for_metrics(real, 128))
            at, batch_psi = frame_points[targets], mouth_psi.expand(len(targets), -1)
            for r in regions:
                if r == "none":
                    frame = shown
                elif r == "full":
                    frame = mouth.refine(batch_psi, shown, at, frame_points[chosen])[0]
                else:
                    frame = passes[r](batch_psi, shown, at, frame_points[chosen])
                scores[r]["id"] += (identity(resize_for_metrics(frame, 128)) * real_id).sum(1).tolist()
                views = [mouth_crops(x.float(), at, MOUTH_VIEW) for x in (frame, real)]
                scores[r]["mouth_ssim"] += ssim(*views).tolist()
    frames = len(scores["none"]["id"])
    print(f"{args.checkpoint}: {frames} held-out frames where the mouth generator runs")
    print("| region | identity cos | mouth SSIM |\n| --- | --- | --- |")
    for r in regions:
        print(f"| {r} | {np.mean(scores[r]['id']):.4f} | {np.mean(scores[r]['mouth_ssim']):.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
