"""The background term (`--background-weight`, not in the paper): an L1 on G's residual α·Δ outside
the face, where the warp is valid.

Why: measured on held-out people (train/README.md, "Where the FID proxy's distance lies"), the warp
is better than G's frame off the face whenever the photo and the driver come from one video, and G's
residual there is a blurred guess at background motion that landmarks do not tell; it is also what
makes FF's background flicker when another person drives the avatar (docs/EVAL.md, bg flicker).
Where the warp breaks (stretched or invalid triangles: its mask below 1), G keeps its freedom.

    L = mean over pixels of |α·Δ| · mask · (1 − oval)

with the oval the target landmarks' face oval (src/landmarks/face-oval.json) as a soft polygon
(mouth_region.polygon_mask) at G's size, and the mask warp.py's validity.
"""
from __future__ import annotations

import json

from torch import Tensor

from .config import REPO_ROOT
from .mouth_region import polygon_mask

FACE_OVAL = tuple(json.loads((REPO_ROOT / "src" / "landmarks" / "face-oval.json").read_text(encoding="utf-8"))["faceOval"])


def face_oval_mask(points: Tensor, size: int) -> Tensor:
    """[B, 1, S, S] in [0, 1]: the face oval of landmarks [B, 478, ≥2] given in the pixels of a frame of side S."""
    return polygon_mask(points[:, list(FACE_OVAL), :2].float(), size)[:, None]


def background_l1(alpha: Tensor, delta: Tensor, mask: Tensor, points: Tensor) -> Tensor:
    """Mean of |α·Δ| (summed over channels ÷ 3) outside the face oval of `points`, weighted by the warp's validity."""
    outside = 1.0 - face_oval_mask(points, alpha.shape[-1])
    return ((alpha.float() * delta.float()).abs().mean(dim=1, keepdim=True) * mask.float() * outside).mean()
