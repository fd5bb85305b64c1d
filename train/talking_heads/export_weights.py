"""Exports meta-learned networks in the app's weights format (what the browser loads).

    $PYTHON -m train.talking_heads.export_weights --checkpoint CKPT.pt --out public/weights/NAME/weights.json

The app builds D without the per-video matrix W (fine-tuning starts w′ at w0 + ê_new), so W is
left out and the stored config says numVideos = 0. Kernels are stored as float16 (they are ~all
the bytes, and σ-normalised weights tolerate the rounding); biases, norms, attention γ, u vectors,
w0 and b stay float32.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .checkpoint import load_checkpoint
from .config import REPO_ROOT, NetConfig
from .nets import Discriminator, Embedder, Generator
from .weights_io import networks_to_named, save_weights

VIDEO_MATRIX = "discriminator/embedding"


def app_dtype(name: str, shape: Tuple[int, ...]) -> str:
    return "float16" if name.endswith("/kernel") else "float32"


def export_app_weights(
    manifest_path: Path,
    config: NetConfig,
    embedder: Embedder,
    generator: Generator,
    discriminator: Discriminator,
    meta: Optional[Mapping[str, Any]] = None,
    all_float32: bool = False,
) -> List[Path]:
    named = networks_to_named({"embedder": embedder, "generator": generator, "discriminator": discriminator})
    named.pop(VIDEO_MATRIX, None)
    dtype = "float32" if all_float32 else app_dtype
    return save_weights(manifest_path, named, dtype, config.with_num_videos(0).to_json(), meta=dict(meta or {}))


def _relative(path: Any) -> Any:
    """Repository-relative path where it lies inside the repository (lineage is committed)."""
    if not isinstance(path, str):
        return path
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return path


def run_lineage(preset: str, extra: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The runs behind a checkpoint: its parents (warm starts) and the run itself."""
    this = {
        "run": str(extra.get("run", preset)),
        "preset": preset,
        "steps": int(extra.get("trainer", {}).get("step", 0)),
        "samples": int(extra.get("samples_seen", 0)),
        "hours": round(float(extra.get("wall_seconds", 0.0)) / 3600, 3),
        "hardware": str(extra.get("device", "?")),
        "data": str(extra.get("data", "?")),
        "warm_start": _relative(extra.get("warm_start")),
    }
    return list(extra.get("lineage", [])) + [this]


def read_curve(path: Path) -> List[Dict[str, Any]]:
    """The points of a learning-curve file (JSONL, evaluate_heldout --curve); none when it is absent."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def run_curve(extra: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The held-out learning curve behind a checkpoint: its parents' points (extra["curve"], carried by
    warm starts) and its own run's (RUN/curve.jsonl, appended by evaluate_heldout --curve)."""
    points = list(extra.get("curve", []))
    run = extra.get("run")
    if run:
        path = Path(run) / "curve.jsonl"
        points += read_curve(path if path.exists() else REPO_ROOT / path)
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, type=Path, help="a file written by checkpoint.save_checkpoint")
    parser.add_argument("--out", required=True, type=Path, help="manifest path, e.g. public/weights/NAME/weights.json")
    parser.add_argument("--float32", action="store_true", help="store kernels as float32 too")
    parser.add_argument("--meta", default="{}", help="JSON object stored as the manifest's meta")
    parser.add_argument(
        "--trained", action="store_true", help="export the trained weights even where the checkpoint keeps their moving average (--ema)"
    )
    args = parser.parse_args()
    config, embedder, generator, discriminator, extra = load_checkpoint(args.checkpoint, average=not args.trained)
    meta: Dict[str, Any] = {"source": args.checkpoint.name}
    if extra.get("averaged"):
        meta["ema"] = extra["averaged"]  # E and G are the run's moving average (ema.py)
    step = extra.get("trainer", {}).get("step", extra.get("step"))
    if isinstance(step, int):
        meta["steps"] = step
    meta["lineage"] = run_lineage(config.name, extra)
    # The learning curve travels with the weights, so the next run's model card still has every point.
    meta["curve"] = run_curve(extra)
    meta.update(json.loads(args.meta))
    written = export_app_weights(args.out, config, embedder, generator, discriminator, meta, args.float32)
    print(json.dumps({"written": [str(p) for p in written]}))


if __name__ == "__main__":
    main()
