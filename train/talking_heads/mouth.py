"""The mouth, measured from MediaPipe's 478 landmarks: how open it is (for mouth-focused episodes)
and where its opening lies in a frame (for losses that weigh the region a warp cannot fill: an L1
inside it, a content loss on a crop around it).

Indices are MediaPipe FaceLandmarker's, as src/landmarks/contours.ts KEYPOINTS names them; the
opening is src/landmarks/expression.ts mouthOpening's definition.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

UPPER_INNER_LIP, LOWER_INNER_LIP = 13, 14
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263
RIGHT_INNER_CORNER, LEFT_INNER_CORNER = 78, 308  # where the inner lip contours meet
# Side of mouth_crops's squares for the mouth content loss (from a 128 px frame: about 1.5× up).
MOUTH_CROP_SIZE = 64


def _eyes(points: Tensor) -> Tensor:
    return (points[..., LEFT_EYE_OUTER, :2] - points[..., RIGHT_EYE_OUTER, :2]).norm(dim=-1).clamp_min(1e-6)


def mouth_opening(points: Tensor) -> Tensor:
    """Inner-lip gap ÷ outer-eye-corner distance, per frame [...] from points [..., 478, ≥2]; 0 for
    closed lips."""
    gap = (points[..., LOWER_INNER_LIP, :2] - points[..., UPPER_INNER_LIP, :2]).norm(dim=-1)
    return gap / _eyes(points)


def mouth_mask(points: Tensor, size: int, pad: float = 0.08) -> Tensor:
    """[B, 1, size, size] float mask, 1 inside the ellipse through the inner-lip corners and the
    inner-lip midpoints of points [B, 478, ≥2] (crop pixels of a size-px frame), grown on every side
    by `pad` × the eye-corner distance so that the lips a warp stretches are inside too."""
    p = points[..., :2].float()
    left, right = p[:, LEFT_INNER_CORNER], p[:, RIGHT_INNER_CORNER]
    upper, lower = p[:, UPPER_INNER_LIP], p[:, LOWER_INNER_LIP]
    grow = pad * _eyes(p)
    centre = (left + right + upper + lower) / 4
    a = (left - right).norm(dim=-1) / 2 + grow  # [B]
    b = (lower - upper).norm(dim=-1) / 2 + grow
    # The ellipse's major axis follows the line between the corners (a tilted head tilts the mouth).
    u = (left - right) / (left - right).norm(dim=-1, keepdim=True).clamp_min(1e-6)  # [B, 2]
    coords = torch.arange(size, dtype=torch.float32, device=p.device) + 0.5  # pixel centres
    dx = coords.view(1, 1, size) - centre[:, 0].view(-1, 1, 1)
    dy = coords.view(1, size, 1) - centre[:, 1].view(-1, 1, 1)
    along = dx * u[:, 0].view(-1, 1, 1) + dy * u[:, 1].view(-1, 1, 1)
    across = -dx * u[:, 1].view(-1, 1, 1) + dy * u[:, 0].view(-1, 1, 1)
    r2 = (along / a.view(-1, 1, 1)) ** 2 + (across / b.view(-1, 1, 1)) ** 2
    return (r2 <= 1).float().unsqueeze(1)


def mouth_crops(images: Tensor, points: Tensor, size: int, pad: float = 0.15) -> Tensor:
    """[B, C, size, size]: a square around each frame's mouth, bilinear (border-clamped), from
    images [B, C, S, S] with points [B, 478, ≥2] in their crop pixels: centred on the inner lips'
    corners and midpoints, its side the corner distance plus the opening plus 2·pad eye-corner
    distances (so the lips and the teeth behind them are in), axis-aligned."""
    p = points[..., :2].float()
    s = images.shape[-1]
    left, right = p[:, LEFT_INNER_CORNER], p[:, RIGHT_INNER_CORNER]
    upper, lower = p[:, UPPER_INNER_LIP], p[:, LOWER_INNER_LIP]
    centre = (left + right + upper + lower) / 4
    side = torch.maximum((left - right).norm(dim=-1), (lower - upper).norm(dim=-1)) + 2 * pad * _eyes(p)  # [B]
    # affine_grid's [-1, 1] frame: x_in = (side / S)·x_out + (2·centre / S − 1).
    theta = torch.zeros(p.shape[0], 2, 3, device=p.device)
    theta[:, 0, 0] = theta[:, 1, 1] = side / s
    theta[:, :, 2] = 2 * centre / s - 1
    grid = F.affine_grid(theta, [p.shape[0], images.shape[1], size, size], align_corners=False)
    return F.grid_sample(images.float(), grid, mode="bilinear", padding_mode="border", align_corners=False)


def mouth_l1(shown: Tensor, real: Tensor, mask: Tensor) -> Tensor:
    """Mean absolute error inside the mask, per frame then over the batch; frames whose mask is empty
    count 0."""
    err = ((shown.float() - real.float()).abs().mean(dim=1, keepdim=True) * mask).flatten(1).sum(1)
    return (err / mask.flatten(1).sum(1).clamp_min(1.0)).mean()
