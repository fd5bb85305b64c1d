"""Where the mouth generator (config.MouthConfig) works: a square around the driving mouth, cut from
the shown frame, the lips drawn there as soft polygons, and its residual pasted back.

src/landmarks/mouth-region.ts is the TypeScript twin (the app's), held equal by a parity test. In
short, for a frame of side F with landmarks in its pixels (pixel (i, j) centred on (i + 0.5, j + 0.5)):

1. The box: centre c = the mean of the inner lips' corners and midpoints; side
   s = max(corner distance, midpoint distance) + 2·pad·(outer-eye-corner distance); axis-aligned.
2. The crop of side R: pixel (i, j) samples the frame at c − s/2 + (i + 0.5, j + 0.5)·s/R, bilinear,
   edge-clamped (warp.py sample).
3. The lips, [inner, outer] at R: per pixel centre, 0.5 + the signed distance (crop pixels, positive
   inside by the even-odd rule) to the lip loop, clamped to [0, 1].
4. The paste: the residual r = α·Δ at R gets a ring of zeros (R + 2) and frame pixel x adds r sampled
   at (x + 0.5 − (c − s/2))·R/s + 1 (bilinear, edge-clamped: 0 outside the box).
5. With an opening ramp (lo, hi), r is first scaled by clamp((d − lo) / (hi − lo), 0, 1), d being how
   much wider the driving mouth opens than the shown photo's (openings: the inner-lip gap ÷ the
   outer-eye-corner distance, mouth.py); at 0 nothing changes.

Indices come from src/landmarks/mouth-region.json, which the landmark image's contours also read.
"""
from __future__ import annotations

import json
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .config import REPO_ROOT
from .mouth import mouth_opening
from .warp import sample

REGION = json.loads((REPO_ROOT / "src" / "landmarks" / "mouth-region.json").read_text(encoding="utf-8"))
INNER_LIPS = tuple(REGION["innerLips"])
OUTER_LIPS = tuple(REGION["outerLips"])


def mouth_box(points: Tensor, pad: float) -> Tensor:
    """[B, 3]: x and y of the box's centre and its side, in frame pixels, for points [B, 478, ≥2]."""
    p = points[..., :2].double()
    right, left = (p[:, i] for i in REGION["innerCorners"])
    upper, lower = (p[:, i] for i in REGION["innerMidpoints"])
    eye_a, eye_b = (p[:, i] for i in REGION["eyeCorners"])
    centre = (right + left + upper + lower) / 4
    side = torch.maximum((left - right).norm(dim=-1), (lower - upper).norm(dim=-1)) + 2 * pad * (eye_b - eye_a).norm(dim=-1)
    return torch.cat([centre, side.clamp_min(1e-3)[:, None]], dim=1)


def _centres(size: int, device) -> Tensor:
    return torch.arange(size, dtype=torch.float64, device=device) + 0.5


def crop_positions(box: Tensor, size: int) -> Tensor:
    """[B, R, R, 2] frame-pixel positions (x, y) that the crop's pixel centres sample."""
    t = _centres(size, box.device)[None] * (box[:, 2:3] / size)  # [B, R]
    x = box[:, 0:1] - box[:, 2:3] / 2 + t
    y = box[:, 1:2] - box[:, 2:3] / 2 + t
    return torch.stack([x[:, None, :].expand(-1, size, -1), y[:, :, None].expand(-1, -1, size)], dim=-1)


def paste_positions(box: Tensor, frame_size: int, size: int) -> Tensor:
    """[B, F, F, 2] positions in the zero-ringed residual (R + 2 px) that frame pixels read."""
    c = _centres(frame_size, box.device)[None]  # [B, F] after broadcasting
    scale = size / box[:, 2:3]
    x = (c - (box[:, 0:1] - box[:, 2:3] / 2)) * scale + 1
    y = (c - (box[:, 1:2] - box[:, 2:3] / 2)) * scale + 1
    return torch.stack([x[:, None, :].expand(-1, frame_size, -1), y[:, :, None].expand(-1, -1, frame_size)], dim=-1)


def polygon_mask(vertices: Tensor, size: int) -> Tensor:
    """[B, R, R] soft mask of closed polygons vertices [B, V, 2] (crop pixels): 0.5 + the signed
    distance from each pixel centre to the polygon's edges (positive inside, even-odd rule), clamped
    to [0, 1]."""
    c = _centres(size, vertices.device)
    py = c.view(1, size, 1, 1).expand(1, size, size, 1)
    px = c.view(1, 1, size, 1).expand(1, size, size, 1)
    a = vertices[:, None, None, :, :]  # [B, 1, 1, V, 2]
    b = torch.roll(vertices, -1, dims=1)[:, None, None, :, :]
    ax, ay, bx, by = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    ex, ey = bx - ax, by - ay
    length2 = ex * ex + ey * ey
    t = (((px - ax) * ex + (py - ay) * ey) / length2.clamp_min(1e-12)).clamp(0, 1)
    distance = ((px - ax - t * ex) ** 2 + (py - ay - t * ey) ** 2).sqrt().amin(dim=-1)  # [B, R, R]
    straddles = (ay > py) != (by > py)
    x_cross = ax + (py - ay) * ex / torch.where(straddles, ey, torch.ones_like(ey))
    inside = ((straddles & (px < x_cross)).sum(dim=-1) % 2) == 1
    return (0.5 + torch.where(inside, distance, -distance)).clamp(0, 1)


def lip_masks(points: Tensor, box: Tensor, size: int) -> Tensor:
    """[B, 2, R, R] float32: the inner and outer lips' soft polygons in the crop of `box`."""
    p = points[..., :2].double()
    origin = box[:, None, :2] - box[:, None, 2:3] / 2
    scale = size / box[:, None, 2:3]
    masks = [polygon_mask((p[:, list(loop)] - origin) * scale, size) for loop in (INNER_LIPS, OUTER_LIPS)]
    return torch.stack(masks, dim=1).float()


def crop(frame: Tensor, box: Tensor, size: int) -> Tensor:
    """[B, C, R, R]: the frame [B, C, F, F] sampled in the box."""
    return sample(frame, crop_positions(box, size).to(frame.dtype))


def paste(frame: Tensor, residual: Tensor, box: Tensor) -> Tensor:
    """frame [B, C, F, F] + the residual [B, C, R, R] resampled from the box onto the frame."""
    ringed = F.pad(residual, (1, 1, 1, 1))
    return frame + sample(ringed, paste_positions(box, frame.shape[-1], residual.shape[-1]).to(residual.dtype))


def opening_gate(points: Tensor, source_points: Tensor, ramp: Tuple[float, float]) -> Tensor:
    """[B] float64: clamp((d − lo) / (hi − lo), 0, 1) for d = the driving mouth's opening (points
    [B, 478, ≥2]) minus that of the photo warped onto it (source_points, same shape), each as
    mouth.py mouth_opening (the inner-lip gap ÷ the outer-eye-corner distance): 0 where the warp
    draws the mouth from the photo's own pixels (opened no wider than the photo's), 1 where it must
    stretch the lips over an opening the photo does not show."""
    lo, hi = ramp
    wider = mouth_opening(points[..., :2].double()) - mouth_opening(source_points[..., :2].double())
    return ((wider - lo) / (hi - lo)).clamp(0, 1)


def region(points: Tensor, pad: float, size: int) -> Tuple[Tensor, Tensor]:
    """(box [B, 3], lips [B, 2, R, R]) for driving points [B, 478, ≥2] in frame pixels."""
    box = mouth_box(points, pad)
    return box, lip_masks(points, box, size)
