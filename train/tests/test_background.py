"""The background term (background.py): the face oval is 1 inside the face and 0 in the crop's
corners, the term is zero for a residual confined to the face or to where the warp is invalid, and
training with it shrinks G's residual off the face; the face-SSIM term (--face-ssim-weight) is
in range and off by default."""
import unittest
from dataclasses import replace

import torch

from train.talking_heads.background import background_l1, face_oval_mask
from train.talking_heads.config import load_preset
from train.talking_heads.trainer import MetaTrainer, TrainOptions

from .test_trainer_smoke import synthetic_points, synthetic_videos
from train.talking_heads.episodes import EpisodeSampler
from train.talking_heads.warp import load_mesh


class BackgroundTest(unittest.TestCase):
    def test_oval_covers_the_face_not_the_corners(self):
        size = 64
        points = (load_mesh().canonical.float() * size)[None]
        oval = face_oval_mask(points, size)[0, 0]
        nose = points[0, 1]
        self.assertEqual(float(oval[int(nose[1]), int(nose[0])]), 1.0)
        for y, x in [(0, 0), (0, size - 1), (size - 1, 0), (size - 1, size - 1)]:
            self.assertEqual(float(oval[y, x]), 0.0)
        self.assertTrue(0.1 < float(oval.mean()) < 0.7)

    def test_zero_on_the_face_and_where_the_warp_is_invalid(self):
        size = 32
        points = (load_mesh().canonical.float() * size)[None]
        oval = face_oval_mask(points, size)
        delta = torch.ones(1, 3, size, size)
        alpha = torch.ones(1, 1, size, size)
        valid = torch.ones(1, 1, size, size)
        self.assertGreater(float(background_l1(alpha, delta, valid, points)), 0.1)
        inside = (oval == 1).float()
        self.assertEqual(float(background_l1(alpha * inside, delta, valid, points)), 0.0)
        self.assertEqual(float(background_l1(alpha, delta, torch.zeros_like(valid), points)), 0.0)

    def test_training_with_it_quiets_the_residual_off_the_face(self):
        torch.manual_seed(0)
        crops, lmks, videos = synthetic_videos()
        sampler = EpisodeSampler(crops, lmks, videos, k=3, device=torch.device("cpu"), seed=0, points=synthetic_points(len(crops)))
        options = TrainOptions(batch=4, k=3, lr_g=2e-3, l1_weight=0.0, content_weight=0.0, adv_weight=0, fm_weight=0, bf16=False)
        trainer = MetaTrainer(load_preset("tiny-warp"), sampler, replace(options, background_weight=10.0))
        with torch.no_grad():  # a residual everywhere, as a G that repaints the background
            trainer.generator.output.conv.bias.copy_(torch.tensor([0.5, -0.5, 0.5, 2.0]))
        losses = [trainer.train_step(log=True).terms["bg"] for _ in range(30)]
        self.assertLess(losses[-1], 0.5 * losses[0])

    def test_face_ssim_term_is_a_bounded_logged_term_and_off_by_default(self):
        torch.manual_seed(0)
        crops, lmks, videos = synthetic_videos()
        sampler = EpisodeSampler(crops, lmks, videos, k=3, device=torch.device("cpu"), seed=0, points=synthetic_points(len(crops)))
        options = TrainOptions(batch=4, k=3, l1_weight=0.0, content_weight=0.0, adv_weight=0, fm_weight=0, bf16=False, face_ssim_weight=2.0)
        trainer = MetaTrainer(load_preset("tiny-warp"), sampler, options)
        stats = trainer.train_step(log=True)
        self.assertIn("face", stats.terms)
        self.assertTrue(0.0 <= stats.terms["face"] <= 4.0)
        # Off by default: the term is not computed.
        plain = MetaTrainer(load_preset("tiny-warp"), sampler, replace(options, face_ssim_weight=0.0))
        self.assertNotIn("face", plain.train_step(log=True).terms)


if __name__ == "__main__":
    unittest.main()
