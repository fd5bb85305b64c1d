"""A photo as its own warp source: the pair of an embedder-only episode (`--embedder-only`).

CelebA gives each person a few photos from different days, never two frames of one occasion. Used as
pairs (the default), G must turn one day's photo into another's: other light, hair and background.
Used as embedder-only frames, the other photos feed only E, and the photo G warps is the target itself
moved by a small similarity (zoomed in by 8–18%, turned by up to ±5°, shifted where the zoom leaves
room): a same-occasion pair, as a clip's frames are, while E learns from the other days.

`theta` [B, 2, 3] maps the moved photo's normalised coordinates p (align_corners=False, the crop-pixel
convention of warp.sample: x_norm = 2x / S − 1) to the target's, q = A p + b, so the moved photo at p
shows the target at q, and a landmark at q lies at p = A⁻¹(q − b) in it.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

ZOOM = (0.82, 0.92)  # the moved photo shows this share of the target's side (turned, still inside it)
TURN = math.radians(5.0)


def draw(batch: int, generator: torch.Generator, device: torch.device) -> Tensor:
    """theta [B, 2, 3]: a zoom in ZOOM, a turn in ±TURN and a shift that keeps the moved view inside
    the target's crop (no edge pixels smeared in)."""
    u = torch.rand(batch, 4, device=device, generator=generator)
    scale = ZOOM[0] + (ZOOM[1] - ZOOM[0]) * u[:, 0]
    angle = TURN * (2 * u[:, 1] - 1)
    cos, sin = torch.cos(angle), torch.sin(angle)
    room = (1 - scale * (cos.abs() + sin.abs())).clamp_min(0)
    shift = room.unsqueeze(1) * (2 * u[:, 2:] - 1)
    a = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1) * scale[:, None, None]
    return torch.cat([a, shift.unsqueeze(2)], dim=2)


def move_image(image: Tensor, theta: Tensor) -> Tensor:
    """image [B, C, S, S] seen through theta: bilinear, edge-clamped as warp.sample."""
    grid = F.affine_grid(theta.to(image.dtype), list(image.shape), align_corners=False)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)


def move_points(points: Tensor, theta: Tensor, size: int) -> Tensor:
    """Crop-pixel landmarks [B, N, 2] of the target where they lie in its moved image of side `size`."""
    a, b = theta[:, :, :2].to(points.dtype), theta[:, :, 2].to(points.dtype)
    q = points[..., :2] * (2.0 / size) - 1.0
    p = torch.linalg.solve(a, (q - b.unsqueeze(1)).transpose(1, 2)).transpose(1, 2)
    return (p + 1.0) * (size / 2.0)
