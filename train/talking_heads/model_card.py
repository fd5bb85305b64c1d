"""Writes public/weights/MODEL_CARD.md from a run: the checkpoint's bookkeeping, the training log,
and the held-out evaluation (evaluate_heldout.py). Every number in the card comes from those files.

    $PYTHON -m train.talking_heads.model_card --run RUN --weights public/weights/paper --notes "..."
        [--card public/weights/MODEL_CARD.md] [--grid docs/heldout_grid.png]
        [--compare "LABEL=OTHER/heldout.json" ...]

--compare adds other evaluate_heldout results (e.g. the weights these replace) to a table next to
this run's; they should use the same --metric-size, which the table states.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import torch


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
    p.add_argument("--card", default="public/weights/MODEL_CARD.md")
    # Outside public/: the grid shows dataset faces (derived crops), which the app does not ship.
    p.add_argument("--grid", default="docs/heldout_grid.png")
    p.add_argument("--compare", action="append", default=[], help="LABEL=path/to/heldout.json (repeatable)")
    args = p.parse_args(argv)
    run, weights = Path(args.run), Path(args.weights)
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
    rows = "\n".join(
        f"| {name} | {fmt(m[name]['ssim_ff'])} | {fmt(m[name]['ssim_copy'])} | {fmt(m[name]['idcos_ff'])} | {fmt(m[name]['idcos_copy'])} |"
        for name in ("all", "ytf", "celeba")
    )
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
    terms = ", ".join(f"{k} {v:.4f}" for k, v in log.get("terms", {}).items())
    card = f"""# Model card: `public/weights/{weights.name}`, the shipped talking-head weights

Embedder, generator (with projection P) and projection discriminator of *Few-Shot Adversarial
Learning of Realistic Neural Talking Head Models* (Zakharov et al., 2019), preset
`{config.get('name')}` ({config['resolution']} px, channels {config['minChannels']}→{config['maxChannels']}, N = {config['embedDim']}),
meta-learned with the PyTorch twin in `train/` and exported to the app's weights format
(kernels float16, everything else float32; `manifest.json` lists every tensor with its sha256-checked shard).

{args.notes}

## Data (research use)

- **YouTube Faces DB** frames (Wolf, Hassner, Maoz, CVPR 2011): talking-head clips, one clip = one training video.
- **CelebA** (Liu, Luo, Wang, Tang, ICCV 2015) subset: one person's photos = one training video.

Both datasets are for **non-commercial research use**; so are these weights. Frames were cropped and
rasterised into landmark images by the app's own pipeline (`scripts/prepare-training-set.ts`, MediaPipe
FaceLandmarker from `@mediapipe/face_mesh`). 30 people of each source are held out
(`train/split.json`) and never seen in training.

## Training

| | |
| --- | --- |
| steps | {trainer.get('step')} |
| samples seen (episodes × batch) | {extra.get('samples_seen')} |
| wall time | {extra.get('wall_seconds', 0) / 3600:.2f} h ({extra.get('samples_seen', 0) / max(extra.get('wall_seconds', 0), 1e-9):.2f} samples/s) |
| hardware | {extra.get('device')} |
| batch, K | {options.get('batch')}, {options.get('k')} |
| variant | {options.get('variant')} (embedding match weight {options.get('match_weight')}) |
| losses | content (MobileNetV2 ×{options.get('content_weight')} + faceres, paper weights 0.15 / 0.025), adversarial (hinge), feature matching ×{options.get('fm_weight')}, pixel L1 ×{options.get('l1_weight')} |
| Adam | lr G/E {options.get('lr_g')}, lr D {options.get('lr_d')}, betas {options.get('betas')} |

Last logged step ({log.get('step')}): lossG {fmt(log.get('loss_g', float('nan')))}, lossD {fmt(log.get('loss_d', float('nan')))} ({terms});
generator output mean {fmt(log.get('fake_mean', float('nan')))}, std {fmt(log.get('fake_std', float('nan')))}; D scores real {fmt(log.get('r_real', float('nan')))}, fake {fmt(log.get('r_fake', float('nan')))}.

## Held-out people (feed-forward, no fine-tuning)

{heldout['people']} held-out people, K = {heldout['k']} source frames, targets from another clip (YouTube Faces) or other
photos (CelebA). SSIM on luma; identity cosine on faceres features (VGGFace2-trained; not the paper's
ArcFace CSIM). "copy" = showing a source frame unchanged, the floor any avatar must beat on pose.

Metrics at {heldout.get('metric_size', config['resolution'])} px.

| people | SSIM FF | SSIM copy | identity cos FF | identity cos copy |
| --- | --- | --- | --- | --- |
{rows}
{comparison}
![held-out samples: source | driver landmarks | FF output | ground truth]({grid_link})

Regenerate: `$PYTHON -m train.talking_heads.evaluate_heldout --checkpoint RUN/checkpoint.pt --data {extra.get('data', 'data/train-128')} --out RUN/heldout --metric-size {heldout.get('metric_size', config['resolution'])}`
then `$PYTHON -m train.talking_heads.model_card --run RUN --weights {weights}`.
"""
    card_path.write_text(card)
    print(f"wrote {card_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
