"""Embedder E, generator G (with the projection P) and projection discriminator D in PyTorch.

Each network registers one child module per planned block under the block's short name
("down0", "attention_down", "res1", "output", ...), so state-dict keys are the TS parameter names
without the network prefix and with "/" → "." (see weights_io.py for the layout conversion).
Inputs and outputs are NCHW; images and landmark images are in [-1, 1].
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import MOUTH_INPUT, NetConfig, mouth_net_config
from .layers import AdainContext, block_module, relu_sum_pool
from . import mouth_region
from .plan import (
    MOUTH_PREFIX,
    AttentionBlock,
    NetworkPlan,
    UpBlock,
    adain_slots,
    discriminator_plan,
    embedder_plan,
    generator_plan,
    psi_size,
)
from .spectral_norm import SNLinear
from .warp import displace, displace_positions, sample


def _short_name(block_name: str) -> str:
    return block_name.split("/", 1)[1]


class _PlannedNetwork(nn.Module):
    """Registers the plan's blocks in order under their short names."""

    network_name: str

    def __init__(self, config: NetConfig, plan: NetworkPlan, prefix: Optional[str] = None) -> None:
        super().__init__()
        self.config = config
        self.plan = plan
        self.block_names: List[str] = []
        for block in plan.blocks:
            name = block.name[len(prefix) + 1 :] if prefix else _short_name(block.name)
            self.add_module(name, block_module(block))
            self.block_names.append(name)

    def blocks(self):
        return [(block, getattr(self, name)) for block, name in zip(self.plan.blocks, self.block_names)]


class Embedder(_PlannedNetwork):
    network_name = "embedder"

    def __init__(self, config: NetConfig) -> None:
        super().__init__(config, embedder_plan(config))

    def forward(self, frames: Tensor, landmark_images: Tensor) -> Tensor:
        """Per-frame embeddings [B, N] of frames and landmark images [B, 3, H, W]."""
        x = torch.cat([frames, landmark_images], dim=1)
        for _, module in self.blocks():
            x = module(x)
        return relu_sum_pool(x)

    def embedding(self, frames: Tensor, landmark_images: Tensor) -> Tensor:
        """ê [N]: the mean over the K frames, as ff.ts computeEmbedding."""
        return self.forward(frames, landmark_images).mean(dim=0)


class GeneratorInputs(NamedTuple):
    """G's inputs by name (the plan says which a preset needs); images NCHW in [-1, 1]. The mouth
    generator reads the lips' polygons [B, 2, H, W] in [0, 1] as its landmarks and the frame's crop
    as its warped image (no mask)."""

    landmarks: Tensor  # [B, 3, H, W] the driving landmark image
    warped: Optional[Tensor] = None  # [B, 3, H, W] the source warped to the driving landmarks
    mask: Optional[Tensor] = None  # [B, 1, H, W] its validity in [0, 1] (warp.py)


class GeneratorOutput(NamedTuple):
    frame: Tensor  # [B, 3, H, W]
    alpha: Optional[Tensor]  # [B, 1, H, W] blend mask in (0, 1); None for the paper's G
    delta: Optional[Tensor]  # [B, 3, H, W] residual added where α is high; None for the paper's G
    flow: Optional[Tensor] = None  # [B, 2, H, W] x, y in crop units (generator.flow); else None


# Δ = DELTA_RANGE · tanh(raw): a residual can take any frame in [-1, 1] to any other.
DELTA_RANGE = 2.0
# flow = FLOW_RANGE · tanh(raw), crop units: at most 1/20 of the crop (3.2 px at 64, 12.8 at 256).
FLOW_RANGE = 0.05


def generator_input_tensor(config: NetConfig, inputs: GeneratorInputs) -> Tensor:
    """The channels G's first block reads: landmark image, then (warp input) warp and 2·mask − 1; for
    the mouth generator the crop, then 2·lips − 1."""
    if config.generator.input == MOUTH_INPUT:
        return torch.cat([inputs.warped, inputs.landmarks.to(inputs.warped.dtype) * 2.0 - 1.0], dim=1)
    if not config.generator.uses_warp:
        return inputs.landmarks
    if inputs.warped is None or inputs.mask is None:
        raise ValueError("this generator blends with the warped source: pass warped and mask")
    mask = inputs.mask.to(inputs.landmarks.dtype) * 2.0 - 1.0
    return torch.cat([inputs.landmarks, inputs.warped.to(inputs.landmarks.dtype), mask], dim=1)


def alpha_border_ramp(size: int, width: int, device: Optional[torch.device] = None) -> Tensor:
    """The fixed factor on α of generator.alpha_border = width, [1, 1, size, size]: the product over
    both axes of min(1, (d + 0.5) / width), d the distance in pixels from the nearer edge (0 for the
    outermost row). All ones for width 0. generator.ts alphaBorderRamp is its twin."""
    index = torch.arange(size, device=device, dtype=torch.float32)
    distance = torch.minimum(index, size - 1 - index)
    axis = torch.clamp((distance + 0.5) / width, max=1.0) if width > 0 else torch.ones_like(index)
    return (axis[:, None] * axis[None, :]).reshape(1, 1, size, size)


def compose(warped: Tensor, out: GeneratorOutput, source: Optional[Tensor] = None, position: Optional[Tensor] = None) -> Tensor:
    """The warp-guided frame from a warp [B, 3, S, S] of any size S and G's α, Δ (and flow) at G's
    size, upsampled bilinearly (half-pixel centres, as the app's resizeBilinear) when smaller:
    warp + α·Δ. With a flow (generator.flow) the warp moves by it first. Given the warp's source
    [B, 3, S, S] and sampling positions [B, S, S, 2] (warp.py grid_from_assignment; the frame the app
    shows), the source is sampled once at the positions read at p + flow(p) (displace_positions);
    without them (G's own frame, render) the warp itself is resampled at p + flow(p)."""
    size = warped.shape[-1]

    def up(x: Tensor) -> Tensor:
        x = x.float()
        return x if x.shape[-1] == size else F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)

    if out.flow is None:
        base = warped.float()
    elif source is not None and position is not None:
        base = sample(source.float(), displace_positions(position, up(out.flow)))
    else:
        base = displace(warped.float(), up(out.flow))
    return base + up(out.alpha) * up(out.delta)


class Generator(_PlannedNetwork):
    network_name = "generator"

    def __init__(self, config: NetConfig, plan: Optional[NetworkPlan] = None, prefix: Optional[str] = None) -> None:
        super().__init__(config, plan or generator_plan(config), prefix)
        self.psi_size = psi_size(self.plan)
        self.adain_slots = {slot.name: slot for slot in adain_slots(self.plan)}
        self.projection = SNLinear(config.embed_dim, self.psi_size)
        # config.mouth: the mouth generator, registered last (its names: "generator/mouth/...").
        self.mouth = MouthGenerator(config) if config.mouth else None

    def psi_from_embedding(self, embedding: Tensor) -> Tensor:
        """ψ̂ = P ê for embeddings [N] or [B, N]; returns [B, psiSize]."""
        return self.projection(embedding.reshape(-1, self.config.embed_dim))

    def render(self, psi: Tensor, inputs: GeneratorInputs) -> GeneratorOutput:
        """The frame (and, warp-guided, α and Δ) for ψ [B or 1, psiSize] and the named inputs."""
        if psi.shape[-1] != self.psi_size:
            raise ValueError(f"ψ has {psi.shape[-1]} values, the generator needs {self.psi_size}")
        adain = AdainContext(psi, self.adain_slots)
        x = generator_input_tensor(self.config, inputs)
        # The encoder's last activation at each size (the input at full size), for encoder skips.
        encoder = {x.shape[-1]: x}
        decoding = False
        for block, module in self.blocks():
            if isinstance(block, UpBlock):
                decoding = True
                x = module(x, adain, encoder.get(2 * block.input_size) if block.lateral_channels else None)
            else:
                x = module(x, adain)
                if not decoding:
                    encoder[x.shape[-1]] = x
        if not self.config.generator.blends:
            return GeneratorOutput(x, None, None)
        # The blend in float32 even under autocast: frame = warp + α·Δ (= α·(warp + Δ) + (1 − α)·warp).
        with torch.autocast(device_type=x.device.type, enabled=False):
            raw = x.float()
            delta = DELTA_RANGE * torch.tanh(raw[:, :3])
            g = self.config.generator
            if not g.alpha_mask_gain:
                prior = 0.0
            elif g.input == MOUTH_INPUT:
                prior = g.alpha_mask_gain * inputs.landmarks[:, :1].float()  # inside the inner lips
            else:
                prior = g.alpha_mask_gain * (1.0 - inputs.mask.float())
            alpha = torch.sigmoid(raw[:, 3:4] + g.alpha_bias + prior)
            if g.alpha_border:
                alpha = alpha * alpha_border_ramp(alpha.shape[-1], g.alpha_border, alpha.device)
            if g.input == MOUTH_INPUT and g.alpha_lip_region is not None:
                # The mouth generator's region: the outer lips' polygon, grown by alpha_lip_region pixels.
                d = g.alpha_lip_region
                outer = inputs.landmarks[:, 1:2].float()
                alpha = alpha * (F.max_pool2d(outer, 2 * d + 1, 1, d) if d > 0 else outer)
            flow = FLOW_RANGE * torch.tanh(raw[:, 4:6]) if g.flow else None
            frame = compose(inputs.warped.float(), GeneratorOutput(inputs.warped, alpha, delta, flow))
        return GeneratorOutput(frame, alpha, delta, flow)

    def forward(self, psi: Tensor, inputs: GeneratorInputs) -> Tensor:
        """Frames [B, 3, H, W] (≈ [-1, 1]) for ψ [B or 1, psiSize] and the named inputs."""
        return self.render(psi, inputs).frame


class MouthGenerator(Generator):
    """config.mouth's generator: G's blocks at the mouth's own resolution and channels, reading the
    shown frame's crop around the driving mouth and the lips (mouth_region.py); ψ_m = P_m ê."""

    def __init__(self, parent: NetConfig) -> None:
        config = mouth_net_config(parent)
        super().__init__(config, generator_plan(config, MOUTH_PREFIX), MOUTH_PREFIX)
        self.pad = parent.mouth.pad
        self.opening_ramp = parent.mouth.opening_ramp

    def refine(self, psi: Tensor, frame: Tensor, points: Tensor, source_points: Optional[Tensor] = None):
        """(frame + the pasted α·Δ, the mouth's GeneratorOutput) for shown frames [B, 3, F, F] and
        their driving points [B, 478, ≥2] in frame pixels; with config.mouth.openingRamp, α·Δ (and
        the output's α) scaled by the opening gate of the driving mouth over the warped photo's
        (source_points [B, 478, ≥2], any scale: the gate reads ratios)."""
        size = self.config.resolution
        box, lips = mouth_region.region(points, self.pad, size)
        crop = mouth_region.crop(frame.float(), box, size)
        out = self.render(psi, GeneratorInputs(lips.to(crop.device), crop))
        residual = out.frame - crop
        if self.opening_ramp is not None:
            if source_points is None:
                raise ValueError("refine: config.mouth.openingRamp needs the warped photo's landmarks (source_points)")
            gate = mouth_region.opening_gate(points, source_points, self.opening_ramp).to(residual)[:, None, None, None]
            residual = residual * gate
            out = out._replace(alpha=out.alpha * gate)
        return mouth_region.paste(frame.float(), residual, box), out


class DiscriminatorOutput(NamedTuple):
    realism: Tensor  # r: [B]
    v: Tensor  # V(x, y): [B, N]
    features: List[Tensor]  # activations after each down/res block, for L_FM


class Discriminator(_PlannedNetwork):
    """D(x, y, i) = V(x, y)ᵀ (W_i + w0) + b (paper eq. 7)."""

    network_name = "discriminator"

    def __init__(self, config: NetConfig, num_videos: Optional[int] = None) -> None:
        super().__init__(config, discriminator_plan(config))
        self.num_videos = config.discriminator.num_videos if num_videos is None else num_videos
        n = config.embed_dim
        if self.num_videos > 0:
            # [N, numVideos], one column per video, as in the TS (not spectrally normalised).
            self.embedding = nn.Parameter(torch.randn(n, self.num_videos) * 0.02)
        self.w0 = nn.Parameter(torch.randn(n) * 0.02)
        self.b = nn.Parameter(torch.zeros(()))

    def features(self, images: Tensor, landmark_images: Tensor):
        """(V(x, y) [B, N], activations after every non-attention block)."""
        activations: List[Tensor] = []
        x = torch.cat([images, landmark_images], dim=1)
        for block, module in self.blocks():
            x = module(x)
            if not isinstance(block, AttentionBlock):
                activations.append(x)
        return relu_sum_pool(x), activations

    def video_projection(self, video_indices: Sequence[int]) -> Tensor:
        """W_i + w0 for each sample's training video: [B, N]."""
        if self.num_videos == 0:
            raise ValueError("This discriminator was built without the per-video matrix W")
        index = torch.as_tensor(list(video_indices), dtype=torch.long, device=self.w0.device)
        return self.embedding.index_select(1, index).t() + self.w0

    def forward(self, images: Tensor, landmark_images: Tensor, projection: Tensor) -> DiscriminatorOutput:
        """r = V(x, y) · w + b with w = W_i + w0 ([B, N]) or the fine-tuned w′ ([N])."""
        v, activations = self.features(images, landmark_images)
        realism = (v * projection.reshape(-1, self.config.embed_dim)).sum(dim=1) + self.b
        return DiscriminatorOutput(realism, v, activations)


def build_networks(config: NetConfig, num_videos: Optional[int] = None):
    """(E, G, D) with fresh random weights for `config`."""
    return Embedder(config), Generator(config), Discriminator(config, num_videos)
