"""An exponential moving average of E and G's weights (`--ema DECAY`; not in the paper).

After every optimiser step of E and G, each floating-point parameter's average moves towards it,

    θ̄ ← d · θ̄ + (1 − d) · θ,

and every buffer (spectral norm's u vectors) is copied as it is, so the averaged networks are always
ones the app can load. The average of the last ~1 / (1 − d) steps sits nearer the middle of the noise
that a small batch and a constant learning rate leave in the weights, the same reason StyleGAN's
g_ema is what gets sampled and shipped. It changes nothing in the trained networks or their optimiser.

The average starts at the weights of the first step it sees (a warm start's or a resumed run's), so a
run that switches it on keeps its lineage. Checkpoints hold it beside the trained weights
(checkpoint.py); evaluate_heldout and export_weights take it where a checkpoint has one.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional

import torch
from torch import Tensor, nn


class WeightAverage:
    def __init__(self, nets: Mapping[str, nn.Module], decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"an average's decay must lie in (0, 1), got {decay}")
        self.nets = dict(nets)
        self.decay = float(decay)
        # Buffers (u vectors) are copied, not averaged.
        self.buffers = {name: {key for key, _ in net.named_buffers()} for name, net in self.nets.items()}
        self.shadow: Optional[Dict[str, Dict[str, Tensor]]] = None

    @torch.no_grad()
    def update(self) -> None:
        """One step of the average, after an optimiser step (the first call copies the weights)."""
        if self.shadow is None:
            self.shadow = {name: {k: v.detach().clone() for k, v in net.state_dict().items()} for name, net in self.nets.items()}
            return
        for name, net in self.nets.items():
            averaged, buffers = self.shadow[name], self.buffers[name]
            for key, value in net.state_dict().items():
                if value.is_floating_point() and key not in buffers:
                    averaged[key].lerp_(value.detach(), 1.0 - self.decay)
                else:
                    averaged[key].copy_(value)

    def state_dict(self) -> Dict[str, object]:
        """{"decay", then one state dict per network}; empty networks before the first update."""
        return {"decay": self.decay, "nets": {} if self.shadow is None else self.shadow}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        nets = state.get("nets") or {}
        self.shadow = {name: {k: v.clone() for k, v in sd.items()} for name, sd in nets.items()} if nets else None

    def copy_into(self, nets: Mapping[str, nn.Module]) -> None:
        """Loads the average into networks of the same shape (e.g. fresh ones to export)."""
        if self.shadow is None:
            raise ValueError("the average has seen no step yet")
        for name, net in nets.items():
            net.load_state_dict(self.shadow[name])
