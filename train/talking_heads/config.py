"""Typed loading and validation of src/nn/configs.json, mirroring src/nn/config.ts.

The TS app and this trainer read the same JSON, so a field must mean the same thing on both sides;
the validation rules (and their messages) follow config.ts one for one.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS_PATH = REPO_ROOT / "src" / "nn" / "configs.json"

GENERATOR_INPUTS = ("landmarks", "landmarks+warp")
# The mouth generator's input (never a preset's generator.input): the frame's crop around the mouth
# and the lips' polygons (mouth_region.py), see MouthConfig.
MOUTH_INPUT = "mouth"


@dataclass(frozen=True)
class EmbedderConfig:
    down_blocks: int
    attention_after_block: Optional[int]


@dataclass(frozen=True)
class GeneratorConfig:
    down_blocks: int
    bottleneck_blocks: int
    attention_after_down_block: Optional[int]
    attention_after_up_block: Optional[int]
    # "landmarks": the paper's G(landmark image). "landmarks+warp": G also receives the source photo
    # warped to the driving landmarks and its validity mask, and blends: frame = warp + α·Δ.
    input: str = "landmarks"
    # Added to the α logit, so the untrained G's α is σ(alpha_bias) (warp input only).
    alpha_bias: float = 0.0
    # A landmark prior on α: the logit also gets alpha_mask_gain · (1 − mask), so α starts high where
    # the warp stretched, squeezed or folded the photo (an opening mouth, closing eyes), where a warp
    # cannot be right. The untrained G still returns the warp (Δ = 0 there).
    alpha_mask_gain: float = 0.0
    # A fixed border on α (warp input only): α is multiplied by nets.alpha_border_ramp, 0 at the crop's
    # edge and 1 at this many pixels (at G's resolution) in, so the frame's outer band is the photo's
    # own pixels: a crop that follows the face shows there what G cannot know.
    alpha_border: int = 0
    # U-Net skips (warp input only): each up block also adds a zero-initialised 3×3 conv of the
    # encoder's activation at its output size (the raw input at full size), so Δ and α can be as
    # sharp as the warp they correct. Zero at the start: a warm-started G is unchanged.
    encoder_skips: bool = False
    # A learned flow (warp input only): the output head also gives a displacement field (2 more
    # channels, FLOW_RANGE · tanh, in crop units) and the warp is resampled at p + flow(p) before the
    # blend, so G can move the photo's own pixels (a strand of hair, a jaw line the mesh misplaced)
    # instead of repainting them blurred. Zero at the start: a warm-started G is unchanged.
    flow: bool = False
    # The mouth generator's only (from MouthConfig.alpha_lip_region): α is multiplied by the outer
    # lips' polygon (its input's second channel) grown by this many pixels. None: no region.
    alpha_lip_region: Optional[int] = None
    # G's own channel range (None: the config's min_channels and max_channels, as E and D have). A
    # warp-guided G repaints only what the warp cannot draw, so it can be narrower than the networks
    # that must read a face: half the channels is a quarter of the FLOPs of every frame.
    min_channels: Optional[int] = None
    max_channels: Optional[int] = None

    @property
    def uses_warp(self) -> bool:
        return self.input == "landmarks+warp"

    @property
    def blends(self) -> bool:
        """Whether the output head gives Δ and α (frame = base + α·Δ) instead of an RGB frame."""
        return self.input != "landmarks"


@dataclass(frozen=True)
class MouthConfig:
    """A second, small warp-guided generator that repaints a square around the driving mouth at the
    frame's own resolution (mouth_region.py): it reads the shown frame's crop there and the lips'
    polygons, and adds α·Δ back into the frame. Its AdaIN comes from the same embedding through its
    own projection; its α starts near 0 (alpha_bias), higher inside the inner lips (alpha_lip_gain),
    and falls to 0 over its crop's outer alpha_border pixels, so the paste has no seam; with
    opening_ramp it fades in as the driving mouth opens."""

    resolution: int
    min_channels: int
    max_channels: int
    down_blocks: int
    bottleneck_blocks: int
    # The crop's side: the inner lips' extent plus 2·pad outer-eye-corner distances.
    pad: float
    alpha_bias: float
    alpha_lip_gain: float
    alpha_border: int
    # (lo, hi) of the driving mouth's opening (mouth.py mouth_opening): the residual is scaled by
    # clamp((opening − lo) / (hi − lo), 0, 1), so a mouth a warp can draw (closed, barely open) is
    # left as it is, and the pass is skipped there. None: always applied.
    opening_ramp: Optional[Tuple[float, float]] = None
    # Where α may be non-zero: inside the outer lips' polygon grown by this many of the crop's pixels
    # (a max filter of side 2·alpha_lip_region + 1); outside it the frame keeps its pixels (the skin
    # around the mouth, repainted blurred at a small resolution at a cost in identity). None: the crop.
    alpha_lip_region: Optional[int] = None

    def to_json(self) -> Dict[str, Any]:
        return {
            "resolution": self.resolution,
            "minChannels": self.min_channels,
            "maxChannels": self.max_channels,
            "downBlocks": self.down_blocks,
            "bottleneckBlocks": self.bottleneck_blocks,
            "pad": self.pad,
            "alphaBias": self.alpha_bias,
            "alphaLipGain": self.alpha_lip_gain,
            "alphaBorder": self.alpha_border,
            **({"openingRamp": list(self.opening_ramp)} if self.opening_ramp is not None else {}),
            **({"alphaLipRegion": self.alpha_lip_region} if self.alpha_lip_region is not None else {}),
        }


@dataclass(frozen=True)
class DiscriminatorConfig:
    down_blocks: int
    extra_blocks: int
    attention_after_block: Optional[int]
    # Columns of the per-video matrix W; 0 builds D without W (fine-tuning needs only w0 and b).
    num_videos: int


@dataclass(frozen=True)
class NetConfig:
    name: str
    description: str
    resolution: int
    min_channels: int
    max_channels: int
    embed_dim: int
    embedder: EmbedderConfig
    generator: GeneratorConfig
    discriminator: DiscriminatorConfig
    mouth: Optional[MouthConfig] = None

    def with_num_videos(self, num_videos: int) -> "NetConfig":
        """The same networks with a W of `num_videos` columns (the trainer's dataset size)."""
        if not _is_int(num_videos) or num_videos < 0:
            raise ValueError(f"num_videos must be an integer >= 0, got {num_videos!r}")
        return replace(self, discriminator=replace(self.discriminator, num_videos=int(num_videos)))

    def to_json(self) -> Dict[str, Any]:
        """The camelCase object config.ts validates (what weight manifests store as "config")."""
        return {
            "name": self.name,
            "description": self.description,
            "resolution": self.resolution,
            "minChannels": self.min_channels,
            "maxChannels": self.max_channels,
            "embedDim": self.embed_dim,
            "embedder": {
                "downBlocks": self.embedder.down_blocks,
                "attentionAfterBlock": self.embedder.attention_after_block,
            },
            "generator": {
                "downBlocks": self.generator.down_blocks,
                "bottleneckBlocks": self.generator.bottleneck_blocks,
                "attentionAfterDownBlock": self.generator.attention_after_down_block,
                "attentionAfterUpBlock": self.generator.attention_after_up_block,
                **(
                    {"input": self.generator.input, "alphaBias": self.generator.alpha_bias, "alphaMaskGain": self.generator.alpha_mask_gain}
                    if self.generator.uses_warp
                    else {}
                ),
                **({"alphaBorder": self.generator.alpha_border} if self.generator.alpha_border else {}),
                **({"encoderSkips": True} if self.generator.encoder_skips else {}),
                **({"flow": True} if self.generator.flow else {}),
                **({"minChannels": self.generator.min_channels} if self.generator.min_channels is not None else {}),
                **({"maxChannels": self.generator.max_channels} if self.generator.max_channels is not None else {}),
            },
            "discriminator": {
                "downBlocks": self.discriminator.down_blocks,
                "extraBlocks": self.discriminator.extra_blocks,
                "attentionAfterBlock": self.discriminator.attention_after_block,
                "numVideos": self.discriminator.num_videos,
            },
            **({"mouth": self.mouth.to_json()} if self.mouth else {}),
        }


def mouth_net_config(config: NetConfig) -> NetConfig:
    """The mouth generator as a network config of its own (generator.input "mouth", encoder skips),
    from which plan.py builds it like G; E and D are the parent's (unused)."""
    m = config.mouth
    if m is None:
        raise ValueError(f"preset {config.name} has no mouth generator")
    return replace(
        config,
        name=f"{config.name}/mouth",
        resolution=m.resolution,
        min_channels=m.min_channels,
        max_channels=m.max_channels,
        generator=GeneratorConfig(
            m.down_blocks,
            m.bottleneck_blocks,
            None,
            None,
            MOUTH_INPUT,
            m.alpha_bias,
            m.alpha_lip_gain,
            m.alpha_border,
            True,
            False,
            m.alpha_lip_region,
        ),
        mouth=None,
    )


def channels_at(config: NetConfig, index: int) -> int:
    """Channels after down block `index` (0-based): min_channels * 2^index, capped at max_channels."""
    return min(config.min_channels * 2**index, config.max_channels)


def generator_channels_at(config: NetConfig, index: int) -> int:
    """G's channels after its down block `index`: channels_at with G's own range where it has one."""
    g = config.generator
    low = config.min_channels if g.min_channels is None else g.min_channels
    high = config.max_channels if g.max_channels is None else g.max_channels
    return min(low * 2**index, high)


def load_presets(path: Path = CONFIGS_PATH) -> Dict[str, Any]:
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def preset_names(path: Path = CONFIGS_PATH) -> List[str]:
    """Every preset of configs.json, in file order (the one list both twins derive from)."""
    return list(load_presets(path))


PRESET_NAMES = tuple(preset_names())


def load_preset(name: str, path: Path = CONFIGS_PATH) -> NetConfig:
    presets = load_presets(path)
    if name not in presets:
        raise ValueError(f'Unknown network preset "{name}" (known: {", ".join(presets)})')
    return validate_config({**presets[name], "name": name})


def _is_int(value: Any) -> bool:
    # JSON numbers like 2.0 are integers for JavaScript's Number.isInteger; booleans are not.
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def _as_object(value: Any, label: str, problems: List[str]) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    problems.append(f"{label} must be an object")
    return {}


def _positive_int(value: Any, label: str, problems: List[str]) -> None:
    if not _is_int(value) or value < 1:
        problems.append(f"{label} must be an integer ≥ 1")


def _non_negative_int(value: Any, label: str, problems: List[str]) -> None:
    if not _is_int(value) or value < 0:
        problems.append(f"{label} must be an integer ≥ 0")


def _block_index(value: Any, blocks: Any, label: str, problems: List[str]) -> None:
    if value is None:
        return
    if not _is_int(value) or value < 0 or not _is_int(blocks) or value >= blocks:
        problems.append(f"{label} must be null or a block index in [0, {blocks})")


def _finite(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _mouth_config(raw: Any, generator_input: str, problems: List[str]) -> Optional[MouthConfig]:
    """The optional "mouth" section, checked as config.ts validateMouth does (same messages)."""
    before = len(problems)
    if not isinstance(raw, Mapping):
        problems.append("mouth must be an object")
        return None
    m = raw
    if generator_input != "landmarks+warp":
        problems.append("mouth needs generator.input landmarks+warp")
    for key in ("resolution", "minChannels", "maxChannels", "downBlocks"):
        _positive_int(m.get(key), f"mouth.{key}", problems)
    _non_negative_int(m.get("bottleneckBlocks"), "mouth.bottleneckBlocks", problems)
    _non_negative_int(m.get("alphaBorder"), "mouth.alphaBorder", problems)
    if m.get("alphaLipRegion") is not None:
        _non_negative_int(m.get("alphaLipRegion"), "mouth.alphaLipRegion", problems)
    for key in ("alphaBias", "alphaLipGain"):
        if not _finite(m.get(key)):
            problems.append(f"mouth.{key} must be a finite number")
    if not _finite(m.get("pad")) or m.get("pad") < 0:
        problems.append("mouth.pad must be a finite number ≥ 0")
    ramp = m.get("openingRamp")
    if ramp is not None and not (
        isinstance(ramp, (list, tuple)) and len(ramp) == 2 and all(_finite(v) for v in ramp) and 0 <= ramp[0] < ramp[1]
    ):
        problems.append("mouth.openingRamp must be [lo, hi] with 0 ≤ lo < hi")
    if len(problems) > before:
        return None
    if m["resolution"] % 2 ** m["downBlocks"] != 0:
        problems.append(f"mouth.resolution {m['resolution']} is not divisible by 2^mouth.downBlocks")
    if m["minChannels"] > m["maxChannels"]:
        problems.append("mouth.minChannels exceeds mouth.maxChannels")
    if 2 * m["alphaBorder"] >= m["resolution"]:
        problems.append("mouth.alphaBorder must be less than half of mouth.resolution")
    return MouthConfig(
        int(m["resolution"]),
        int(m["minChannels"]),
        int(m["maxChannels"]),
        int(m["downBlocks"]),
        int(m["bottleneckBlocks"]),
        float(m["pad"]),
        float(m["alphaBias"]),
        float(m["alphaLipGain"]),
        int(m["alphaBorder"]),
        None if ramp is None else (float(ramp[0]), float(ramp[1])),
        _opt_int(m.get("alphaLipRegion")),
    )


def _opt_int(value: Any) -> Optional[int]:
    return None if value is None else int(value)


def validate_config(raw: Any) -> NetConfig:
    """Checks a parsed config object (camelCase, as in configs.json) and returns it typed.

    Raises ValueError listing every problem found, like validateConfig in config.ts.
    """
    problems: List[str] = []
    obj = _as_object(raw, "config", problems)
    _positive_int(obj.get("resolution"), "resolution", problems)
    _positive_int(obj.get("minChannels"), "minChannels", problems)
    _positive_int(obj.get("maxChannels"), "maxChannels", problems)
    _positive_int(obj.get("embedDim"), "embedDim", problems)
    if not isinstance(obj.get("name"), str):
        problems.append("name must be a string")
    if not isinstance(obj.get("description"), str):
        problems.append("description must be a string")
    e = _as_object(obj.get("embedder"), "embedder", problems)
    g = _as_object(obj.get("generator"), "generator", problems)
    d = _as_object(obj.get("discriminator"), "discriminator", problems)
    _positive_int(e.get("downBlocks"), "embedder.downBlocks", problems)
    _positive_int(g.get("downBlocks"), "generator.downBlocks", problems)
    _non_negative_int(g.get("bottleneckBlocks"), "generator.bottleneckBlocks", problems)
    _positive_int(d.get("downBlocks"), "discriminator.downBlocks", problems)
    _non_negative_int(d.get("extraBlocks"), "discriminator.extraBlocks", problems)
    _non_negative_int(d.get("numVideos"), "discriminator.numVideos", problems)
    # A missing key is undefined in JS, which is neither null nor an index: report it.
    _block_index(e.get("attentionAfterBlock", "missing"), e.get("downBlocks"), "embedder.attentionAfterBlock", problems)
    _block_index(g.get("attentionAfterDownBlock", "missing"), g.get("downBlocks"), "generator.attentionAfterDownBlock", problems)
    _block_index(g.get("attentionAfterUpBlock", "missing"), g.get("downBlocks"), "generator.attentionAfterUpBlock", problems)
    _block_index(d.get("attentionAfterBlock", "missing"), d.get("downBlocks"), "discriminator.attentionAfterBlock", problems)
    generator_input = g.get("input", "landmarks")
    if generator_input not in GENERATOR_INPUTS:
        problems.append(f"generator.input must be one of {', '.join(GENERATOR_INPUTS)}")
    elif generator_input == "landmarks+warp":
        bias = g.get("alphaBias")
        if isinstance(bias, bool) or not isinstance(bias, (int, float)) or not math.isfinite(bias):
            problems.append("generator.alphaBias must be a finite number when generator.input is landmarks+warp")
        gain = g.get("alphaMaskGain", 0)
        if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not math.isfinite(gain):
            problems.append("generator.alphaMaskGain must be a finite number")
    border = g.get("alphaBorder", 0)
    if isinstance(border, bool) or not isinstance(border, (int, float)) or border != int(border) or border < 0:
        problems.append("generator.alphaBorder must be an integer ≥ 0")
    elif border > 0 and generator_input != "landmarks+warp":
        problems.append("generator.alphaBorder needs generator.input landmarks+warp")
    skips = g.get("encoderSkips", False)
    if not isinstance(skips, bool):
        problems.append("generator.encoderSkips must be true or false")
    elif skips and generator_input != "landmarks+warp":
        problems.append("generator.encoderSkips needs generator.input landmarks+warp")
    flow = g.get("flow", False)
    if not isinstance(flow, bool):
        problems.append("generator.flow must be true or false")
    elif flow and generator_input != "landmarks+warp":
        problems.append("generator.flow needs generator.input landmarks+warp")
    for key in ("minChannels", "maxChannels"):
        if key in g:
            _positive_int(g[key], f"generator.{key}", problems)
    mouth = _mouth_config(obj["mouth"], generator_input, problems) if "mouth" in obj else None
    if problems:
        raise ValueError(f"Invalid network config: {'; '.join(problems)}")

    config = NetConfig(
        name=obj["name"],
        description=obj["description"],
        resolution=int(obj["resolution"]),
        min_channels=int(obj["minChannels"]),
        max_channels=int(obj["maxChannels"]),
        embed_dim=int(obj["embedDim"]),
        embedder=EmbedderConfig(int(e["downBlocks"]), _opt_int(e["attentionAfterBlock"])),
        generator=GeneratorConfig(
            int(g["downBlocks"]),
            int(g["bottleneckBlocks"]),
            _opt_int(g["attentionAfterDownBlock"]),
            _opt_int(g["attentionAfterUpBlock"]),
            generator_input,
            float(g.get("alphaBias", 0.0)) if generator_input == "landmarks+warp" else 0.0,
            float(g.get("alphaMaskGain", 0.0)) if generator_input == "landmarks+warp" else 0.0,
            int(g.get("alphaBorder", 0)) if generator_input == "landmarks+warp" else 0,
            bool(g.get("encoderSkips", False)),
            bool(g.get("flow", False)),
            None,
            _opt_int(g.get("minChannels")),
            _opt_int(g.get("maxChannels")),
        ),
        discriminator=DiscriminatorConfig(
            int(d["downBlocks"]), int(d["extraBlocks"]), _opt_int(d["attentionAfterBlock"]), int(d["numVideos"])
        ),
        mouth=mouth,
    )
    if config.min_channels > config.max_channels:
        problems.append("minChannels exceeds maxChannels")
    g_min, g_max = config.generator.min_channels, config.generator.max_channels
    if (config.min_channels if g_min is None else g_min) > (config.max_channels if g_max is None else g_max):
        problems.append("generator.minChannels exceeds generator.maxChannels")
    for label, blocks in (
        ("embedder", config.embedder.down_blocks),
        ("generator", config.generator.down_blocks),
        ("discriminator", config.discriminator.down_blocks),
    ):
        if config.resolution % 2**blocks != 0:
            problems.append(f"resolution {config.resolution} is not divisible by 2^{label}.downBlocks")
    # ê is E's and V's sum-pooled last feature map, so N must equal their last channel count.
    for label, blocks in (("embedder", config.embedder.down_blocks), ("discriminator", config.discriminator.down_blocks)):
        last = channels_at(config, blocks - 1)
        if last != config.embed_dim:
            problems.append(f"embedDim {config.embed_dim} differs from the {label}'s last channels {last}")
    if problems:
        raise ValueError(f"Invalid network config: {'; '.join(problems)}")
    return config
