"""The PyTorch warp (warp.py): identity, rigid motion, the mask, and the nearest-source choice; and
displace, the learned flow's resample of a warp. Its equality with the TS warp is
src/landmarks/warp-parity.test.ts."""
import math
import unittest

import torch

from train.talking_heads.warp import alignment_error, displace, load_mesh, nearest_source, sample, similarity_fit, warp, warp_grid

SIZE = 32


def face(size=SIZE, scale=1.0, angle=0.0, shift=(0.0, 0.0)):
    """The mesh's canonical face in a size-px crop, moved by a similarity about the crop centre."""
    points = load_mesh().canonical.float() * size
    c = size / 2
    rot = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return ((points - c) @ rot.t()) * scale + c + torch.tensor(shift)


def image(size=SIZE, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(1, 3, size, size, generator=g) * 2 - 1


class WarpTest(unittest.TestCase):
    def test_identity_returns_the_source_with_full_mask(self):
        src = image()
        pts = face()[None]
        warped, mask = warp(src, pts, pts)
        self.assertLess(float((warped - src).abs().max()), 1e-5)
        self.assertEqual(float(mask.min()), 1.0)

    def test_a_shift_of_the_face_moves_its_pixels(self):
        src = image()
        moved = face(shift=(2.0, 0.0))[None]
        position, mask = warp_grid(face()[None], moved, SIZE)
        # Near the face centre the source pixel is 2 px to the left of the output pixel.
        y, x = SIZE // 2, SIZE // 2
        self.assertAlmostEqual(float(position[0, y, x, 0]), x + 0.5 - 2.0, places=4)
        self.assertAlmostEqual(float(position[0, y, x, 1]), y + 0.5, places=4)
        self.assertGreater(float(mask[0, y, x]), 0.99)
        warped, _ = warp(src, face()[None], moved)
        self.assertLess(float((warped[0, :, y, x] - src[0, :, y, x - 2]).abs().max()), 1e-5)

    def test_an_opened_mouth_is_marked_as_stretched(self):
        closed = face()
        opened = closed.clone()
        lower_lip = [14, 87, 178, 88, 95, 78, 317, 402, 318, 324, 308, 17, 84, 181, 91, 146, 314, 405, 321, 375, 291]
        opened[lower_lip, 1] += 2.0
        _, mask = warp_grid(closed[None], opened[None], SIZE)
        mouth = opened[[13, 14]].mean(0)
        self.assertLess(float(mask[0, int(mouth[1]), int(mouth[0])]), 0.5)
        self.assertGreater(float(mask[0, 2, 2]), 0.99)  # the corner is pinned

    def test_similarity_fit_recovers_a_similarity(self):
        a = face()[None].double()
        b = face(scale=1.2, angle=0.3, shift=(1.0, -2.0))[None].double()
        A, t = similarity_fit(a, b)
        self.assertLess(float((a @ A.transpose(1, 2) + t[:, None] - b).abs().max()), 1e-4)

    def test_nearest_source_prefers_the_same_expression_in_another_pose(self):
        target = face()
        posed = face(scale=0.9, angle=0.2, shift=(1.0, 1.0))  # same expression, other pose: residual 0
        mouth = face()
        mouth[[14, 17, 87, 317, 178, 402], 1] += 3.0  # other expression, same pose
        sources = torch.stack([mouth, posed])[None]
        self.assertEqual(int(nearest_source(sources, target[None])[0]), 1)
        errors = alignment_error(sources, target[None])
        self.assertLess(float(errors[0, 1]), 1e-9)
        self.assertGreater(float(errors[0, 0]), 1e-6)

    def test_batches_are_independent(self):
        srcs = torch.cat([image(seed=1), image(seed=2)])
        a, b = face()[None], face(shift=(1.5, -1.0))[None]
        both, _ = warp(srcs, torch.cat([a, a]), torch.cat([a, b]))
        one, _ = warp(srcs[1:], a, b)
        self.assertLess(float((both[1:] - one).abs().max()), 1e-6)


class DisplaceTest(unittest.TestCase):
    """displace(image, flow): image resampled at p + flow(p), flow in crop units, bilinear, edge-clamped."""

    def test_zero_flow_returns_the_image(self):
        for size in (16, 24, 32):
            src = image(size=size, seed=size)
            out = displace(src, torch.zeros(1, 2, size, size))
            self.assertEqual(out.shape, src.shape)
            self.assertLess(float((out - src).abs().max()), 1e-5, size)  # 2/S rounds in float32 unless S is a power of 2

    def test_a_flow_is_sample_at_the_pixel_centres_plus_the_flow_in_pixels(self):
        size = 24
        src = torch.cat([image(size=size, seed=3), image(size=size, seed=4)])
        flow = (torch.rand(2, 2, size, size, generator=torch.Generator().manual_seed(5)) * 2 - 1) * 0.1
        centres = torch.arange(size, dtype=torch.float32) + 0.5
        gy, gx = torch.meshgrid(centres, centres, indexing="ij")
        position = torch.stack([gx, gy], dim=-1)[None] + flow.permute(0, 2, 3, 1) * size
        self.assertLess(float((displace(src, flow) - sample(src, position)).abs().max()), 1e-5)
        # A whole-pixel flow in y: row r shows row r + 2, the bottom rows the last one (edge-clamped).
        down = torch.zeros(2, 2, size, size)
        down[:, 1] = 2 / size
        moved = displace(src, down)
        self.assertLess(float((moved[..., :-2, :] - src[..., 2:, :]).abs().max()), 1e-5)
        self.assertLess(float((moved[..., -2:, :] - src[..., -1:, :]).abs().max()), 1e-5)

    def test_the_gradient_reaches_the_flow(self):
        size = 16
        src = image(size=size, seed=6)
        flow = ((torch.rand(1, 2, size, size, generator=torch.Generator().manual_seed(7)) * 2 - 1) * 0.02).requires_grad_()
        weights = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(8))
        (displace(src, flow) * weights).sum().backward()
        self.assertTrue(bool(torch.isfinite(flow.grad).all()))
        self.assertGreater(float(flow.grad[:, 0].abs().sum()), 0.0)
        self.assertGreater(float(flow.grad[:, 1].abs().sum()), 0.0)

    def test_refuses_a_flow_that_does_not_fit(self):
        src = image(size=16)
        for shape in ((1, 2, 8, 8), (1, 2, 16, 8), (1, 3, 16, 16), (1, 1, 16, 16)):
            with self.assertRaisesRegex(ValueError, "displace"):
                displace(src, torch.zeros(shape))


class AssignmentCacheTest(unittest.TestCase):
    def test_cached_warps_equal_fresh_ones_and_the_search_runs_once_per_frame(self):
        from train.talking_heads.warp import AssignmentCache

        targets = torch.stack([face(shift=(1.0, 0.5)), face(scale=1.1), face(angle=0.1)])
        sources = torch.stack([face(), face(shift=(-1.0, 0.0)), face(scale=0.95)])
        images = torch.cat([image(seed=s) for s in range(3)])
        fresh, fresh_mask = warp(images, sources, targets)
        cache = AssignmentCache(SIZE, limit=2)
        for _ in range(2):
            cached, cached_mask = warp(images, sources, targets, cache(torch.tensor([7, 8, 9]), targets))
            self.assertEqual(float((cached - fresh).abs().max()), 0.0)
            self.assertEqual(float((cached_mask - fresh_mask).abs().max()), 0.0)
        self.assertEqual(len(cache.entries), 2)  # the limit holds
        self.assertEqual((cache.hits, cache.misses), (2, 4))


class TiledSearchTest(unittest.TestCase):
    def test_the_tiled_search_picks_the_brute_force_triangles(self):
        from train.talking_heads import warp as w

        torch.manual_seed(0)
        for size in (16, 64):
            targets = face(size=size)[None].repeat(3, 1, 1).double()
            targets[0] += torch.randn(478, 2, dtype=torch.float64) * 0.02 * size  # jitter: folds and slivers
            targets[1] = targets[1] * 1.15 - 0.07 * size  # larger than the crop, shifted
            tiled = w.target_assignment(targets, size)
            saved = w.TILE
            try:
                w.TILE = size + 1  # size % TILE != 0: the brute-force search
                brute = w.target_assignment(targets, size)
            finally:
                w.TILE = saved
            self.assertEqual(tuple(tiled.triangle.shape), (3, size * size))
            self.assertTrue(torch.equal(tiled.inside, brute.inside), size)
            self.assertTrue(torch.equal(tiled.triangle[tiled.inside], brute.triangle[brute.inside]), size)


if __name__ == "__main__":
    unittest.main()
