"""compare_heldout: differences are paired by person, people missing from one report are left out,
and "better" follows each metric's direction (the mouth's error is better lower)."""
import unittest

from train.talking_heads.compare_heldout import compare, paired


def row(source, person, ssim, mouth=None):
    return {"source": source, "person": person, "ssim_ff": ssim, "mouth_ff": mouth}


class CompareHeldoutTest(unittest.TestCase):
    def test_pairs_by_person(self):
        base = [row("ytf", "a", 0.5), row("ytf", "b", 0.7), row("celeba", "c", 0.3), row("ytf", "only-base", 0.9)]
        cand = [row("celeba", "c", 0.32), row("ytf", "b", 0.71), row("ytf", "a", 0.52)]
        s = paired(base, cand, "ssim_ff")
        self.assertEqual(s["n"], 3)
        self.assertAlmostEqual(s["diff"], (0.02 + 0.01 + 0.02) / 3)
        self.assertAlmostEqual(s["baseline"], 0.5)
        self.assertEqual((s["better"], s["worse"]), (3, 0))
        # sd of (0.02, 0.01, 0.02) is 0.005774; half-width 1.96 · sd / √3.
        self.assertAlmostEqual(s["half"], 1.96 * 0.0057735 / 3**0.5, places=5)
        self.assertEqual(paired(base, cand, "idcos_ff"), {"n": 0})

    def test_direction_and_sources(self):
        base = {"per_person": [row("ytf", "a", 0.5, 0.30), row("celeba", "c", 0.3, 0.20)]}
        cand = {"per_person": [row("ytf", "a", 0.4, 0.25), row("celeba", "c", 0.35, 0.25)]}
        lines = compare(base, cand)
        mouth_ytf = next(line for line in lines if line.startswith("| mouth_ff (ytf)"))
        self.assertIn("| -0.0500 ± ", mouth_ytf)
        self.assertTrue(mouth_ytf.endswith("| 1 / 0 |"))  # a lower mouth error is better
        ssim_all = next(line for line in lines if line.startswith("| ssim_ff |"))
        self.assertTrue(ssim_all.endswith("| 1 / 1 |"))
        self.assertFalse(any(line.startswith("| idcos_ff") for line in lines))


if __name__ == "__main__":
    unittest.main()
