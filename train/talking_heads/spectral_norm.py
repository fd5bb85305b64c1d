"""Spectral normalisation with persistent u vectors, following src/nn/spectral-norm.ts.

Convention (src/nn/README.md): a kernel viewed as W = [out, in·kh·kw] (PyTorch's natural
reshape of an [out, in, kh, kw] conv weight or an [out, in] linear weight) and a stored unit u of
length out give v = normalize(Wᵀu), σ = ‖Wᵀu‖₂ and K_sn = K / σ. σ does not depend on the order of
W's columns, so it equals the TS value computed on the HWIO kernel.

The forward pass never changes u; `power_iterate` does, once per update of a network, exactly as
the TS trainer does. The gradient of σ = ‖Wᵀu‖ with respect to W is u vᵀ, the same as
torch.nn.utils.spectral_norm's σ = uᵀWv with u, v held constant.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Added to norms before dividing, as in the TS normalize().
_EPSILON = 1e-12


def _normalize(x: Tensor) -> Tensor:
    return x / (torch.linalg.norm(x) + _EPSILON)


def spectral_sigma(kernel: Tensor, u: Tensor) -> Tensor:
    """σ = ‖Wᵀu‖₂ with W = kernel reshaped to [out, -1]; computed in float32 even under autocast."""
    with torch.autocast(device_type=kernel.device.type, enabled=False):
        matrix = kernel.float().reshape(kernel.shape[0], -1)
        return torch.linalg.norm(torch.mv(matrix.t(), u.float()))


def power_iteration_step(kernel: Tensor, u: Tensor) -> Tensor:
    """u ← normalize(W normalize(Wᵀu)); returns the new u (no gradient)."""
    with torch.no_grad(), torch.autocast(device_type=kernel.device.type, enabled=False):
        matrix = kernel.float().reshape(kernel.shape[0], -1)
        v = _normalize(torch.mv(matrix.t(), u.float()))
        return _normalize(torch.mv(matrix, v)).to(u.dtype)


class SpectralNormed(nn.Module):
    """Holds a raw kernel (`kernel`, out first) and its power-iteration vector (`kernel_u`)."""

    kernel: nn.Parameter
    kernel_u: Tensor

    def _init_kernel(self, shape: tuple, fan_in: int, fan_out: int) -> None:
        # Glorot-normal like params.ts: std = sqrt(2 / (fan_in + fan_out)), receptive field included.
        self.kernel = nn.Parameter(torch.randn(shape) * (2.0 / (fan_in + fan_out)) ** 0.5)
        u = torch.randn(shape[0])
        self.register_buffer("kernel_u", u / torch.linalg.norm(u))

    def sigma(self) -> Tensor:
        return spectral_sigma(self.kernel, self.kernel_u)

    def normalized_kernel(self) -> Tensor:
        return self.kernel / self.sigma().to(self.kernel.dtype)

    def power_iterate(self, iterations: int = 1) -> None:
        for _ in range(iterations):
            self.kernel_u.copy_(power_iteration_step(self.kernel, self.kernel_u))


class SNConv2d(SpectralNormed):
    """Stride-1 "same" convolution with bias and a spectrally normalised [out, in, k, k] kernel."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError("only odd kernels have a symmetric 'same' padding")
        receptive = kernel_size * kernel_size
        self._init_kernel((out_channels, in_channels, kernel_size, kernel_size), in_channels * receptive, out_channels * receptive)
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.padding = kernel_size // 2

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.normalized_kernel(), self.bias, padding=self.padding)


class SNLinear(SpectralNormed):
    """Bias-free linear map y = x Kᵀ / σ with K stored as [out, in] (PyTorch's Linear layout)."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self._init_kernel((out_features, in_features), in_features, out_features)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.normalized_kernel())


def spectral_modules(module: nn.Module):
    return [m for m in module.modules() if isinstance(m, SpectralNormed)]


def power_iterate(module: nn.Module, iterations: int = 1) -> None:
    """Advances every u vector of `module`: call once before each optimiser step of that network.

    Refused in eval mode: inference must never move u (the TS app relies on fixed σ).
    """
    if not module.training:
        raise RuntimeError("power_iterate is a training-step operation; the module is in eval mode")
    for m in spectral_modules(module):
        m.power_iterate(iterations)
