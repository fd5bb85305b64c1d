"""CPU smoke run of the meta-learning loop on the tiny presets and synthetic videos: it trains,
checkpoints, resumes exactly, and the reconstruction error falls; the warp-guided G starts at the
warp, trains from there and reports its blend mask (an embedder-only episode: from the moved target); a warm start carries weights, lineage and learning curve over."""
import tempfile
import unittest
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from train.talking_heads import synthetic_pair
from train.talking_heads.checkpoint import load_checkpoint, save_checkpoint
from train.talking_heads.config import load_preset
from train.talking_heads.episodes import EpisodeSampler, jitter_colour
from train.talking_heads.export_weights import export_app_weights
from train.talking_heads.mouth import MOUTH_CROP_SIZE
from train.talking_heads.trainer import MetaTrainer, TrainOptions, is_finite
from train.talking_heads.warm_start import warm_start
from train.talking_heads.warp import load_mesh, warp


def synthetic_videos(size=16, videos=6, frames=5, seed=0):
    """Each video: one person-like colour; frames differ by a moving 'mouth' bar, which the
    landmark image marks at the same place."""
    rng = np.random.default_rng(seed)
    crops, landmarks, index = [], [], []
    for v in range(videos):
        colour = rng.integers(40, 215, size=3)
        ids = []
        for f in range(frames):
            crop = np.zeros((size, size, 3), np.uint8) + colour.astype(np.uint8)
            lmk = np.zeros((size, size, 3), np.uint8)
            row = 4 + (f * 2) % (size - 6)
            crop[row : row + 2, 3:-3] = 255 - colour
            lmk[row : row + 2, 3:-3] = (255, 0, 0)
            ids.append(len(crops))
            crops.append(crop)
            landmarks.append(lmk)
        index.append(ids)
    return np.stack(crops), np.stack(landmarks), index


def synthetic_points(count, size=16, seed=0):
    """The canonical face in a size-px crop with per-frame jitter: [count, 478, 2]."""
    rng = np.random.default_rng(seed)
    canonical = load_mesh().canonical.numpy().astype(np.float32) * size
    return canonical[None] + rng.normal(0, 0.3, size=(count, *canonical.shape)).astype(np.float32)


class TrainerSmokeTest(unittest.TestCase):
    def make(self, seed=0):
        torch.manual_seed(seed)
        crops, lmks, videos = synthetic_videos()
        sampler = EpisodeSampler(crops, lmks, videos, k=3, device=torch.device("cpu"), seed=seed)
        options = TrainOptions(batch=4, k=3, lr_g=2e-3, lr_d=2e-3, l1_weight=10.0, content_weight=0.0, bf16=False)
        return MetaTrainer(load_preset("tiny"), sampler, options)

    def make_warp(self, seed=0):
        torch.manual_seed(seed)
        crops, lmks, videos = synthetic_videos()
        sampler = EpisodeSampler(crops, lmks, videos, k=3, device=torch.device("cpu"), seed=seed, points=synthetic_points(len(crops)))
        options = TrainOptions(batch=4, k=3, lr_g=2e-3, lr_d=2e-3, l1_weight=10.0, content_weight=0.0, bf16=False)
        return MetaTrainer(load_preset("tiny-warp"), sampler, options)

    def test_warp_guided_starts_at_the_warp_and_trains(self):
        trainer = self.make_warp()
        ep = trainer.sampler.sample(4)
        inputs = trainer.generator_inputs(ep)
        with torch.no_grad():
            out = trainer.generator.render(trainer.generator.psi_from_embedding(trainer._embed(ep)), inputs)
        self.assertEqual(float((out.frame - inputs.warped).abs().max()), 0.0)
        prior = torch.sigmoid(-3.0 + 4.0 * (1 - inputs.mask))  # tiny-warp: alphaBias -3, alphaMaskGain 4
        self.assertLess(float((out.alpha - prior).abs().max()), 1e-6)
        head = trainer.generator.output.conv.kernel
        trainer.options.ssim_weight = 1.0
        for i in range(5):
            stats = trainer.train_step(log=True)
            self.assertTrue(is_finite(stats), stats)
        self.assertGreater(float(head.detach().abs().max()), 0.0)
        self.assertTrue(0.0 < stats.alpha_mean < 1.0)
        self.assertIn("alpha", stats.terms)
        self.assertTrue(0.0 <= stats.terms["ssim"] <= 2.0, stats.terms)
        self.assertIn("warp", trainer.samples(batch=2))

    def test_distillation_pulls_a_narrower_g_towards_the_teachers_residual(self):
        torch.manual_seed(0)
        crops, lmks, videos = synthetic_videos()
        sampler = EpisodeSampler(crops, lmks, videos, k=3, device=torch.device("cpu"), seed=0, points=synthetic_points(len(crops)))
        teacher = MetaTrainer(load_preset("tiny-warp-skips"), sampler, TrainOptions(batch=4, k=3, content_weight=0.0, bf16=False))
        with torch.no_grad():  # a teacher whose residual is far from the untrained student's zero
            teacher.generator.output.conv.bias.copy_(torch.tensor([0.5, -0.5, 0.5, 2.0]))
        narrow = load_preset("tiny-warp-skips")
        narrow = replace(narrow, generator=replace(narrow.generator, min_channels=4, max_channels=8))
        options = TrainOptions(batch=4, k=3, lr_g=2e-3, content_weight=0.0, l1_weight=0.0, adv_weight=0, fm_weight=0, bf16=False)
        with self.assertRaisesRegex(ValueError, "needs a teacher"):
            MetaTrainer(narrow, sampler, replace(options, distill_weight=1.0))
        student = MetaTrainer(narrow, sampler, replace(options, distill_weight=1.0), teacher=(teacher.embedder, teacher.generator))
        frozen = [p.detach().clone() for p in teacher.generator.parameters()]
        losses = [student.train_step(log=True).terms["distill"] for _ in range(30)]
        self.assertTrue(all(np.isfinite(losses)))
        self.assertLess(np.mean(losses[-5:]), 0.5 * losses[0])
        self.assertTrue(all(torch.equal(a, b.detach()) for a, b in zip(frozen, teacher.generator.parameters())))

    def test_reconstruction_only_phase_leaves_d_untouched(self):
        trainer = self.make_warp()
        trainer.options.adv_weight = 0.0
        trainer.options.fm_weight = 0.0
        d_before = [p.detach().clone() for p in trainer.discriminator.parameters()]
        head = trainer.generator.output.conv.kernel
        for _ in range(3):
            stats = trainer.train_step(log=True)
            self.assertTrue(is_finite(stats), stats)
        self.assertNotIn("adv", stats.terms)
        self.assertNotIn("fm", stats.terms)
        self.assertIn("l1", stats.terms)
        self.assertGreater(float(head.detach().abs().max()), 0.0)  # G still learns
        for before, after in zip(d_before, trainer.discriminator.parameters()):
            self.assertTrue(torch.equal(before, after.detach()))

    def test_display_twin_puts_reconstruction_on_the_shown_frame(self):
        torch.manual_seed(0)
        crops, lmks, videos = synthetic_videos()
        points = synthetic_points(len(crops))
        # The display twin: the same frames at twice the size, landmarks scaled with them.
        big = crops.repeat(2, axis=1).repeat(2, axis=2)
        sampler = EpisodeSampler(crops, lmks, videos, k=3, device=torch.device("cpu"), points=points, display=(big, points * 2))
        options = TrainOptions(batch=4, k=3, lr_g=2e-3, lr_d=2e-3, l1_weight=10.0, content_weight=0.0, bf16=False)
        trainer = MetaTrainer(load_preset("tiny-warp"), sampler, options)
        self.assertEqual(trainer.display_size, 32)
        ep = sampler.sample(4)
        inputs, pick = trainer._inputs_and_pick(ep)
        with torch.no_grad():
            out = trainer.generator.render(trainer.generator.psi_from_embedding(trainer._embed(ep)), inputs)
            shown, real = trainer.display_frame(ep, out, pick)
        self.assertEqual(tuple(shown.shape), (4, 3, 32, 32))
        self.assertEqual(tuple(real.shape), (4, 3, 32, 32))
        # Untrained (zero head): the shown frame is the display-size warp of the picked source.
        rows = torch.arange(4)
        source = ep.source_index[rows, pick]
        want, _ = warp(sampler.display(source), sampler.display_points[source], sampler.display_points[ep.target_index])
        self.assertLess(float((shown - want).abs().max()), 1e-6)
        for _ in range(3):
            stats = trainer.train_step(log=True)
            self.assertTrue(is_finite(stats), stats)
        self.assertIn("l1", stats.terms)

    def test_embedder_only_episodes_warp_the_moved_target(self):
        torch.manual_seed(0)
        crops, lmks, videos = synthetic_videos()
        points = synthetic_points(len(crops))
        big = crops.repeat(2, axis=1).repeat(2, axis=2)
        flags = [True, False] * 3
        sampler = EpisodeSampler(
            crops, lmks, videos, k=3, device=torch.device("cpu"), points=points, display=(big, points * 2), embedder_only=flags
        )
        options = TrainOptions(batch=8, k=3, lr_g=2e-3, lr_d=2e-3, l1_weight=10.0, content_weight=0.0, bf16=False)
        trainer = MetaTrainer(load_preset("tiny-warp"), sampler, options)
        ep = sampler.sample(8)
        syn = ep.synthetic
        self.assertTrue(syn.any() and (~syn).any())
        inputs, pick = trainer._inputs_and_pick(ep)
        rows = torch.arange(8)
        moved = synthetic_pair.move_image(ep.target, ep.moved)
        want, _ = warp(moved, synthetic_pair.move_points(ep.target_points, ep.moved, 16), ep.target_points)
        plain, _ = warp(ep.frames[rows, pick], ep.source_points[rows, pick], ep.target_points)
        self.assertLess(float((inputs.warped[syn] - want[syn]).abs().max()), 1e-5)
        self.assertLess(float((inputs.warped[~syn] - plain[~syn]).abs().max()), 1e-5)
        self.assertGreater(float((want[syn] - plain[syn]).abs().max()), 0.1)  # not the K frames' warp
        # The shown frame (untrained: the display-size warp) starts from the moved display twin too.
        with torch.no_grad():
            out = trainer.generator.render(trainer.generator.psi_from_embedding(trainer._embed(ep)), inputs)
            shown, real = trainer.display_frame(ep, out, pick)
        target_points = sampler.display_points[ep.target_index]
        moved_big = synthetic_pair.move_image(real, ep.moved)
        want_big, _ = warp(moved_big, synthetic_pair.move_points(target_points, ep.moved, 32), target_points)
        self.assertLess(float((shown[syn] - want_big[syn]).abs().max()), 1e-5)
        for _ in range(3):
            stats = trainer.train_step(log=True)
            self.assertTrue(is_finite(stats), stats)

    def test_colour_jitter_reaches_the_display_twins(self):
        torch.manual_seed(0)
        crops, lmks, videos = synthetic_videos()
        points = synthetic_points(len(crops))
        big = crops.repeat(2, axis=1).repeat(2, axis=2)
        sampler = EpisodeSampler(
            crops, lmks, videos, k=3, device=torch.device("cpu"), points=points, display=(big, points * 2), colour_jitter=0.3
        )
        options = TrainOptions(batch=4, k=3, lr_g=2e-3, lr_d=2e-3, l1_weight=10.0, content_weight=0.0, bf16=False)
        trainer = MetaTrainer(load_preset("tiny-warp"), sampler, options)
        ep = sampler.sample(4)
        inputs, pick = trainer._inputs_and_pick(ep)
        with torch.no_grad():
            out = trainer.generator.render(trainer.generator.psi_from_embedding(trainer._embed(ep)), inputs)
            shown, real = trainer.display_frame(ep, out, pick)
        # The shown target and the warped source (untrained G: the warp) carry the episode's colour change.
        self.assertTrue(torch.allclose(real, jitter_colour(sampler.display(ep.target_index), ep.colour), atol=1e-6))
        source = ep.source_index[torch.arange(4), pick]
        want, _ = warp(
            jitter_colour(sampler.display(source), ep.colour), sampler.display_points[source], sampler.display_points[ep.target_index]
        )
        self.assertLess(float((shown - want).abs().max()), 1e-5)
        self.assertTrue(is_finite(trainer.train_step(log=True)))

    def test_learned_flow_and_mouth_content_on_the_shown_frame(self):
        """tiny-warp-flow on a display twin: untrained, the shown frame is still the display warp (zero
        flow, one sampling); the flow's head channels learn; the mouth content term is logged (and a
        step with the target's padding ignored runs)."""
        torch.manual_seed(0)
        crops, lmks, videos = synthetic_videos()
        points = synthetic_points(len(crops))
        big = crops.repeat(2, axis=1).repeat(2, axis=2)
        sampler = EpisodeSampler(crops, lmks, videos, k=3, device=torch.device("cpu"), points=points, display=(big, points * 2))
        # A stand-in for the perceptual networks: what matters here is that the term sees the crops.
        seen = []

        def content(fake, real):
            seen.append(tuple(fake.shape))
            return (fake - real).abs().mean()

        options = TrainOptions(batch=4, k=3, lr_g=2e-3, lr_d=2e-3, l1_weight=10.0, content_weight=0.0, mouth_content_weight=1.0, bf16=False)
        trainer = MetaTrainer(load_preset("tiny-warp-flow"), sampler, options, content_loss=content)
        ep = sampler.sample(4)
        inputs, pick = trainer._inputs_and_pick(ep)
        with torch.no_grad():
            out = trainer.generator.render(trainer.generator.psi_from_embedding(trainer._embed(ep)), inputs)
            shown, _ = trainer.display_frame(ep, out, pick)
        source = ep.source_index[torch.arange(4), pick]
        want, _ = warp(sampler.display(source), sampler.display_points[source], sampler.display_points[ep.target_index])
        self.assertLess(float((shown - want).abs().max()), 1e-5)
        for _ in range(3):
            stats = trainer.train_step(log=True)
            self.assertTrue(is_finite(stats), stats)
        self.assertGreater(stats.terms["mcnt"], 0.0)
        self.assertIn((4, 3, MOUTH_CROP_SIZE, MOUTH_CROP_SIZE), seen)
        head = dict(trainer.generator.named_parameters())["output.conv.kernel"]
        self.assertGreater(float(head.detach()[4:6].abs().max()), 0.0)

    def test_display_twin_matches_frames_by_person_clip_and_file(self):
        from train.talking_heads.dataset_io import Clip, Person, TrainingSet
        from train.talking_heads.display_data import display_twin, frames_with_twin

        def dataset(size, files, value):
            n = len(files)
            clip = Clip("c", np.arange(n), list(files), np.zeros(n, np.float32), np.ones(n, np.float32))
            crops = np.stack([np.full((size, size, 3), value + i, np.uint8) for i in range(n)])
            points = np.stack([np.full((478, 3), float(i), np.float32) for i in range(n)])
            return TrainingSet(size, {}, crops, crops.copy(), points, [Person("ytf", "p", False, [clip])])

        small = dataset(4, ["a", "b", "c"], 10)
        large = dataset(8, ["c", "a"], 100)  # "b" was dropped at the larger size
        crops, points, has = display_twin(small, large)
        self.assertEqual(has.tolist(), [True, False, True])
        self.assertEqual(int(crops[0, 0, 0, 0]), 101)  # small "a" ↔ large row 1
        self.assertEqual(int(crops[2, 0, 0, 0]), 100)
        self.assertEqual(float(points[2, 0, 0]), 0.0)
        self.assertEqual(frames_with_twin([[0, 1, 2]], has), [[0, 2]])

    def test_warp_guided_needs_landmarks(self):
        crops, lmks, videos = synthetic_videos()
        sampler = EpisodeSampler(crops, lmks, videos, k=3, device=torch.device("cpu"))
        with self.assertRaisesRegex(ValueError, "landmarks"):
            MetaTrainer(load_preset("tiny-warp"), sampler, TrainOptions(batch=2, k=3, content_weight=0.0))

    def test_warm_start_from_paper_weights_gives_the_warp_and_keeps_lineage(self):
        paper = self.make()
        for _ in range(2):
            paper.train_step()
        with tempfile.TemporaryDirectory() as tmp:
            manifest = Path(tmp) / "w" / "manifest.json"
            lineage = [{"run": "a", "steps": 2, "samples": 8, "hours": 0.01}]
            curve = [{"cumulative_steps": 2, "cumulative_hours": 0.01, "k": 8, "metrics": {"ssim_ff": 0.5}}]
            meta = {"lineage": lineage, "curve": curve}
            export_app_weights(manifest, paper.config, paper.embedder, paper.generator, paper.discriminator, meta, True)
            trainer = self.make_warp(seed=4)
            extra = warm_start(trainer, manifest)
        self.assertEqual(extra["lineage"], lineage)
        self.assertEqual(extra["curve"], curve)
        ep = trainer.sampler.sample(3)
        with torch.no_grad():
            for net in (trainer.embedder, trainer.generator):
                net.eval()
            frames, lm = ep.frames[:, 0], ep.landmarks[:, 0]
            paper.embedder.eval()
            self.assertLess(float((trainer.embedder(frames, lm) - paper.embedder(frames, lm)).abs().max()), 1e-4)
            inputs = trainer.generator_inputs(ep)
            out = trainer.generator.render(trainer.generator.psi_from_embedding(trainer._embed(ep)), inputs)
        self.assertEqual(float((out.frame - inputs.warped).abs().max()), 0.0)
        # G's first kernel: the old one on the landmark channels, zeros on the warp and mask channels.
        grown = trainer.generator.down0.conv1.kernel.detach()
        self.assertLess(float((grown[:, :3] - paper.generator.down0.conv1.kernel.detach()).abs().max()), 1e-6)
        self.assertEqual(float(grown[:, 3:].abs().max()), 0.0)

    def l1_on_fixed_episodes(self, trainer):
        state = trainer.sampler.state_dict()
        trainer.sampler.generator.manual_seed(1234)
        s = trainer.samples(batch=8)
        trainer.sampler.load_state_dict(state)
        return (s["output"] - s["target"]).abs().mean().item()

    def test_loss_falls_and_stays_finite(self):
        trainer = self.make()
        before = self.l1_on_fixed_episodes(trainer)
        for i in range(60):
            stats = trainer.train_step(log=i % 10 == 9)
            if stats is not None:
                self.assertTrue(is_finite(stats), stats)
        after = self.l1_on_fixed_episodes(trainer)
        self.assertLess(after, 0.7 * before, f"L1 {before:.3f} -> {after:.3f}")

    def test_ft_variant_trains_w_through_the_match_loss(self):
        trainer = self.make()
        trainer.options.match_weight = 1.0
        w = trainer.discriminator.embedding.detach().clone()
        stats = trainer.train_step(log=True)
        self.assertIn("mch", stats.terms)
        self.assertFalse(torch.equal(w, trainer.discriminator.embedding.detach()))

    def test_resume_is_exact(self):
        a = self.make(seed=3)
        for _ in range(3):
            a.train_step()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ckpt.pt"
            save_checkpoint(path, a.config, a.embedder, a.generator, a.discriminator, extra={"trainer": a.state_dict()})
            _, e, g, d, extra = load_checkpoint(path)
        b = self.make(seed=99)
        b.embedder.load_state_dict(e.state_dict())
        b.generator.load_state_dict(g.state_dict())
        b.discriminator.load_state_dict(d.state_dict())
        b.load_state_dict(extra["trainer"])
        torch.manual_seed(5)
        sa = a.train_step(log=True)
        torch.manual_seed(5)
        sb = b.train_step(log=True)
        self.assertEqual(sa.step, sb.step)
        self.assertAlmostEqual(sa.loss_g, sb.loss_g, places=5)
        self.assertAlmostEqual(sa.loss_d, sb.loss_d, places=5)


if __name__ == "__main__":
    unittest.main()
