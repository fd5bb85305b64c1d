"""Writes WEIGHTS/MODEL_CARD.md from a run: the checkpoint's bookkeeping, the training log, the
lineage of runs behind the weights (their manifest's meta), the held-out evaluation
(evaluate_heldout.py) and its learning curve. Every number in the card comes from those files.

    $PYTHON -m train.talking_heads.model_card --run RUN --weights public/weights/warp --notes "..."
        [--card WEIGHTS/MODEL_CARD.md] [--grid docs/heldout_grid_NAME.png]
        [--compare "LABEL=OTHER/heldout.json" ...] [--curve RUN/curve.jsonl]

--compare adds other evaluate_heldout results (e.g. the weights these replace) to a table next to
this run's; they should use the same --metric-size, which the table states. The held-out learning
curve is the weights' meta.curve (every point of the lineage, export_weights.py run_curve), or for
older exports --curve (default RUN/curve.jsonl), which evaluate_heldout --curve appends to.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import torch

from .export_weights import read_curve


def lineage_data_notes(lineage) -> str:
    """Lines for the card's data list from the `data` of every run of the lineage: the talking-head
    videos (train/split.json "videos") and mirrored photos (a set named *-mirrored) when any run read them."""
    read = [str(r.get("data", "")) for r in lineage]
    notes = ""
    if any("videos" in d for d in read):
        notes += (
            "- **Talking-head videos** (`../shared/data/videos`, from the LivePortrait, video-retalking and\n"
            "  Thin-Plate-Spline-Motion-Model repositories, MIT / Apache-2.0): the 11 not held out, 96 frames of\n"
            "  each in clips of 8; the 8 held out are the clips `npm run eval` scores.\n"
        )
    if any("mirrored" in d for d in read):
        notes += (
            "- Every training person's photos also **mirrored** left to right (`npm run data:prep -- --mirror`):\n"
            "  the same people and frames, detected and cropped anew; no held-out person is in a mirrored set.\n"
        )
    return notes


def averaged_weights_row(meta) -> str:
    """A row of the card's training table when the weights are the run's moving average of E and G
    (export_weights records its decay as meta.ema; ema.py); else nothing."""
    decay = meta.get("ema")
    if not decay:
        return ""
    return f"\n| weights shipped | E and G: the moving average of their weights over the run (decay {decay:g} a step, `--ema`; ema.py); D as trained |"


def last_log_record(run: Path) -> dict:
    lines = (run / "log.jsonl").read_text().strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f}"  # NaN-safe


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--run", required=True)
    p.add_argument("--weights", required=True, help="folder of the exported app weights")
    p.add_argument("--notes", default="")
    p.add_argument("--card", default=None, help="default: WEIGHTS/MODEL_CARD.md")
    # Outside public/: the grid shows dataset faces (derived crops), which the app does not ship.
    p.add_argument("--grid", default=None, help="default: docs/heldout_grid_<weights folder>.png")
    p.add_argument("--compare", action="append", default=[], help="LABEL=path/to/heldout.json (repeatable)")
    p.add_argument("--curve", default=None, help="held-out learning curve (JSONL); default the weights' meta.curve, else RUN/curve.jsonl")
    args = p.parse_args(argv)
    run, weights = Path(args.run), Path(args.weights)
    args.card = args.card or str(weights / "MODEL_CARD.md")
    args.grid = args.grid or f"docs/heldout_grid_{weights.name}.png"
    manifest = json.loads((weights / "manifest.json").read_text())
    lineage = manifest.get("meta", {}).get("lineage", [])
    # The weights carry their lineage's whole curve (export_weights.py run_curve); older exports do not.
    carried = manifest.get("meta", {}).get("curve")
    if not args.curve and isinstance(carried, list):
        curve = list(carried)
    else:
        curve = read_curve(Path(args.curve) if args.curve else run / "curve.jsonl")
    payload = torch.load(run / "checkpoint.pt", map_location="cpu")
    extra = payload.get("extra", {})
    trainer = extra.get("trainer", {})
    options = extra.get("options", {})
    config = payload["config"]
    log = last_log_record(run)
    heldout = json.loads((run / "heldout" / "heldout.json").read_text())
    card_path, grid_path = Path(args.card), Path(args.grid)
    grid = run / "heldout" / "heldout_grid.png"
    if grid.exists():
        grid_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(grid, grid_path)
    grid_link = os.path.relpath(grid_path, card_path.parent)
    m = heldout["metrics"]
    g = lambda d, k: fmt(d.get(k, float("nan")))  # noqa: E731  older heldout.json files lack the warp columns
    # The mouth's square (evaluate_heldout --mouth-targets): on frames that open the mouth wider than the source.
    mouth = "mouth_ssim_ff" in m["all"]
    # SSIM inside the target's face oval (evaluate_heldout ssim_face); older files lack it.
    face = "ssim_face_ff" in m["all"]
    rows = "\n".join(
        f"| {name} | {g(m[name], 'ssim_ff')} | {g(m[name], 'ssim_warp')} | {g(m[name], 'ssim_copy')} | {g(m[name], 'idcos_ff')} "
        f"| {g(m[name], 'idcos_warp')} | {g(m[name], 'idcos_copy')} | {g(m[name], 'sharp_ff')} | {g(m[name], 'sharp_warp')} |"
        + (f" {g(m[name], 'ssim_face_ff')} | {g(m[name], 'ssim_face_warp')} |" if face else "")
        + (f" {g(m[name], 'mouth_ssim_ff')} | {g(m[name], 'mouth_ssim_warp')} | {m[name].get('mouth_frames', 0)} |" if mouth else "")
        for name in ("all", "ytf", "celeba")
    )
    extra_head = (" face SSIM FF | face SSIM warp |" if face else "") + (
        " mouth SSIM FF | mouth SSIM warp | mouth frames |" if mouth else ""
    )
    extra_rule = (" --- | --- |" if face else "") + (" --- | --- | --- |" if mouth else "")
    # heldout.json records the square's side (evaluate_heldout MOUTH_VIEW); older files do not.
    mouth_view = f" ({heldout['mouth_view']} px)" if "mouth_view" in heldout else ""
    extra_note = (" Face SSIM: SSIM inside the target's face oval (the face, not the background)." if face else "") + (
        f" Mouth SSIM: SSIM of a square around the target's mouth{mouth_view}, on the frames that open the mouth wider than their"
        " warped source (the hold-out targets plus each person's most open-mouthed frames)."
        if mouth
        else ""
    )
    lineage_rows = "\n".join(
        f"| {r.get('run')} | {r.get('preset', '?')} | {r.get('steps')} | {r.get('samples')} | {fmt(float(r.get('hours') or float('nan')))} "
        f"| {r.get('hardware', '?')} | {r.get('warm_start') or '—'} |"
        for r in lineage
    )
    total = lambda key: sum(float(r.get(key) or 0) for r in lineage)  # noqa: E731
    data_notes = lineage_data_notes(lineage)
    lineage_table = (
        f"""## Lineage (every run behind these weights; none started over)

| run | preset | steps | samples | hours | hardware | started from |
| --- | --- | --- | --- | --- | --- | --- |
{lineage_rows}
| **total** | | **{int(total('steps'))}** | **{int(total('samples'))}** | **{total('hours'):.2f}** | | |
"""
        if lineage
        else ""
    )

    def protocol(h: dict) -> str:
        """How a held-out evaluation was run: metric size, targets' clip, frames as shown or as G's."""
        shown = ", frames as the app shows them" if h.get("display_data") else ""
        return f"{h.get('metric_size', '?')} px, {'same' if h.get('same_clip') else 'other'} clip{shown}"

    curve_table = ""
    if curve:
        curve_rows = "\n".join(
            f"| {c['cumulative_steps']} | {c['cumulative_hours']:.2f} | {protocol(c)} | {c['k']} | {g(c['metrics'], 'ssim_ff')} | {g(c['metrics'], 'ssim_warp')} "
            f"| {g(c['metrics'], 'idcos_ff')} | {g(c['metrics'], 'idcos_warp')} | {g(c['metrics'], 'sharp_ff')} |"
            for c in curve
        )
        curve_table = f"""### Learning curve (held-out, evaluate_heldout at checkpoints of this lineage)

| cumulative steps | cumulative hours | protocol | K | SSIM FF | SSIM warp | identity cos FF | identity cos warp | sharpness FF |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
{curve_rows}
"""
    comparison = ""
    if args.compare:

        def row(label: str, h: dict) -> str:
            a = h["metrics"]["all"]
            return (
                f"| {label} | {h.get('resolution', '?')} px | {h.get('step', '?')} | {h['people']} | {fmt(a['ssim_ff'])} | {fmt(a['ssim_copy'])} "
                f"| {fmt(a['idcos_ff'])} | {fmt(a['idcos_copy'])} |"
            )

        others = [(label, json.loads(Path(path).read_text())) for label, _, path in (item.partition("=") for item in args.compare)]
        sizes = sorted({str(h.get("metric_size", "?")) for h in [heldout] + [h for _, h in others]})
        comparison = f"""
### Against other weights

All at {" / ".join(sizes)} px (frames resized before the metrics), same held-out people and protocol;
each network sees frames prepared at its own resolution, so the targets drawn can differ slightly (the
"copy" columns show how close the two samples are).

| weights | resolution | steps | people | SSIM FF | SSIM copy | identity cos FF | identity cos copy |
| --- | --- | --- | --- | --- | --- | --- | --- |
{row("these", heldout)}
{chr(10).join(row(label, h) for label, h in others)}
"""
    targets = (
        "other frames of the same clip (YouTube Faces) or other photos (CelebA)"
        if heldout.get("same_clip")
        else "another clip (YouTube Faces) or other photos (CelebA)"
    )
    shown = (
        f"Frames as the app shows them: the photo warped at {heldout.get('metric_size')} px (`{heldout['display_data']}`) plus G's α and Δ upsampled. "
        if heldout.get("display_data")
        else ""
    )
    regen_flags = (
        (f" --display-data {heldout['display_data']}" if heldout.get("display_data") else "")
        + (" --same-clip" if heldout.get("same_clip") else "")
        + (f" --mouth-targets {heldout['mouth_targets']}" if heldout.get("mouth_targets") else "")
    )
    warp_guided = config.get("generator", {}).get("input") == "landmarks+warp"
    extra_losses = ""
    if options.get("ssim_weight"):
        extra_losses += f", (1 − SSIM) ×{options.get('ssim_weight')}"
    if options.get("mouth_weight"):
        extra_losses += f", L1 inside the mouth's opening ×{options.get('mouth_weight')}"
    if warp_guided and options.get("alpha_guard_weight"):
        extra_losses += (
            f", α guard ×{options.get('alpha_guard_weight')} (mean α in [{options.get('alpha_min')}, {options.get('alpha_max')}])"
        )
    head_lr = f" (output head ×{options.get('head_lr_scale')})" if warp_guided and options.get("head_lr_scale", 1) != 1 else ""
    terms = ", ".join(f"{k} {v:.4f}" for k, v in log.get("terms", {}).items())
    kind = (
        "the **warp-guided** generator: G also receives the source photo warped to the driving landmarks and blends "
        "its own output with it (frame = warp + α·Δ; `src/nn/README.md`)"
        if warp_guided
        else "the paper's generator (G paints the whole frame from the landmark image)"
    )
    if config.get("mouth"):
        m = config["mouth"]
        kind += (
            f", plus a **mouth generator** ({m['resolution']} px, {m['minChannels']}→{m['maxChannels']} channels) that repaints "
            "a square around the driving mouth at the shown frame's own resolution and pastes its α·Δ back"
            + (
                f" inside the outer lips' polygon grown by {m['alphaLipRegion']} px of its crop (`mouth.alphaLipRegion`)"
                if m.get("alphaLipRegion") is not None
                else ""
            )
        )
    if options.get("train_only") == "mouth":
        kind += " (this run trained only the mouth generator; the other networks are its warm start's)"
    elif options.get("train_only") == "face":
        kind += " (this run trained E and G around the mouth generator, which is its warm start's)"
    if options.get("distill_weight"):
        extra_losses += f", L1 to a teacher G's residual α·Δ ×{options.get('distill_weight')} (distillation)"
    if options.get("mouth_content_weight"):
        extra_losses += f", content loss on a square around the mouth ×{options.get('mouth_content_weight')}"
    episodes = extra.get("episodes")  # recorded since the mouth-focused runs
    episodes_row = (
        ""
        if not episodes
        else f"\n| episodes | clips of {episodes.get('sources', 'all sources')}"
        + (
            f"; {float(episodes['mouth_focus']):.0%} mouth-focused (target among its clip's most open-mouthed quarter, sources among its least open half)"
            if episodes.get("mouth_focus")
            else ""
        )
        + (
            f"; {float(episodes['cross_clip']):.0%} of the others cross-clip (target from another clip of the person)"
            if episodes.get("cross_clip")
            else ""
        )
        + (
            f"; colour jitter {float(episodes['colour_jitter']):g} (per episode, channel gains and an offset on every frame)"
            if episodes.get("colour_jitter")
            else ""
        )
        + " |"
    )
    g = config.get("generator", {})
    g_channels = (
        f"; G's own {g.get('minChannels', config['minChannels'])}→{g.get('maxChannels', config['maxChannels'])}"
        if "minChannels" in g or "maxChannels" in g
        else ""
    )
    adv, fm = float(options.get("adv_weight", 1.0)), float(options.get("fm_weight", 10.0))
    adversarial = (
        f"adversarial (hinge) ×{adv:g}, feature matching ×{fm:g}"
        if adv > 0 or fm > 0
        else "no adversarial or feature-matching term (D not trained in this run)"
    )
    averaged_row = averaged_weights_row(manifest.get("meta", {}))
    # The held-out people are in the run's first set (e.g. data/train-64 of "data/train-64,data/videos-64 + display twin ...").
    heldout_set = str(extra.get("data", "data/train-128")).split(" ")[0].split(",")[0]
    card = f"""# Model card: `public/weights/{weights.name}`, shipped talking-head weights

Embedder, generator (with projection P) and projection discriminator of *Few-Shot Adversarial
Learning of Realistic Neural Talking Head Models* (Zakharov et al., 2019), with {kind}; preset
`{config.get('name')}` ({config['resolution']} px, channels {config['minChannels']}→{config['maxChannels']}{g_channels}, N = {config['embedDim']}),
meta-learned with the PyTorch twin in `train/` and exported to the app's weights format
(kernels float16, everything else float32; `manifest.json` lists every tensor with its sha256-checked shard).

{args.notes}

## Data (research use)

- **YouTube Faces DB** frames (Wolf, Hassner, Maoz, CVPR 2011): talking-head clips, one clip = one training video.
- **CelebA** (Liu, Luo, Wang, Tang, ICCV 2015) subset: one person's photos = one training video.
{data_notes}
YouTube Faces and CelebA are for **non-commercial research use**; so are these weights. Frames were cropped and
rasterised into landmark images by the app's own pipeline (`scripts/prepare-training-set.ts`, MediaPipe
FaceLandmarker from `@mediapipe/face_mesh`). 30 people of each source are held out
(`train/split.json`) and never seen in training.

{lineage_table}
## Training (the last run)

| | |
| --- | --- |
| steps | {trainer.get('step')} |
| samples seen (episodes × batch) | {extra.get('samples_seen')} |
| wall time | {extra.get('wall_seconds', 0) / 3600:.2f} h ({extra.get('samples_seen', 0) / max(extra.get('wall_seconds', 0), 1e-9):.2f} samples/s) |
| hardware | {extra.get('device')} |
| batch, K | {options.get('batch')}, {options.get('k')} |{episodes_row}
| variant | {options.get('variant')} (embedding match weight {options.get('match_weight')}) |
| losses | content (MobileNetV2 ×{options.get('content_weight')} + faceres, paper weights 0.15 / 0.025), {adversarial}, pixel L1 ×{options.get('l1_weight')}{extra_losses} |
| Adam | lr G/E {options.get('lr_g')}{head_lr}, lr D {options.get('lr_d')}, betas E/G {options.get('betas_g') or options.get('betas')}, D {options.get('betas')} |
| precision | {'bfloat16 autocast (statistics, σ and losses in float32)' if extra.get('bf16') else 'float32'} |{averaged_row}

Last logged step ({log.get('step')}): lossG {fmt(log.get('loss_g', float('nan')))}, lossD {fmt(log.get('loss_d', float('nan')))} ({terms});
generator output mean {fmt(log.get('fake_mean', float('nan')))}, std {fmt(log.get('fake_std', float('nan')))}; D scores real {fmt(log.get('r_real', float('nan')))}, fake {fmt(log.get('r_fake', float('nan')))}.

## Held-out people (feed-forward, no fine-tuning)

{heldout['people']} held-out people, K = {heldout['k']} source frames, targets from {targets}. {shown}SSIM on luma; identity cosine on faceres features (VGGFace2-trained; not the paper's
ArcFace CSIM). "copy" = showing a source frame unchanged, the floor any avatar must beat on pose.

Metrics at {heldout.get('metric_size', config['resolution'])} px.

"warp" = the source frame nearest the target's pose warped to the target's landmarks (the input a
warp-guided generator starts from). Sharpness = variance of the Laplacian, output ÷ ground truth.{extra_note}

| people | SSIM FF | SSIM warp | SSIM copy | identity cos FF | identity cos warp | identity cos copy | sharpness FF | sharpness warp |{extra_head}
| --- | --- | --- | --- | --- | --- | --- | --- | --- |{extra_rule}
{rows}
{comparison}
{curve_table}
![held-out samples: source | driver landmarks | warp | FF output | ground truth]({grid_link})

Regenerate: `$PYTHON -m train.talking_heads.evaluate_heldout --checkpoint RUN/checkpoint.pt --data {heldout_set}{regen_flags} --out RUN/heldout --metric-size {heldout.get('metric_size', config['resolution'])}`
then `$PYTHON -m train.talking_heads.model_card --run RUN --weights {weights}`.
"""
    card_path.write_text(card)
    print(f"wrote {card_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
