"""The mouth generator's region (mouth_region.py) and the generator itself (config.mouth): the box
follows the lips, crop and paste are inverse placements, the lips' soft polygons are 1 inside and 0
outside, a zero head pastes nothing, a warm start leaves the frame unchanged, and training only the
mouth changes only the mouth's weights, and training everything but the mouth leaves it as loaded."""
import tempfile
import unittest
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

from train.talking_heads import mouth_region as mr
from train.talking_heads.config import load_preset, validate_config
from train.talking_heads.episodes import EpisodeSampler
from train.talking_heads.nets import build_networks
from train.talking_heads.checkpoint import save_checkpoint
from train.talking_heads.trainer import MetaTrainer, TrainOptions, is_finite
from train.talking_heads.warm_start import warm_start
from train.talking_heads.warp import load_mesh

from .test_trainer_smoke import synthetic_points, synthetic_videos


def face(size: float, shift=(0.0, 0.0)) -> torch.Tensor:
    """The canonical face in a size-px frame, moved by `shift` pixels: [1, 478, 2]."""
    return (load_mesh().canonical.float() * size + torch.tensor(shift))[None]


def opened(points: torch.Tensor, opening: float) -> torch.Tensor:
    """points [B, 478, 2] with everything below the lips' midline moved down (or up) so that the
    inner-lip gap is about `opening` × the outer-eye-corner distance (mouth.py mouth_opening)."""
    out = points.clone()
    eyes = (points[:, 263] - points[:, 33]).norm(dim=-1)
    gap = (points[:, 14] - points[:, 13]).norm(dim=-1)
    below = points[..., 1] > ((points[:, 13, 1] + points[:, 14, 1]) / 2)[:, None]
    out[..., 1] += below * (opening * eyes - gap)[:, None]
    return out


class RegionTest(unittest.TestCase):
    def test_box_centres_on_the_inner_lips_and_scales_with_the_face(self) -> None:
        points = face(256)
        box = mr.mouth_box(points, 0.25)[0]
        lips = points[0, [78, 308, 13, 14]].double().mean(0)
        self.assertLess(float((box[:2] - lips).abs().max()), 1e-9)
        moved = mr.mouth_box(face(256, (10.0, -4.0)), 0.25)[0]
        self.assertLess(float((moved - box - torch.tensor([10.0, -4.0, 0.0], dtype=torch.float64)).abs().max()), 1e-9)
        self.assertAlmostEqual(float(mr.mouth_box(face(512), 0.25)[0, 2] / box[2]), 2.0, places=9)
        wider = mr.mouth_box(points, 0.5)[0, 2] - box[2]
        eyes = float((points[0, 263] - points[0, 33]).norm())
        self.assertAlmostEqual(float(wider), 0.5 * eyes, places=4)

    def test_crop_of_a_ramp_is_the_ramp_in_the_box(self) -> None:
        size, frame = 32, 128
        xs = torch.arange(frame, dtype=torch.float32) + 0.5
        image = xs.view(1, 1, 1, frame).expand(1, 1, frame, frame).contiguous()  # value = x
        box = torch.tensor([[60.0, 70.0, 40.0]], dtype=torch.float64)
        cut = mr.crop(image, box, size)[0, 0]
        expected = 40.0 + (torch.arange(size) + 0.5) * 40.0 / size
        self.assertLess(float((cut[5] - expected).abs().max()), 1e-4)

    def test_paste_puts_a_constant_residual_on_the_box_only(self) -> None:
        frame = torch.zeros(1, 1, 100, 100)
        box = torch.tensor([[50.0, 40.0, 30.0]], dtype=torch.float64)
        pasted = mr.paste(frame, torch.ones(1, 1, 16, 16), box)[0, 0]
        self.assertAlmostEqual(float(pasted.sum()), 900.0, delta=30.0)  # ≈ the box's area
        self.assertEqual(float(pasted[40, 50]), 1.0)  # inside
        self.assertEqual(float(pasted[40, 80]), 0.0)  # right of the box
        self.assertEqual(float(pasted[5, 50]), 0.0)  # above it

    def test_polygon_mask_is_one_inside_zero_outside_and_half_on_the_edge(self) -> None:
        square = torch.tensor([[[4.0, 4.0], [12.0, 4.0], [12.0, 12.0], [4.0, 12.0]]], dtype=torch.float64)
        mask = mr.polygon_mask(square, 16)[0]
        self.assertEqual(float(mask[8, 8]), 1.0)
        self.assertEqual(float(mask[1, 1]), 0.0)
        self.assertAlmostEqual(float(mask[8, 4]), 1.0)  # centre 4.5: 0.5 px inside
        self.assertAlmostEqual(float(mask[8, 3]), 0.0)  # centre 3.5: 0.5 px outside
        # Orientation does not matter (even-odd rule).
        self.assertTrue(torch.equal(mr.polygon_mask(square.flip(1), 16), mr.polygon_mask(square, 16)))

    def test_opening_gate_ramps_from_lo_to_hi(self) -> None:
        points = torch.cat([opened(face(256), opening) for opening in (0.05, 0.1, 0.15, 0.3)])
        closed = opened(face(256), 0.0).expand(4, -1, -1)
        gate = mr.opening_gate(points, closed, (0.1, 0.2))
        # (The closed photo's inner-lip corners keep a sideways gap of 0.002 eye-corner distances.)
        self.assertTrue(torch.allclose(gate, torch.tensor([0.0, 0.0, 0.5, 1.0], dtype=gate.dtype), atol=0.03))
        # Against a photo as open (in any units), nothing: the warp shows the photo's own mouth.
        self.assertEqual(float(mr.opening_gate(points[3:], points[3:] / 2, (0.1, 0.2))[0]), 0.0)

    def test_lips_of_an_open_mouth(self) -> None:
        points = face(256)
        box, lips = mr.region(points, 0.25, 64)
        self.assertEqual(tuple(lips.shape), (1, 2, 64, 64))
        inner, outer = lips[0, 0].sum(), lips[0, 1].sum()
        self.assertGreater(float(outer), float(inner))  # the outer loop encloses the inner one
        self.assertGreater(float(lips[0, 1, 32].max()), 0.99)  # the lips cross the crop's middle row


class MouthGeneratorTest(unittest.TestCase):
    def test_config_round_trip_and_validation(self) -> None:
        config = load_preset("tiny-warp-mouth")
        self.assertEqual(validate_config(config.to_json()), config)
        raw = config.to_json()
        cases = {
            "mouth.alphaBorder must be less than half of mouth.resolution": {"alphaBorder": 8},
            "mouth.pad must be a finite number ≥ 0": {"pad": -1},
            "mouth.resolution 16 is not divisible by 2^mouth.downBlocks": {"downBlocks": 5},
            "mouth.alphaLipGain must be a finite number": {"alphaLipGain": "4"},
            "mouth.minChannels exceeds mouth.maxChannels": {"minChannels": 16},
            "mouth.resolution must be an integer ≥ 1": {"resolution": 0},
            "mouth.openingRamp must be \\[lo, hi\\] with 0 ≤ lo < hi": {"openingRamp": [0.2, 0.1]},
            "mouth.alphaLipRegion must be an integer ≥ 0": {"alphaLipRegion": -1},
        }
        for message, change in cases.items():
            with self.assertRaisesRegex(ValueError, message.replace("^", r"\^")):
                validate_config({**raw, "mouth": {**raw["mouth"], **change}})
        with self.assertRaisesRegex(ValueError, "mouth must be an object"):
            validate_config({**raw, "mouth": None})
        paper = load_preset("tiny").to_json()
        with self.assertRaisesRegex(ValueError, "mouth needs generator.input landmarks\\+warp"):
            validate_config({**paper, "mouth": raw["mouth"]})

    def test_a_zero_head_pastes_nothing_and_alpha_follows_the_inner_lips(self) -> None:
        torch.manual_seed(0)
        _, generator, _ = build_networks(load_preset("tiny-warp-mouth"))
        mouth = generator.mouth
        points = opened(face(64), 0.3)  # past the preset's opening ramp over a closed photo: the gate is 1
        closed = opened(face(64), 0.0)
        frame = torch.rand(1, 3, 64, 64) * 2 - 1
        psi = mouth.psi_from_embedding(torch.randn(1, generator.config.embed_dim))
        refined, out = mouth.refine(psi, frame, points, closed)
        self.assertEqual(float((refined - frame).abs().max()), 0.0)
        _, lips = mr.region(points, mouth.pad, 16)
        m = generator.config.mouth
        ramp = torch.clamp((torch.minimum(torch.arange(16.0), 15 - torch.arange(16.0)) + 0.5) / m.alpha_border, max=1)
        expected = torch.sigmoid(m.alpha_bias + m.alpha_lip_gain * lips[:, :1]) * ramp[:, None] * ramp[None, :]
        self.assertLess(float((out.alpha - expected).abs().max()), 1e-6)
        # Half-way up the opening ramp α (and so α·Δ) is halved; below it, zero.
        lo, hi = m.opening_ramp
        for opening in ((lo + hi) / 2, 0.0):
            points = opened(face(64), opening)
            gate = float(mr.opening_gate(points, closed, m.opening_ramp)[0])
            self.assertAlmostEqual(gate, 0.5 if opening else 0.0, delta=0.05)
            _, lips = mr.region(points, mouth.pad, 16)
            ungated = torch.sigmoid(m.alpha_bias + m.alpha_lip_gain * lips[:, :1]) * ramp[:, None] * ramp[None, :]
            _, out = mouth.refine(psi, frame, points, closed)
            self.assertLess(float((out.alpha - gate * ungated).abs().max()), 2e-3)

    def test_alpha_lip_region_confines_alpha_to_the_grown_outer_lips(self) -> None:
        region = load_preset("tiny-warp-mouth-region")
        self.assertEqual(validate_config(region.to_json()), region)
        torch.manual_seed(0)
        _, plain, _ = build_networks(load_preset("tiny-warp-mouth"))
        _, confined, _ = build_networks(region)
        confined.load_state_dict(plain.state_dict())
        points, closed = opened(face(64), 0.3), opened(face(64), 0.0)
        frame = torch.rand(1, 3, 64, 64) * 2 - 1
        psi = plain.mouth.psi_from_embedding(torch.randn(1, plain.config.embed_dim))
        _, out = plain.mouth.refine(psi, frame, points, closed)
        _, out_region = confined.mouth.refine(psi, frame, points, closed)
        _, lips = mr.region(points, confined.mouth.pad, 16)
        grown = F.max_pool2d(lips[:, 1:2], 3, 1, 1)  # alphaLipRegion 1: a 3 × 3 max filter
        self.assertLess(float((out_region.alpha - out.alpha * grown).abs().max()), 1e-6)
        # Zero on the crop's pixels past the grown lips, unchanged well inside them.
        self.assertGreater(int((grown == 0).sum()), 0)
        self.assertEqual(float(out_region.alpha[grown == 0].abs().max()), 0.0)
        inside = lips[:, 1:2] == 1
        self.assertTrue(bool(inside.any()))
        self.assertLess(float((out_region.alpha - out.alpha)[inside].abs().max()), 1e-6)

    def test_warm_start_keeps_the_frame_and_training_only_the_mouth_moves_only_the_mouth(self) -> None:
        torch.manual_seed(0)
        crops, lmks, videos = synthetic_videos(size=16)
        points = synthetic_points(len(crops))
        sampler = EpisodeSampler(crops, lmks, videos, k=3, device=torch.device("cpu"), seed=0, points=points)
        options = TrainOptions(
            batch=4,
            k=3,
            lr_g=2e-3,
            l1_weight=10.0,
            ssim_weight=1.0,
            content_weight=0.0,
            adv_weight=0,
            fm_weight=0,
            bf16=False,
            train_only="mouth",
        )
        trainer = MetaTrainer(load_preset("tiny-warp-mouth"), sampler, options)
        # Warm-started from weights without a mouth (its base preset): every old tensor is copied.
        base = MetaTrainer(load_preset("tiny-warp-border"), sampler, TrainOptions(batch=4, k=3, content_weight=0.0, bf16=False))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "base.pt"
            save_checkpoint(path, base.config, base.embedder, base.generator, base.discriminator)
            warm_start(trainer, path)
        for key, value in base.generator.state_dict().items():
            self.assertTrue(torch.equal(trainer.generator.state_dict()[key], value), key)
        before = {k: v.clone() for k, v in trainer.generator.state_dict().items()}
        before_e = {k: v.clone() for k, v in trainer.embedder.state_dict().items()}
        for _ in range(4):
            stats = trainer.train_step(log=True)
            self.assertTrue(is_finite(stats), stats)
        after = trainer.generator.state_dict()
        changed = {k for k in before if not torch.equal(before[k], after[k])}
        self.assertTrue(changed)
        self.assertTrue(all(k.startswith("mouth.") for k in changed), sorted(changed))
        self.assertTrue(any(k.startswith("mouth.output.") for k in changed))
        self.assertTrue(all(torch.equal(v, trainer.embedder.state_dict()[k]) for k, v in before_e.items()))
        with self.assertRaisesRegex(ValueError, "has no mouth generator"):
            MetaTrainer(load_preset("tiny-warp"), sampler, options)

        # The reverse ("face"): E and G learn around the mouth generator, which stays as loaded (u too).
        face = MetaTrainer(load_preset("tiny-warp-mouth"), sampler, replace(options, train_only="face"))
        face.generator.load_state_dict(after)
        before = {k: v.clone() for k, v in face.generator.state_dict().items()}
        before_e = {k: v.clone() for k, v in face.embedder.state_dict().items()}
        for _ in range(4):
            self.assertTrue(is_finite(face.train_step(log=True)))
        changed = {k for k, v in face.generator.state_dict().items() if not torch.equal(before[k], v)}
        self.assertTrue(any(k.startswith("output.") for k in changed), sorted(changed))
        self.assertFalse([k for k in changed if k.startswith("mouth.")])
        self.assertTrue(any(not torch.equal(v, face.embedder.state_dict()[k]) for k, v in before_e.items()))
        with self.assertRaisesRegex(ValueError, "train_only must be"):
            MetaTrainer(load_preset("tiny-warp-mouth"), sampler, replace(options, train_only="lips"))


if __name__ == "__main__":
    unittest.main()
