"""Training checkpoints of the twin: the config plus the three state dicts, in one torch file.

A checkpoint is what the trainer resumes from; export_weights.py turns one into the app's format.
A run with `--ema` also keeps the moving average of E and G's weights (ema.py) in its trainer state;
`average=True` loads that average instead of the trained weights where a checkpoint has one.
Only plain containers and tensors are stored, so torch.load's weights_only mode (the default from
PyTorch 2.6) reads it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import torch

from .config import NetConfig, validate_config
from .nets import Discriminator, Embedder, Generator, build_networks


def save_checkpoint(
    path: Union[str, Path],
    config: NetConfig,
    embedder: Embedder,
    generator: Generator,
    discriminator: Discriminator,
    extra: Optional[Mapping[str, Any]] = None,
) -> None:
    """`extra` holds plain values or state dicts (optimisers, step counters) kept alongside."""
    payload: Dict[str, Any] = {
        "config": config.to_json(),
        "embedder": embedder.state_dict(),
        "generator": generator.state_dict(),
        "discriminator": discriminator.state_dict(),
        "extra": dict(extra or {}),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # an interrupted save never leaves a half-written checkpoint behind


def averaged_weights(extra: Mapping[str, Any]) -> Dict[str, Any]:
    """The checkpoint's moving average of E and G ({"embedder": state dict, "generator": ...}; {} if none)."""
    return dict((extra.get("trainer", {}).get("ema") or {}).get("nets") or {})


def load_checkpoint(path: Union[str, Path], average: bool = False) -> Tuple[NetConfig, Embedder, Generator, Discriminator, Dict[str, Any]]:
    """(config, E, G, D, extra) on the CPU; W's width comes from the config's numVideos.

    With `average`, E and G hold the run's moving average of their weights where the checkpoint has
    one (extra["averaged"] is then the average's decay; the key is absent otherwise), else the trained weights."""
    payload = torch.load(Path(path), map_location="cpu")
    config = validate_config(payload["config"])
    embedder, generator, discriminator = build_networks(config)
    extra = dict(payload.get("extra", {}))
    nets = averaged_weights(extra) if average else {}
    embedder.load_state_dict(nets.get("embedder", payload["embedder"]))
    generator.load_state_dict(nets.get("generator", payload["generator"]))
    discriminator.load_state_dict(payload["discriminator"])
    if nets:
        extra["averaged"] = float(extra["trainer"]["ema"]["decay"])
    return config, embedder, generator, discriminator, extra


def load_networks(path: Union[str, Path], average: bool = False) -> Tuple[NetConfig, Embedder, Generator, Discriminator, Dict[str, Any]]:
    """A training checkpoint (.pt) or exported app weights (manifest .json), as load_checkpoint returns.

    Exported weights have no W (numVideos 0); `extra` is then {"meta": the manifest's meta}, so
    shipped weights can be evaluated after the checkpoint they came from is gone.
    """
    path = Path(path)
    if path.suffix != ".json":
        return load_checkpoint(path, average)
    from .weights_io import load_named_into, load_weights

    manifest, named = load_weights(path)
    config = validate_config(manifest["config"])
    embedder, generator, discriminator = build_networks(config)
    for prefix, net in (("embedder", embedder), ("generator", generator), ("discriminator", discriminator)):
        load_named_into(prefix, net, named)
    return config, embedder, generator, discriminator, {"meta": dict(manifest.get("meta", {}))}
