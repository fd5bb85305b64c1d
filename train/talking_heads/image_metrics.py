"""Image metrics shared by the held-out evaluation and the trainer (one home for each): SSIM on luma
(the same definition as the app's src/eval/ssim.ts) and sharpness (variance of the Laplacian)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM of NCHW RGB in [-1, 1], on BT.601 luma in [0, 1]; float32 even under autocast
    (a training loss: the variances are differences of nearly equal means)."""
    with torch.autocast(device_type=a.device.type, enabled=False):
        return _ssim(a.float(), b.float())


def _ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    weights = torch.tensor([0.299, 0.587, 0.114], device=a.device).view(1, 3, 1, 1)
    ya = ((a + 1) / 2 * weights).sum(1, keepdim=True)
    yb = ((b + 1) / 2 * weights).sum(1, keepdim=True)
    w = _gaussian_window().to(a.device)
    mu_a, mu_b = F.conv2d(ya, w), F.conv2d(yb, w)
    var_a = F.conv2d(ya * ya, w) - mu_a**2
    var_b = F.conv2d(yb * yb, w) - mu_b**2
    cov = F.conv2d(ya * yb, w) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return s.mean(dim=(1, 2, 3))


def sharpness(images: torch.Tensor) -> torch.Tensor:
    """[B] variance of the 3×3 Laplacian of luma (images in [-1, 1])."""
    luma = (0.299 * images[:, 0] + 0.587 * images[:, 1] + 0.114 * images[:, 2]).unsqueeze(1)
    kernel = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).reshape(1, 1, 3, 3)
    return F.conv2d(luma, kernel).flatten(1).var(dim=1)
