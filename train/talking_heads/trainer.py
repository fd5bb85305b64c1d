"""Meta-learning of E, G and D (paper §3.2), one compact loop.

Per step: an episode batch; ê_i = mean_k E(x_i(s_k), y_i(s_k)); ψ̂ = P ê; x̂ = G(y_i(t), ψ̂);
E and G minimise L_CNT + L_ADV (−r̂ + 10·L_FM) (+ L_MCH in the FT variant), D minimises the hinge
loss on r(x_i(t)) and r(x̂). Spectral-norm u vectors advance once per optimiser step of their
network, as in the TS fine-tuner.

Collapse guards: every log step prints output mean/std and D's scores; a non-finite loss stops the
run and leaves the last good checkpoint in place.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from .background import background_l1, face_oval_mask
from .config import NetConfig
from .ema import WeightAverage
from .episodes import Episode, EpisodeSampler, jitter_colour
from .nets import GeneratorInputs, GeneratorOutput, build_networks, compose
from . import synthetic_pair
from .spectral_norm import power_iterate
from .image_metrics import ssim, weighted_ssim
from .mouth import MOUTH_CROP_SIZE, mouth_crops, mouth_l1, mouth_mask
from .padding import ignore_padding
from .warp import AssignmentCache, grid_from_assignment, nearest_source, sample, warp


@dataclass
class TrainOptions:
    batch: int = 8
    k: int = 8
    lr_g: float = 5e-5  # E and G (paper)
    lr_d: float = 2e-4  # D (paper)
    betas: tuple = (0.0, 0.999)
    # E and G's Adam betas (None: `betas`). Momentum (β1 0.5) averages the noisy gradients a
    # zero-initialised warp-guided head gets; without it the head random-walks (measured: |w| ≈ lr·√steps).
    betas_g: Optional[tuple] = None
    # Learning-rate multiplier of the warp-guided output head (zero-initialised, so it starts far from
    # where it must go while the warm-started trunk is already close).
    head_lr_scale: float = 1.0
    d_steps: int = 1
    fm_weight: float = 10.0
    adv_weight: float = 1.0
    # Paper: 80 for L_MCH in meta-learning of the FT model; the lab's later code uses a small weight
    # with the target detached. 0 gives the FF variant.
    match_weight: float = 0.0
    match_detach_target: bool = False
    # Not in the paper: a pixel L1 term. With compute budgets far below the paper's it gets G
    # out of the noise regime in hundreds instead of tens of thousands of steps.
    l1_weight: float = 0.0
    content_weight: float = 1.0
    # Not in the paper: (1 − SSIM) of the frame, on luma (image_metrics.ssim, the evaluation's SSIM).
    # A warp is already sharp and in place; this rewards the local structure a residual must keep.
    ssim_weight: float = 0.0
    # L1 inside the mouth's opening (mouth.py mouth_mask) on top of the frame's L1 (not in the paper).
    mouth_weight: float = 0.0
    # The content loss (the same networks) on a square crop around the mouth (mouth.py mouth_crops, 64
    # px), so the mouth's texture (teeth, the dark gap) counts, not only its mean colour (not in the paper).
    mouth_content_weight: float = 0.0
    # Take the target's padding bands (padding.py: black where its crop reached past the video's
    # edge) out of the reconstruction losses (not in the paper).
    ignore_target_padding: bool = False
    # Warp-guided G: keeps the batch's mean blend mask ᾱ inside [alpha_min, alpha_max] (a hinge, so
    # it does nothing in between): neither all warp (G unused) nor all generated (the photo unused).
    alpha_guard_weight: float = 1.0
    alpha_min: float = 0.01
    alpha_max: float = 0.6
    bf16: bool = True  # autocast on CUDA, and on CPUs with native bfloat16 (AVX-512 BF16 / AMX)
    variant: str = "ff"
    # "mouth": only the mouth generator (config.mouth) learns; E, G and D stay as loaded, and neither
    # their backward pass nor D's step runs. "face": the reverse, everything but the mouth generator
    # learns (a G learning around a mouth generator kept as loaded, e.g. the shipped one after a warm
    # start narrowed G). "": everything learns.
    train_only: str = ""
    # Warp-guided G with a teacher (MetaTrainer's `teacher`: another warp-guided E and G, frozen, e.g.
    # the shipped wider G): L1 between G's residual α·Δ and the teacher's on the same episode, a dense
    # target that carries what the teacher learned into a narrower G (not in the paper).
    distill_weight: float = 0.0
    # Warp-guided G: L1 on α·Δ outside the face oval where the warp is valid (background.py), so G
    # leaves a background the warp already shows alone (not in the paper).
    background_weight: float = 0.0
    # 1 − SSIM inside the target's face oval (image_metrics.weighted_ssim, background.py's oval) on the
    # shown frame, on top of the frame's SSIM: the face is a third of the frame, and where G's gains over
    # the warp were all off it (not in the paper).
    face_ssim_weight: float = 0.0
    # Decay of a moving average of E and G's weights (ema.py), kept beside them; 0: none.
    ema: float = 0.0


def cpu_has_bf16() -> bool:
    """AVX-512 BF16 or AMX: where bfloat16 autocast on the CPU is 3-4x faster than float32."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


@dataclass
class StepStats:
    step: int
    loss_g: float
    loss_d: float
    terms: Dict[str, float] = field(default_factory=dict)
    fake_mean: float = 0.0
    fake_std: float = 0.0
    r_real: float = 0.0
    r_fake: float = 0.0
    alpha_mean: float = float("nan")


class MetaTrainer:
    def __init__(
        self,
        config: NetConfig,
        sampler: EpisodeSampler,
        options: TrainOptions,
        content_loss: Optional[Callable[[Tensor, Tensor], Tensor]] = None,
        teacher: Optional[Tuple[nn.Module, nn.Module]] = None,
    ) -> None:
        self.options = options
        self.sampler = sampler
        self.device = sampler.device
        self.config = config.with_num_videos(sampler.num_videos)
        self.embedder, self.generator, self.discriminator = (
            net.to(self.device).to(memory_format=torch.channels_last) for net in build_networks(self.config)
        )
        self.content_loss = content_loss
        self.teacher = None
        if options.distill_weight > 0:
            if teacher is None:
                raise ValueError("distill_weight > 0 needs a teacher (an embedder and a warp-guided generator)")
            t_config = teacher[1].config
            if not (self.config.generator.uses_warp and t_config.generator.uses_warp) or t_config.resolution != self.config.resolution:
                raise ValueError(f"a teacher must be a warp-guided G at {self.config.resolution} px, as the student ({t_config.name})")
            for net in teacher:
                net.to(self.device).to(memory_format=torch.channels_last).eval().requires_grad_(False)
            self.teacher = teacher
        betas = tuple(options.betas)
        mouth = self.generator.mouth
        if options.train_only not in ("", "mouth", "face"):
            raise ValueError(f"train_only must be '', 'mouth' or 'face', got {options.train_only!r}")
        if options.train_only:
            if mouth is None:
                raise ValueError(f"train_only {options.train_only}: preset {self.config.name} has no mouth generator")
            in_mouth = {id(p) for p in mouth.parameters()}
            for net in (self.embedder, self.generator):  # with "mouth", D is not stepped (train_step)
                for p in net.parameters():
                    p.requires_grad_((id(p) in in_mouth) == (options.train_only == "mouth"))
        # The zero-initialised output heads (G's and the mouth's) learn at head_lr_scale × lr_g.
        heads = [g.output for g in (self.generator, mouth) if g is not None and g.config.generator.blends]
        head = {id(p) for h in heads for p in h.parameters() if p.requires_grad}
        trunk = [p for n in (self.embedder, self.generator) for p in n.parameters() if p.requires_grad and id(p) not in head]
        groups = [{"params": trunk}]
        if head:
            groups.append(
                {"params": [p for h in heads for p in h.parameters() if p.requires_grad], "lr": options.lr_g * options.head_lr_scale}
            )
        self.opt_g = torch.optim.Adam(groups, lr=options.lr_g, betas=tuple(options.betas_g) if options.betas_g else betas)
        # W receives gradients from L_MCH in the E/G step too, but is owned by D's optimiser.
        self.opt_d = torch.optim.Adam([p for p in self.discriminator.parameters() if p.requires_grad], lr=options.lr_d, betas=betas)
        self.step = 0
        self.ema = WeightAverage({"embedder": self.embedder, "generator": self.generator}, options.ema) if options.ema > 0 else None
        self.use_autocast = options.bf16 and (self.device.type == "cuda" or (self.device.type == "cpu" and cpu_has_bf16()))
        self.uses_warp = self.config.generator.uses_warp
        if self.uses_warp and sampler.points is None:
            raise ValueError("a warp-guided generator needs the sampler's landmarks (points=...)")
        # The warp's pixel → triangle search depends on the target alone: done once per target frame.
        self.warp_cache = AssignmentCache(self.config.resolution) if self.uses_warp else None
        # With a display twin (display_data.py) the reconstruction losses judge the frame the app shows.
        self.display_size = 0 if sampler.display_crops is None or not self.uses_warp else int(sampler.display_crops.shape[1])
        self.display_cache = AssignmentCache(self.display_size, limit=12000) if self.display_size else None
        # Data parallel across processes (torchrun): same initial weights everywhere, gradients
        # averaged before every optimiser step, so all replicas stay identical (u vectors included:
        # power iteration is a deterministic function of the identical weights).
        self.world = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
        if self.world > 1:
            for net in (self.embedder, self.generator, self.discriminator):
                for tensor in list(net.parameters()) + list(net.buffers()):
                    dist.broadcast(tensor.data, src=0)

    def _average_gradients(self, optimizer: torch.optim.Optimizer) -> None:
        if self.world == 1:
            return
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)  # every rank must join every all-reduce
                dist.all_reduce(p.grad)
                p.grad.div_(self.world)

    # ---- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "step": self.step,
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "sampler": self.sampler.state_dict(),
            "options": asdict(self.options),
        } | ({"ema": self.ema.state_dict()} if self.ema is not None else {})

    def load_state_dict(self, state: dict) -> None:
        self.step = int(state["step"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.sampler.load_state_dict(state["sampler"])
        if self.ema is not None and state.get("ema"):
            self.ema.load_state_dict(state["ema"])  # a run that had none starts its average at the next step

    # ---- one step ----------------------------------------------------------------------------
    def _autocast(self):
        if self.use_autocast:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return torch.autocast(device_type="cpu", enabled=False)

    def generator_inputs(self, ep: Episode) -> GeneratorInputs:
        """G's inputs for an episode: the target's landmark image and, warp-guided, the source frame
        nearest the target's pose warped onto the target's landmarks (computed on the fly)."""
        return self._inputs_and_pick(ep)[0]

    def _inputs_and_pick(self, ep: Episode) -> Tuple[GeneratorInputs, Optional[Tensor]]:
        if not self.uses_warp:
            return GeneratorInputs(ep.target_landmarks), None
        with torch.no_grad():
            pick = nearest_source(ep.source_points, ep.target_points)
            assignment = self.warp_cache(ep.target_index, ep.target_points) if ep.target_index is not None else None
            warped, mask = warp(*self.warp_source(ep, pick), ep.target_points, assignment)
        inputs = GeneratorInputs(
            ep.target_landmarks,
            warped.contiguous(memory_format=torch.channels_last),
            mask.contiguous(memory_format=torch.channels_last),
        )
        return inputs, pick

    def display_frame(self, ep: Episode, out: GeneratorOutput, pick: Tensor) -> Tuple[Tensor, Tensor]:
        """(frame, target) at the display twin's size: the picked source's twin warped onto the
        target's twin landmarks (moved by G's flow, in one sampling), plus G's α and Δ upsampled, as
        the app composes what it shows."""
        s = self.sampler
        with torch.no_grad():
            target_points = s.display_points[ep.target_index]
            assignment = self.display_cache(ep.target_index, target_points)
            target = jitter_colour(s.display(ep.target_index).float(), ep.colour)
            image, points = self.warp_source(ep, pick, display=target)
            position, _ = grid_from_assignment(points, assignment, image.shape[-1])
            warped = sample(image, position)
        return compose(warped, out, image, position), target

    def warp_source(self, ep: Episode, pick: Tensor, display: Optional[Tensor] = None, points_only: bool = False) -> Tuple[Tensor, Tensor]:
        """(image [B, 3, S, S] float, landmarks [B, 478, 2]) of the photo G's warp starts from: the K
        frames' `pick`, or in an embedder-only episode's rows the target itself moved by ep.moved
        (synthetic_pair.py). `display`: the target's display twin (its colour changed as the episode's),
        to take the display twins instead. `points_only`: the moved target's image is not made (the
        image returned is then the K frames' for every row)."""
        s = self.sampler
        rows = torch.arange(pick.shape[0], device=pick.device)
        if display is None:
            image, points = ep.frames[rows, pick].float(), ep.source_points[rows, pick]
            target, target_points = ep.target.float(), ep.target_points
        else:
            source = ep.source_index[rows, pick]
            image, points = jitter_colour(s.display(source).float(), ep.colour), s.display_points[source]
            target, target_points = display, s.display_points[ep.target_index]
        if ep.synthetic is None:
            return image, points
        moved_points = synthetic_pair.move_points(target_points, ep.moved, target.shape[-1]).to(points.dtype)
        points = torch.where(ep.synthetic[:, None, None], moved_points, points)
        if not points_only:
            image = torch.where(ep.synthetic[:, None, None, None], synthetic_pair.move_image(target, ep.moved), image)
        return image, points

    def _shown_points(self, ep: Episode) -> Tensor:
        """The target's landmarks in the shown frame's pixels (the display twin's when there is one)."""
        return self.sampler.display_points[ep.target_index] if self.display_size else ep.target_points

    def refine_mouth(self, ep: Episode, e_hat: Tensor, shown: Tensor, pick: Optional[Tensor]) -> Tuple[Tensor, Optional[GeneratorOutput]]:
        """(shown frame, mouth output): with config.mouth, the mouth generator's α·Δ pasted into the
        shown frame around the target's mouth (ψ_m = P_m ê; gated against the picked source's
        mouth), as the app does; else unchanged. `pick` (the warped source per row) is None only for
        the paper's G, which has no mouth generator (config validation pairs one with a warp-guided G)."""
        mouth = self.generator.mouth
        if mouth is None:
            return shown, None
        if pick is None:
            raise ValueError("a mouth generator needs the warped source's index (pick): config.mouth requires a warp-guided G")
        source_points = self.warp_source(ep, pick, points_only=True)[1]
        with self._autocast():
            frame, out = mouth.refine(mouth.psi_from_embedding(e_hat), shown, self._shown_points(ep), source_points)
        return frame.float(), out

    def _projection(self, video: Tensor) -> Tensor:
        # W_i + w0 gathered on the device (video_projection takes Python ints: a host sync).
        d = self.discriminator
        return d.embedding.index_select(1, video).t() + d.w0

    def _embed(self, ep: Episode, embedder: Optional[nn.Module] = None) -> Tensor:
        b, k = ep.frames.shape[:2]
        s = ep.frames.shape[-1]
        per_frame = (embedder or self.embedder)(
            ep.frames.reshape(b * k, 3, s, s).contiguous(memory_format=torch.channels_last),
            ep.landmarks.reshape(b * k, 3, s, s).contiguous(memory_format=torch.channels_last),
        )
        return per_frame.reshape(b, k, -1).mean(dim=1)

    def _distill(self, ep: Episode, inputs: GeneratorInputs, out: GeneratorOutput) -> Tensor:
        """L1 between G's residual α·Δ and the teacher's (its own E and P over the same sources, its G
        on the same inputs), at G's resolution."""
        embedder, generator = self.teacher
        with torch.no_grad(), self._autocast():
            taught = generator.render(generator.psi_from_embedding(self._embed(ep, embedder)), inputs)
        return F.l1_loss((out.alpha * out.delta).float(), (taught.alpha * taught.delta).float())

    def train_step(self, log: bool = False) -> Optional[StepStats]:
        o = self.options
        ep = self.sampler.sample(o.batch)
        for net in (self.embedder, self.generator, self.discriminator):
            net.train()

        # E and G step.
        # The frozen networks' u vectors stay as loaded.
        if o.train_only == "mouth":
            power_iterate(self.generator.mouth)
        else:
            power_iterate(self.embedder)
            for name, child in self.generator.named_children():
                if not (o.train_only == "face" and name == "mouth"):
                    power_iterate(child)
        # Without the adversarial and feature-matching terms (a reconstruction-only phase) D neither
        # steers G nor learns: its forward passes and its update are skipped.
        uses_d = o.adv_weight > 0 or o.fm_weight > 0
        terms: Dict[str, Tensor] = {}
        with self._autocast():
            e_hat = self._embed(ep)
            psi = self.generator.psi_from_embedding(e_hat)
            inputs, pick = self._inputs_and_pick(ep)
            out: GeneratorOutput = self.generator.render(psi, inputs)
            fake = out.frame.float()
            if o.background_weight > 0 and out.alpha is not None and ep.target_points is not None:
                terms["bg"] = background_l1(out.alpha, out.delta, inputs.mask, ep.target_points) * o.background_weight
            if self.teacher is not None:
                terms["distill"] = self._distill(ep, inputs, out) * o.distill_weight
            if uses_d:
                # Detached: D's scores steer E and G here, not W or w0 (they belong to D's update).
                projection = self._projection(ep.video).detach()
                with torch.no_grad():
                    real_out = self.discriminator(ep.target, ep.target_landmarks, projection)
                fake_out = self.discriminator(fake, ep.target_landmarks, projection)
                terms["adv"] = -fake_out.realism.float().mean() * o.adv_weight
                terms["fm"] = sum(F.l1_loss(f.float(), r.float()) for f, r in zip(fake_out.features, real_out.features)) * o.fm_weight
        # D judges G's own frame; the reconstruction terms judge the shown one (the display twin's).
        shown, real = self.display_frame(ep, out, pick) if self.display_size else (fake, ep.target.float())
        shown, mouth_out = self.refine_mouth(ep, e_hat, shown, pick)
        if o.ignore_target_padding:
            real = ignore_padding(shown, real)
        if self.content_loss is not None and o.content_weight > 0:
            # The frozen perceptual networks run in bf16 where the step does (they were half of a CPU
            # step in fp32); their activations' L1 is taken in fp32 (perceptual.weighted_l1_sum).
            with self._autocast():
                terms["cnt"] = self.content_loss(shown, real).float() * o.content_weight
        if o.l1_weight > 0:
            terms["l1"] = F.l1_loss(shown, real) * o.l1_weight
        if o.ssim_weight > 0:
            terms["ssim"] = (1.0 - ssim(shown, real)).mean() * o.ssim_weight
        if o.face_ssim_weight > 0 and ep.target_points is not None:
            oval = face_oval_mask(self._shown_points(ep), shown.shape[-1])
            terms["face"] = (1.0 - weighted_ssim(shown, real, oval)).mean() * o.face_ssim_weight
        if o.mouth_weight > 0 and ep.target_points is not None:
            points = self._shown_points(ep)
            terms["mouth"] = mouth_l1(shown, real, mouth_mask(points, shown.shape[-1])) * o.mouth_weight
        if o.mouth_content_weight > 0 and self.content_loss is not None and ep.target_points is not None:
            points = self._shown_points(ep)
            with self._autocast():
                fake_mouth, real_mouth = (mouth_crops(x, points, MOUTH_CROP_SIZE) for x in (shown, real))
                terms["mcnt"] = self.content_loss(fake_mouth, real_mouth).float() * o.mouth_content_weight
        if mouth_out is not None and self.options.train_only == "mouth":
            out = mouth_out  # the α guard and the logged ᾱ are the mouth's
        if out.alpha is not None:
            alpha_mean = out.alpha.mean()
            if o.alpha_guard_weight > 0:
                terms["alpha"] = (F.relu(o.alpha_min - alpha_mean) + F.relu(alpha_mean - o.alpha_max)) * o.alpha_guard_weight
        if o.match_weight > 0:
            w_i = self.discriminator.embedding.t()[ep.video]
            terms["mch"] = F.l1_loss(e_hat.float(), w_i.detach() if o.match_detach_target else w_i) * o.match_weight
        loss_g = torch.stack([t.float() for t in terms.values()]).sum()
        self.opt_g.zero_grad(set_to_none=True)
        self.opt_d.zero_grad(set_to_none=True)
        loss_g.backward()
        self._average_gradients(self.opt_g)
        self.opt_g.step()
        if self.ema is not None:
            self.ema.update()
        # The G loss also left gradients in V; only W's (from L_MCH) is kept, for D's next update.
        for p in self.discriminator.parameters():
            if p is not getattr(self.discriminator, "embedding", None):
                p.grad = None

        # D step(s): hinge on the real target and the (detached) generated frame.
        fake_d = fake.detach()
        loss_d, r_real, r_fake = torch.zeros(()), torch.tensor(float("nan")), torch.tensor(float("nan"))
        for _ in range(o.d_steps if uses_d and o.train_only != "mouth" else 0):
            power_iterate(self.discriminator)
            with self._autocast():
                projection = self._projection(ep.video)
                r_real = self.discriminator(ep.target, ep.target_landmarks, projection).realism.float()
                r_fake = self.discriminator(fake_d, ep.target_landmarks, projection).realism.float()
                loss_d = F.relu(1.0 - r_real).mean() + F.relu(1.0 + r_fake).mean()
            loss_d.backward()
            self._average_gradients(self.opt_d)
            self.opt_d.step()
            self.opt_d.zero_grad(set_to_none=True)
        self.step += 1

        if not log:
            return None
        # The only host sync of a step, on log steps only.
        alpha_value = out.alpha.detach().float().mean() if out.alpha is not None else torch.tensor(float("nan"))
        values = (
            torch.stack(
                [loss_g.detach(), loss_d.detach(), fake_d.mean(), fake_d.std(), r_real.detach().mean(), r_fake.detach().mean(), alpha_value]
                + [t.detach().float() for t in terms.values()]
            )
            .cpu()
            .tolist()
        )
        return StepStats(
            step=self.step,
            loss_g=values[0],
            loss_d=values[1],
            fake_mean=values[2],
            fake_std=values[3],
            r_real=values[4],
            r_fake=values[5],
            alpha_mean=values[6],
            terms=dict(zip(terms.keys(), values[7:])),
        )

    @torch.no_grad()
    def samples(self, batch: int = 4) -> Dict[str, Tensor]:
        """An episode's source frame, driver landmarks, (warp,) output and ground truth, in [-1, 1]."""
        for net in (self.embedder, self.generator):
            net.eval()
        ep = self.sampler.sample(batch)
        inputs = self.generator_inputs(ep)
        with self._autocast():
            fake = self.generator(self.generator.psi_from_embedding(self._embed(ep)), inputs).float()
        out = {"source": ep.frames[:, 0], "landmarks": ep.target_landmarks}
        if inputs.warped is not None:
            out["warp"] = inputs.warped
        return out | {"output": fake, "target": ep.target}


def is_finite(stats: StepStats) -> bool:
    return all(math.isfinite(v) for v in [stats.loss_g, stats.loss_d, *stats.terms.values()])


def format_stats(stats: StepStats, started: float, samples_seen: int) -> str:
    elapsed = time.time() - started
    terms = " ".join(f"{k}={v:.4f}" for k, v in stats.terms.items())
    return (
        f"step {stats.step} lossG={stats.loss_g:.4f} lossD={stats.loss_d:.4f} {terms} "
        f"out(mean={stats.fake_mean:+.3f} std={stats.fake_std:.3f}) r(real={stats.r_real:+.3f} fake={stats.r_fake:+.3f}) "
        + ("" if math.isnan(stats.alpha_mean) else f"alpha={stats.alpha_mean:.3f} ")
        + f"{samples_seen / max(elapsed, 1e-9):.1f} samples/s"
    )
