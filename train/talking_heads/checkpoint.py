"""Training checkpoints of the twin: the config plus the three state dicts, in one torch file.

A checkpoint is what the trainer resumes from; export_weights.py turns one into the app's format.
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


def load_checkpoint(path: Union[str, Path]) -> Tuple[NetConfig, Embedder, Generator, Discriminator, Dict[str, Any]]:
    """(config, E, G, D, extra) on the CPU; W's width comes from the config's numVideos."""
    payload = torch.load(Path(path), map_location="cpu")
    config = validate_config(payload["config"])
    embedder, generator, discriminator = build_networks(config)
    embedder.load_state_dict(payload["embedder"])
    generator.load_state_dict(payload["generator"])
    discriminator.load_state_dict(payload["discriminator"])
    return config, embedder, generator, discriminator, dict(payload.get("extra", {}))


def load_networks(path: Union[str, Path]) -> Tuple[NetConfig, Embedder, Generator, Discriminator, Dict[str, Any]]:
    """A training checkpoint (.pt) or exported app weights (manifest .json), as load_checkpoint returns.

    Exported weights have no W (numVideos 0); `extra` is then {"meta": the manifest's meta}, so
    shipped weights can be evaluated after the checkpoint they came from is gone.
    """
    path = Path(path)
    if path.suffix != ".json":
        return load_checkpoint(path)
    from .weights_io import load_named_into, load_weights

    manifest, named = load_weights(path)
    config = validate_config(manifest["config"])
    embedder, generator, discriminator = build_networks(config)
    for prefix, net in (("embedder", embedder), ("generator", generator), ("discriminator", discriminator)):
        load_named_into(prefix, net, named)
    return config, embedder, generator, discriminator, {"meta": dict(manifest.get("meta", {}))}
