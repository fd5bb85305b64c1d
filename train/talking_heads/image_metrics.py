"""Image metrics shared by the held-out evaluation and the trainer (one home for each): SSIM on luma
(the same definition as the app's src/eval/ssim.ts), also weighted by a mask, and sharpness (variance of the Laplacian)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _gaussian_1d(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def gaussian_filter(x: torch.Tensor) -> torch.Tensor:
    """'valid' 11×11 Gaussian (σ 1.5) filter of every channel of NCHW x, as two 1-D passes (the 2-D
    window is their outer product; 22 taps a pixel instead of 121, and a sixth of the backward pass)."""
    c = x.shape[1]
    g = _gaussian_1d().to(x.device, x.dtype)
    x = F.conv2d(x, g.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, g.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM of NCHW RGB in [-1, 1], on BT.601 luma in [0, 1]; float32 even under autocast
    (a training loss: the variances are differences of nearly equal means)."""
    with torch.autocast(device_type=a.device.type, enabled=False):
        return _ssim_map(a.float(), b.float()).mean(dim=(1, 2))


def weighted_ssim(a: torch.Tensor, b: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM averaged with per-pixel `weights` [B, 1, H, W] (e.g. a face mask) instead of
    uniformly: each SSIM window is weighted by its centre pixel's weight."""
    with torch.autocast(device_type=a.device.type, enabled=False):
        s = _ssim_map(a.float(), b.float())
    border = (a.shape[-1] - s.shape[-1]) // 2  # the 'valid' window's half-width
    w = weights.float()[:, 0, border : border + s.shape[-2], border : border + s.shape[-1]]
    return (s * w).sum(dim=(1, 2)) / w.sum(dim=(1, 2)).clamp_min(1e-8)


def _ssim_map(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[B, H − 10, W − 10]: SSIM of each 11 × 11 window."""
    weights = torch.tensor([0.299, 0.587, 0.114], device=a.device).view(1, 3, 1, 1)
    ya = ((a + 1) / 2 * weights).sum(1, keepdim=True)
    yb = ((b + 1) / 2 * weights).sum(1, keepdim=True)
    # The five local moments in one filter pass.
    mu_a, mu_b, aa, bb, ab = gaussian_filter(torch.cat([ya, yb, ya * ya, yb * yb, ya * yb], dim=1)).unbind(1)
    var_a = aa - mu_a**2
    var_b = bb - mu_b**2
    cov = ab - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))


def sharpness(images: torch.Tensor) -> torch.Tensor:
    """[B] variance of the 3×3 Laplacian of luma (images in [-1, 1])."""
    luma = (0.299 * images[:, 0] + 0.587 * images[:, 1] + 0.114 * images[:, 2]).unsqueeze(1)
    kernel = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).reshape(1, 1, 3, 3)
    return F.conv2d(luma, kernel).flatten(1).var(dim=1)
