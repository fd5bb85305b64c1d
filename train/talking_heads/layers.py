"""Ops and residual blocks of the three networks, op for op as src/nn/layers/{ops,blocks}.ts.

Tensors are NCHW (channels_last memory format works: every op here is layout-agnostic). Child
module names equal the TS layer names (conv1, norm2, skip, query, ...), so a state-dict key like
"down1.conv1.kernel" is the TS parameter "<network>/down1/conv1/kernel".
"""
from __future__ import annotations

from typing import Mapping, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .plan import AdainSlot, AttentionBlock, Block, DownBlock, OutputBlock, ResBlock, UpBlock
from .spectral_norm import SNConv2d

NORM_EPSILON = 1e-5


def instance_normalize(x: Tensor) -> Tensor:
    """Per sample and channel over H, W; biased variance, ε = 1e-5. Statistics in float32."""
    with torch.autocast(device_type=x.device.type, enabled=False):
        x32 = x.float()
        mean = x32.mean(dim=(2, 3), keepdim=True)
        variance = (x32 - mean).square().mean(dim=(2, 3), keepdim=True)
        return ((x32 - mean) / torch.sqrt(variance + NORM_EPSILON)).to(x.dtype)


def adaptive_instance_norm(x: Tensor, scale: Tensor, bias: Tensor) -> Tensor:
    """γ ⊙ IN(x) + β with γ, β of shape [B or 1, C] (no "1 +", as in the TS)."""
    return instance_normalize(x) * scale[:, :, None, None] + bias[:, :, None, None]


def average_pool2(x: Tensor) -> Tensor:
    return F.avg_pool2d(x, 2)


def upsample_nearest2(x: Tensor) -> Tensor:
    """Output pixel i reads input pixel ⌊i/2⌋, like tf.image.resizeNearestNeighbor without alignment."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


def relu_sum_pool(x: Tensor) -> Tensor:
    """[B, C, H, W] → [B, C]: ReLU then global sum pooling."""
    return F.relu(x).sum(dim=(2, 3))


class InstanceNorm(nn.Module):
    """Instance norm with learned per-channel affine γ (`gamma`) and β (`beta`)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        return instance_normalize(x) * self.gamma[None, :, None, None] + self.beta[None, :, None, None]


class AdainContext:
    """ψ [B or 1, psiSize] and the slot table that says which slice feeds which AdaIN layer."""

    def __init__(self, psi: Tensor, slots: Mapping[str, AdainSlot]) -> None:
        self.psi = psi
        self.slots = slots

    def __call__(self, slot_name: str, x: Tensor) -> Tensor:
        slot = self.slots.get(slot_name)
        if slot is None:
            raise KeyError(f'AdaIN "{slot_name}" has no slot in ψ')
        scale = self.psi[:, slot.offset : slot.offset + slot.channels]
        bias = self.psi[:, slot.offset + slot.channels : slot.offset + 2 * slot.channels]
        return adaptive_instance_norm(x, scale, bias)


class SelfAttention(nn.Module):
    """SAGAN: x + γ · softmax_j(q_i · k_j) v_j over the H·W positions (row-major), no 1/√d."""

    def __init__(self, block: AttentionBlock) -> None:
        super().__init__()
        self.query = SNConv2d(block.channels, block.key_channels, 1)
        self.key = SNConv2d(block.channels, block.key_channels, 1)
        self.value = SNConv2d(block.channels, block.channels, 1)
        # Starts at 0 so a fresh block is the identity.
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: Tensor, adain: Optional[AdainContext] = None) -> Tensor:
        b, c, h, w = x.shape
        q = self.query(x).reshape(b, -1, h * w)
        k = self.key(x).reshape(b, -1, h * w)
        v = self.value(x).reshape(b, c, h * w)
        logits = torch.bmm(q.transpose(1, 2), k)  # [b, i, j]
        attention = torch.softmax(logits, dim=-1)
        attended = torch.bmm(v, attention.transpose(1, 2)).reshape(b, c, h, w)  # Σ_j A[i, j] v_j
        return x + self.gamma * attended


class DownBlockModule(nn.Module):
    """h = conv2(relu(norm2(conv1(relu(norm1(x)))))), out = avgpool(h) + skip(avgpool(x))."""

    def __init__(self, block: DownBlock) -> None:
        super().__init__()
        self.block = block
        instance = block.norm == "instance"
        if instance and block.pre_activation:
            self.norm1 = InstanceNorm(block.in_channels)
        self.conv1 = SNConv2d(block.in_channels, block.out_channels, 3)
        if instance:
            self.norm2 = InstanceNorm(block.out_channels)
        self.conv2 = SNConv2d(block.out_channels, block.out_channels, 3)
        if block.in_channels != block.out_channels:
            self.skip = SNConv2d(block.in_channels, block.out_channels, 1)

    def _norm(self, name: str, x: Tensor) -> Tensor:
        return getattr(self, name)(x) if self.block.norm == "instance" else x

    def forward(self, x: Tensor, adain: Optional[AdainContext] = None) -> Tensor:
        h = F.relu(self._norm("norm1", x)) if self.block.pre_activation else x
        h = self.conv1(h)
        h = self.conv2(F.relu(self._norm("norm2", h)))
        skip = average_pool2(x)
        if self.block.in_channels != self.block.out_channels:
            skip = self.skip(skip)
        return average_pool2(h) + skip


class ResBlockModule(nn.Module):
    """x + conv2(relu(norm2(conv1(relu(norm1(x)))))), norms AdaIN (G) or none (V)."""

    def __init__(self, block: ResBlock) -> None:
        super().__init__()
        self.block = block
        self.conv1 = SNConv2d(block.channels, block.channels, 3)
        self.conv2 = SNConv2d(block.channels, block.channels, 3)

    def _norm(self, name: str, x: Tensor, adain: Optional[AdainContext]) -> Tensor:
        if self.block.norm != "adain":
            return x
        if adain is None:
            raise ValueError(f"{self.block.name} needs ψ")
        return adain(f"{self.block.name}/{name}", x)

    def forward(self, x: Tensor, adain: Optional[AdainContext] = None) -> Tensor:
        h = self.conv1(F.relu(self._norm("norm1", x, adain)))
        h = self.conv2(F.relu(self._norm("norm2", h, adain)))
        return x + h


class UpBlockModule(nn.Module):
    """h = conv2(relu(AdaIN2(conv1(up(relu(AdaIN1(x))))))), out = h + up(skip(x))."""

    def __init__(self, block: UpBlock) -> None:
        super().__init__()
        self.block = block
        self.conv1 = SNConv2d(block.in_channels, block.out_channels, 3)
        self.conv2 = SNConv2d(block.out_channels, block.out_channels, 3)
        if block.in_channels != block.out_channels:
            self.skip = SNConv2d(block.in_channels, block.out_channels, 1)
        if block.lateral_channels:
            self.lateral = ZeroConv2d(block.lateral_channels, block.out_channels, 3)

    def forward(self, x: Tensor, adain: Optional[AdainContext] = None, encoder: Optional[Tensor] = None) -> Tensor:
        """`encoder`: the encoder's activation at the output size, for a block with lateral_channels."""
        if adain is None:
            raise ValueError(f"{self.block.name} needs ψ")
        name = self.block.name
        h = upsample_nearest2(F.relu(adain(f"{name}/norm1", x)))
        h = self.conv1(h)
        h = self.conv2(F.relu(adain(f"{name}/norm2", h)))
        skip = self.skip(x) if self.block.in_channels != self.block.out_channels else x
        out = h + upsample_nearest2(skip)
        if self.block.lateral_channels:
            if encoder is None:
                raise ValueError(f"{name} adds an encoder skip: pass the encoder's activation")
            out = out + self.lateral(encoder)
        return out


class ZeroConv2d(nn.Module):
    """Stride-1 "same" convolution with bias, not spectrally normalised, kernel and bias at zero:
    the warp-guided output head, which must start as a no-op (σ of a zero kernel is 0)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.kernel = nn.Parameter(torch.zeros(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.padding = kernel_size // 2

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.kernel, self.bias, padding=self.padding)


class OutputBlockModule(nn.Module):
    """tanh(conv(relu(AdaIN(x)))), a 3×3 conv to RGB; for a blend block conv(relu(AdaIN(x))) raw,
    4 channels (Δ before its tanh, then the α logit; generator.flow: then the flow's x and y before
    their tanh), which Generator.render blends with the warp."""

    def __init__(self, block: OutputBlock) -> None:
        super().__init__()
        self.block = block
        if block.blend:
            self.conv = ZeroConv2d(block.in_channels, block.out_channels, 3)
        else:
            self.conv = SNConv2d(block.in_channels, block.out_channels, 3)

    def forward(self, x: Tensor, adain: Optional[AdainContext] = None) -> Tensor:
        if adain is None:
            raise ValueError(f"{self.block.name} needs ψ")
        y = self.conv(F.relu(adain(f"{self.block.name}/norm", x)))
        return y if self.block.blend else torch.tanh(y)


def block_module(block: Block) -> nn.Module:
    if isinstance(block, DownBlock):
        return DownBlockModule(block)
    if isinstance(block, ResBlock):
        return ResBlockModule(block)
    if isinstance(block, UpBlock):
        return UpBlockModule(block)
    if isinstance(block, AttentionBlock):
        return SelfAttention(block)
    if isinstance(block, OutputBlock):
        return OutputBlockModule(block)
    raise TypeError(f"Unknown block {block!r}")
