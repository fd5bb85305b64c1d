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
