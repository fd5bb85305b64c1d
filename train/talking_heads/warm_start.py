"""Never start over: begin a run from earlier weights instead of from random ones.

`warm_start(trainer, path)` copies E, G (with P) and D from exported weights (a manifest) or a
checkpoint into a fresh trainer; its optimisers start fresh. Tensors of the same name and shape are
copied. Where the new preset grew, the new part starts as a no-op, so the warm-started network
computes what the old one did:

- G's first convolutions (down0 conv1 and skip) that read more input channels (the warp-guided G's
  warped source and mask) get the old kernel on the old channels and zeros on the new ones. Zero
  columns leave a kernel's singular values, and so its spectral-norm σ and u, unchanged.
- The warp-guided output head (plain conv, zero-initialised) stays at zero: the warm-started G
  returns the warp exactly, and learns from there. So do encoder skips' lateral convs (warp64 →
  warp64s): zero, so the warm-started G computes what the old one did. A head that gained output
  channels (generator.flow: warp64s → warp64sf) keeps the old ones and gets zeros on the new: flow 0.
- A mouth generator (config.mouth) the old weights lack starts fresh, its head at zero: no-op.
- A narrowed G or mouth generator (fewer channels, fewer bottleneck blocks: warp64sm32 → warp64sm32n,
  warp64sm32n → warp64nsm32n) keeps the leading channels of every tensor it still has (its projection,
  P or P_m: the columns of each AdaIN layer's leading scales and biases, matched by layer name). Not a
  no-op: the narrowed network starts from trained filters instead of random ones (`mouth32n-a`
  matched `mouth32-b`'s held-out numbers within 5,000 steps; a fresh start was not measured against it).
- D's per-video matrix W belongs to the data set and stays freshly initialised.

Lineage: every run records the runs its weights descend from (cumulative steps, samples and
hours), read from the weights' meta "lineage"; model_card.py prints the total.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from .checkpoint import load_networks
from .config import REPO_ROOT, NetConfig
from .plan import BLEND_OUTPUT_CHANNELS, MOUTH_PREFIX, adain_slots, generator_plan, mouth_plan
from .weights_io import WeightsError, load_named_into, network_to_named

SHIPPED_WEIGHTS = REPO_ROOT / "public" / "weights"


def default_warm_start(config) -> Path:
    """The shipped weights of the same generator kind (warp-guided or paper): where a new run starts."""
    return SHIPPED_WEIGHTS / ("warp" if config.generator.uses_warp else "paper") / "manifest.json"


def psi_columns(old: NetConfig, new: NetConfig, prefix: str = "generator") -> np.ndarray | None:
    """For each entry of the new ψ (G's; with prefix MOUTH_PREFIX the mouth generator's ψ_m), the old
    ψ's entry it keeps (the same AdaIN layer's leading scales, then its leading biases), or None when a
    layer is missing or grew."""
    plan = mouth_plan if prefix == MOUTH_PREFIX else generator_plan
    old_plan, new_plan = plan(old), plan(new)
    if old_plan is None or new_plan is None:
        return None
    old_slots = {slot.name: slot for slot in adain_slots(old_plan)}
    columns: List[int] = []
    for slot in adain_slots(new_plan):
        kept = old_slots.get(slot.name)
        if kept is None or kept.channels < slot.channels:
            return None
        columns += range(kept.offset, kept.offset + slot.channels)
        columns += range(kept.offset + kept.channels, kept.offset + kept.channels + slot.channels)
    return np.asarray(columns)


def projection_columns(old: NetConfig, new: NetConfig) -> Dict[str, np.ndarray]:
    """psi_columns of P and P_m, by their tensors' name prefix (what _adapt takes)."""
    found = {prefix: psi_columns(old, new, prefix) for prefix in ("generator", MOUTH_PREFIX)}
    return {f"{prefix}/projection/": kept for prefix, kept in found.items() if kept is not None}


def _narrow(name: str, old: np.ndarray, new_shape: tuple, columns: Dict[str, np.ndarray]) -> np.ndarray | None:
    """A narrowed generator's tensor: the leading channels of the old one (see the header)."""
    if not name.startswith("generator/") or old.ndim != len(new_shape):
        return None
    for projection, kept in columns.items():
        if name.startswith(projection):
            if len(kept) != new_shape[-1] or old.shape[:-1] != new_shape[:-1]:
                return None
            return np.ascontiguousarray(old[..., kept])
    if "/projection/" in name or any(n > o for n, o in zip(new_shape, old.shape)):
        return None
    if "/output/" in name and new_shape[-1] != old.shape[-1]:
        return None  # the head's outputs (Δ, α, the flow) are not channels that narrow
    return np.ascontiguousarray(old[tuple(slice(0, n) for n in new_shape)])


def _adapt(name: str, old: np.ndarray, new_shape: tuple, columns: Dict[str, np.ndarray] | None = None) -> np.ndarray | None:
    """old (TS layout) fitted into new_shape, or None when it cannot be. `columns`
    (projection_columns) lets a narrowed generator keep its projections' columns."""
    if old.shape == new_shape:
        return old
    narrowed = _narrow(name, old, new_shape, columns or {})
    if narrowed is not None:
        return narrowed
    # HWIO kernel that gained input channels: zeros on the new ones.
    if (
        old.ndim == 4
        and len(new_shape) == 4
        and old.shape[:2] == new_shape[:2]
        and old.shape[3] == new_shape[3]
        and old.shape[2] < new_shape[2]
    ):
        grown = np.zeros(new_shape, np.float32)
        grown[:, :, : old.shape[2], :] = old
        return grown
    # A warp-guided head (Δ and α: BLEND_OUTPUT_CHANNELS) that gained output channels (generator.flow):
    # zeros on the new ones (its kernel's last axis, its bias), so the flow starts at 0. The paper's
    # RGB head (3 channels, another layer) is not grown: the warp-guided head starts at zero instead.
    if (
        name.startswith("generator/output/")
        and old.ndim == len(new_shape)
        and old.shape[:-1] == new_shape[:-1]
        and BLEND_OUTPUT_CHANNELS <= old.shape[-1] < new_shape[-1]
    ):
        grown = np.zeros(new_shape, np.float32)
        grown[..., : old.shape[-1]] = old
        return grown
    return None


def lineage_of(preset: str, meta: Dict[str, Any], extra: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The runs behind a set of weights: meta["lineage"] (exported weights list every run), or a
    checkpoint's parents plus the checkpoint's own run."""
    if "trainer" in extra:
        from .export_weights import run_lineage

        return run_lineage(preset, extra)
    if isinstance(meta.get("lineage"), list):
        return list(meta["lineage"])
    return [{"run": meta.get("source", "unknown"), "steps": meta.get("steps"), "samples": None, "hours": None}]


def curve_of(meta: Dict[str, Any], extra: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The held-out learning curve behind a set of weights, which travels with the lineage:
    meta["curve"] (exported weights carry every point), or a checkpoint's parents' points plus its run's."""
    if "trainer" in extra:
        from .export_weights import run_curve

        return run_curve(extra)
    return list(meta.get("curve", []))


def warm_start(trainer, path: str | Path) -> Dict[str, Any]:
    """Loads `path` into the trainer's networks; returns {"lineage": [...], "warm_start": str(path), "curve": [...]}."""
    old_config, e_old, g_old, d_old, extra = load_networks(path, average=True)
    meta = dict(extra.get("meta", {}))
    columns = projection_columns(old_config, trainer.config)
    for prefix, old, new in (
        ("embedder", e_old, trainer.embedder),
        ("generator", g_old, trainer.generator),
        ("discriminator", d_old, trainer.discriminator),
    ):
        named_old = network_to_named(prefix, old)
        named_new = network_to_named(prefix, new)
        fitted: Dict[str, np.ndarray] = {}
        skipped: List[str] = []
        for name, target in named_new.items():
            if name not in named_old:
                skipped.append(name)
                continue
            value = _adapt(name, named_old[name], target.shape, columns)
            if value is None:
                skipped.append(name)
            else:
                fitted[name] = value
        allowed = {"discriminator/embedding", "generator/output/conv/kernel", "generator/output/conv/bias"}
        # Encoder skips (generator.encoderSkips) start at zero, as the output head does.
        allowed |= {name for name in skipped if "/lateral/" in name}
        # A mouth generator (config.mouth) the old weights lack starts fresh: its head is zero, so the
        # warm-started frame is the old one.
        allowed |= {name for name in skipped if name.startswith(f"{MOUTH_PREFIX}/")}
        if set(skipped) - allowed:
            raise WeightsError(f"warm start from {path}: cannot fit {sorted(set(skipped) - allowed)}")
        load_named_into(prefix, new, fitted, strict=False)
    try:
        shown = str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        shown = str(path)
    return {"lineage": lineage_of(old_config.name, meta, extra), "warm_start": shown, "curve": curve_of(meta, extra)}
