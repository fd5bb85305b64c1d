"""The three networks as plain data, mirroring src/nn/plan.ts block for block.

Parameter names and shapes come from here in the TS layout (HWIO conv kernels, [in, out] linear
kernels), so they can be compared one to one with the TS ParamRegistry; nets.py builds its modules
from the same plan.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

from .config import MOUTH_INPUT, NetConfig, channels_at, generator_channels_at, mouth_net_config

IMAGE_CHANNELS = 3
# Warp-guided G's extra inputs: the warped source (RGB) and its validity mask (1 channel).
WARP_CHANNELS = 3
MASK_CHANNELS = 1
# Warp-guided G's output conv: the residual Δ (RGB) and the blend-mask logit.
BLEND_OUTPUT_CHANNELS = IMAGE_CHANNELS + 1
# generator.flow: two more output channels, the flow's x and y.
FLOW_CHANNELS = 2
# The mouth generator's inputs (config.MouthConfig): the frame's crop (RGB) and the inner and outer
# lips' polygons (2 channels); its blocks and projection live in G under this prefix.
LIP_CHANNELS = 2
MOUTH_PREFIX = "generator/mouth"
SN_U_SUFFIX = "_u"

NETWORK_NAMES = ("embedder", "generator", "discriminator")


@dataclass(frozen=True)
class DownBlock:
    name: str
    in_channels: int
    out_channels: int
    input_size: int
    norm: str  # "none" | "instance"
    # False for a network's first block: its raw input goes straight into the first conv.
    pre_activation: bool
    kind: str = "down"


@dataclass(frozen=True)
class ResBlock:
    name: str
    channels: int
    size: int
    norm: str  # "none" | "adain"
    kind: str = "res"


@dataclass(frozen=True)
class UpBlock:
    name: str
    in_channels: int
    out_channels: int
    input_size: int
    kind: str = "up"
    # Channels of the encoder activation at this block's output size added through a zero-initialised
    # 3×3 conv ("lateral"), 0 for none (generator.encoderSkips).
    lateral_channels: int = 0


@dataclass(frozen=True)
class AttentionBlock:
    name: str
    channels: int
    key_channels: int
    size: int
    kind: str = "attention"


@dataclass(frozen=True)
class OutputBlock:
    name: str
    in_channels: int
    out_channels: int
    size: int
    kind: str = "output"
    # False: tanh(SN conv) to RGB (the paper's). True: a plain conv, zero-initialised, to Δ and the α
    # logit of the warp-guided blend (frame = warp + α·Δ), so the untrained G returns the warp.
    blend: bool = False


Block = Union[DownBlock, ResBlock, UpBlock, AttentionBlock, OutputBlock]


@dataclass(frozen=True)
class NetworkPlan:
    network: str
    input_channels: int
    blocks: Tuple[Block, ...]


@dataclass(frozen=True)
class AdainSlot:
    """One AdaIN layer's slice of psi: scales at [offset, offset + channels), biases right after."""

    name: str
    channels: int
    offset: int


@dataclass(frozen=True)
class ParamSpec:
    name: str
    shape: Tuple[int, ...]  # TS layout
    init: str  # "glorot" | "zeros" | "ones" | "small-normal"
    # Conv/linear kernels: a persistent u vector "<name>_u" of length shape[-1] comes with it.
    spectral_norm: bool


def final_size(config: NetConfig, down_blocks: int) -> int:
    return config.resolution // 2**down_blocks


def _attention(name: str, channels: int, size: int) -> AttentionBlock:
    return AttentionBlock(name, channels, max(1, channels // 8), size)


def _encoder_blocks(config: NetConfig, network: str, down_blocks: int, attention_after: Optional[int]) -> List[Block]:
    blocks: List[Block] = []
    channels = 2 * IMAGE_CHANNELS
    for i in range(down_blocks):
        out = channels_at(config, i)
        blocks.append(DownBlock(f"{network}/down{i}", channels, out, config.resolution // 2**i, "none", i > 0))
        channels = out
        if attention_after == i:
            blocks.append(_attention(f"{network}/attention", out, config.resolution // 2 ** (i + 1)))
    return blocks


def embedder_plan(config: NetConfig) -> NetworkPlan:
    e = config.embedder
    return NetworkPlan("embedder", 2 * IMAGE_CHANNELS, tuple(_encoder_blocks(config, "embedder", e.down_blocks, e.attention_after_block)))


def discriminator_plan(config: NetConfig) -> NetworkPlan:
    d = config.discriminator
    blocks = _encoder_blocks(config, "discriminator", d.down_blocks, d.attention_after_block)
    size = final_size(config, d.down_blocks)
    for i in range(d.extra_blocks):
        blocks.append(ResBlock(f"discriminator/extra{i}", config.embed_dim, size, "none"))
    return NetworkPlan("discriminator", 2 * IMAGE_CHANNELS, tuple(blocks))


def generator_input_channels(config: NetConfig) -> int:
    """Landmark image (3), plus the warped source (3) and its mask (1) for warp-guided G; the frame's
    crop (3) and the lips (2) for the mouth generator."""
    if config.generator.input == MOUTH_INPUT:
        return IMAGE_CHANNELS + LIP_CHANNELS
    if config.generator.uses_warp:
        return IMAGE_CHANNELS + WARP_CHANNELS + MASK_CHANNELS
    return IMAGE_CHANNELS


def generator_plan(config: NetConfig, prefix: str = "generator") -> NetworkPlan:
    """G's blocks, named "<prefix>/<block>" (the mouth generator's: MOUTH_PREFIX, mouth_plan)."""
    g = config.generator
    blocks: List[Block] = []
    channels = generator_input_channels(config)
    size = config.resolution
    # The encoder's channels by spatial size (its last activation there): what encoder skips add.
    encoder = {size: channels}
    for i in range(g.down_blocks):
        out = generator_channels_at(config, i)
        blocks.append(DownBlock(f"{prefix}/down{i}", channels, out, size, "instance", i > 0))
        channels = out
        size //= 2
        encoder[size] = channels
        if g.attention_after_down_block == i:
            blocks.append(_attention(f"{prefix}/attention_down", channels, size))
    for i in range(g.bottleneck_blocks):
        blocks.append(ResBlock(f"{prefix}/res{i}", channels, size, "adain"))
    for i in range(g.down_blocks):
        # Mirror of the down path; the last up block keeps min_channels (paper: 512→256→128→64→64).
        out = generator_channels_at(config, max(g.down_blocks - 2 - i, 0))
        lateral = encoder.get(2 * size, 0) if g.encoder_skips else 0
        blocks.append(UpBlock(f"{prefix}/up{i}", channels, out, size, lateral_channels=lateral))
        channels = out
        size *= 2
        if g.attention_after_up_block == i:
            blocks.append(_attention(f"{prefix}/attention_up", channels, size))
    if g.blends:
        out = BLEND_OUTPUT_CHANNELS + (FLOW_CHANNELS if g.flow else 0)
        blocks.append(OutputBlock(f"{prefix}/output", channels, out, size, blend=True))
    else:
        blocks.append(OutputBlock(f"{prefix}/output", channels, IMAGE_CHANNELS, size))
    return NetworkPlan("generator", generator_input_channels(config), tuple(blocks))


def mouth_plan(config: NetConfig) -> Optional[NetworkPlan]:
    """The mouth generator's blocks (config.mouth), or None for a preset without one."""
    return generator_plan(mouth_net_config(config), MOUTH_PREFIX) if config.mouth else None


def plan_for(config: NetConfig, network: str) -> NetworkPlan:
    if network == "embedder":
        return embedder_plan(config)
    if network == "generator":
        return generator_plan(config)
    if network == "discriminator":
        return discriminator_plan(config)
    raise ValueError(f"Unknown network {network!r}")


def adain_slots(plan: NetworkPlan) -> List[AdainSlot]:
    """G's AdaIN layers in forward order; psi is their [scale, bias] pairs concatenated."""
    slots: List[AdainSlot] = []
    offset = 0

    def add(name: str, channels: int) -> None:
        nonlocal offset
        slots.append(AdainSlot(name, channels, offset))
        offset += 2 * channels

    for block in plan.blocks:
        if isinstance(block, ResBlock) and block.norm == "adain":
            add(f"{block.name}/norm1", block.channels)
            add(f"{block.name}/norm2", block.channels)
        elif isinstance(block, UpBlock):
            add(f"{block.name}/norm1", block.in_channels)
            add(f"{block.name}/norm2", block.out_channels)
        elif isinstance(block, OutputBlock):
            add(f"{block.name}/norm", block.in_channels)
    return slots


def psi_size(plan: NetworkPlan) -> int:
    return sum(2 * slot.channels for slot in adain_slots(plan))


def _conv(name: str, kernel: int, in_channels: int, out_channels: int) -> List[ParamSpec]:
    return [
        ParamSpec(f"{name}/kernel", (kernel, kernel, in_channels, out_channels), "glorot", True),
        ParamSpec(f"{name}/bias", (out_channels,), "zeros", False),
    ]


def _instance_norm(name: str, channels: int) -> List[ParamSpec]:
    return [ParamSpec(f"{name}/gamma", (channels,), "ones", False), ParamSpec(f"{name}/beta", (channels,), "zeros", False)]


def block_param_specs(block: Block) -> List[ParamSpec]:
    if isinstance(block, DownBlock):
        specs: List[ParamSpec] = []
        if block.norm == "instance" and block.pre_activation:
            specs += _instance_norm(f"{block.name}/norm1", block.in_channels)
        specs += _conv(f"{block.name}/conv1", 3, block.in_channels, block.out_channels)
        if block.norm == "instance":
            specs += _instance_norm(f"{block.name}/norm2", block.out_channels)
        specs += _conv(f"{block.name}/conv2", 3, block.out_channels, block.out_channels)
        if block.in_channels != block.out_channels:
            specs += _conv(f"{block.name}/skip", 1, block.in_channels, block.out_channels)
        return specs
    if isinstance(block, ResBlock):
        return _conv(f"{block.name}/conv1", 3, block.channels, block.channels) + _conv(
            f"{block.name}/conv2", 3, block.channels, block.channels
        )
    if isinstance(block, UpBlock):
        specs = _conv(f"{block.name}/conv1", 3, block.in_channels, block.out_channels)
        specs += _conv(f"{block.name}/conv2", 3, block.out_channels, block.out_channels)
        if block.in_channels != block.out_channels:
            specs += _conv(f"{block.name}/skip", 1, block.in_channels, block.out_channels)
        if block.lateral_channels:
            specs += [
                ParamSpec(f"{block.name}/lateral/kernel", (3, 3, block.lateral_channels, block.out_channels), "zeros", False),
                ParamSpec(f"{block.name}/lateral/bias", (block.out_channels,), "zeros", False),
            ]
        return specs
    if isinstance(block, AttentionBlock):
        return (
            _conv(f"{block.name}/query", 1, block.channels, block.key_channels)
            + _conv(f"{block.name}/key", 1, block.channels, block.key_channels)
            + _conv(f"{block.name}/value", 1, block.channels, block.channels)
            + [ParamSpec(f"{block.name}/gamma", (), "zeros", False)]
        )
    if isinstance(block, OutputBlock):
        if block.blend:
            return [
                ParamSpec(f"{block.name}/conv/kernel", (3, 3, block.in_channels, block.out_channels), "zeros", False),
                ParamSpec(f"{block.name}/conv/bias", (block.out_channels,), "zeros", False),
            ]
        return _conv(f"{block.name}/conv", 3, block.in_channels, block.out_channels)
    raise TypeError(f"Unknown block {block!r}")


def network_param_specs(config: NetConfig, plan: NetworkPlan, num_videos: Optional[int] = None) -> List[ParamSpec]:
    """Every parameter of a network, in the order of the TS registry (u vectors not included)."""
    if num_videos is None:
        num_videos = config.discriminator.num_videos
    specs = [spec for block in plan.blocks for spec in block_param_specs(block)]
    if plan.network == "generator":
        specs.append(ParamSpec("generator/projection/kernel", (config.embed_dim, psi_size(plan)), "glorot", True))
        mouth = mouth_plan(config)
        if mouth is not None:
            # The mouth generator: its blocks and its own projection P_m (ψ_m = P_m ê).
            specs += [spec for block in mouth.blocks for spec in block_param_specs(block)]
            specs.append(ParamSpec(f"{MOUTH_PREFIX}/projection/kernel", (config.embed_dim, psi_size(mouth)), "glorot", True))
    if plan.network == "discriminator":
        # W and w0 are not spectrally normalised: L_MCH compares W_i with ê directly.
        if num_videos > 0:
            specs.append(ParamSpec("discriminator/embedding", (config.embed_dim, num_videos), "small-normal", False))
        specs.append(ParamSpec("discriminator/w0", (config.embed_dim,), "small-normal", False))
        specs.append(ParamSpec("discriminator/b", (), "zeros", False))
    return specs


def registry_names_and_shapes(config: NetConfig, plan: NetworkPlan, num_videos: Optional[int] = None) -> List[Tuple[str, Tuple[int, ...]]]:
    """(name, TS shape) of every stored tensor, u vectors included, in ParamRegistry order."""
    out: List[Tuple[str, Tuple[int, ...]]] = []
    for spec in network_param_specs(config, plan, num_videos):
        out.append((spec.name, spec.shape))
        if spec.spectral_norm:
            out.append((spec.name + SN_U_SUFFIX, (spec.shape[-1],)))
    return out


def count_params(config: NetConfig, network: str) -> int:
    """Trainable parameters counted like cost.ts: no u vectors, no per-video matrix W."""
    total = 0
    for spec in network_param_specs(config, plan_for(config, network), 0):
        size = 1
        for dim in spec.shape:
            size *= dim
        total += size
    return total
