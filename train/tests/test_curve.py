"""The held-out learning curve travels with the lineage: exported weights carry every point
(export_weights.py run_curve: the parents' points plus the run's own RUN/curve.jsonl), a warm start
hands them to the next run (warm_start.py curve_of), so a model card keeps the whole curve even when
the runs before it are gone from the machine."""
import json
import tempfile
import unittest
from pathlib import Path

from train.talking_heads.export_weights import run_curve
from train.talking_heads.warm_start import curve_of


def point(steps: int, ssim: float) -> dict:
    return {"cumulative_steps": steps, "cumulative_hours": steps / 1000, "k": 8, "metrics": {"ssim_ff": ssim}}


class CurveTest(unittest.TestCase):
    def test_a_run_adds_its_own_points_after_its_parents(self):
        with tempfile.TemporaryDirectory() as run:
            (Path(run) / "curve.jsonl").write_text("".join(json.dumps(p) + "\n" for p in (point(20, 0.52), point(30, 0.53))) + "\n")
            self.assertEqual(run_curve({"curve": [point(10, 0.5)], "run": run}), [point(10, 0.5), point(20, 0.52), point(30, 0.53)])

    def test_a_run_without_a_curve_file_keeps_its_parents_points(self):
        with tempfile.TemporaryDirectory() as run:
            self.assertEqual(run_curve({"curve": [point(10, 0.5)], "run": str(Path(run) / "absent")}), [point(10, 0.5)])
        self.assertEqual(run_curve({}), [])

    def test_warm_starts_read_exported_weights_meta_or_a_checkpoints_run(self):
        self.assertEqual(curve_of({"curve": [point(10, 0.5)]}, {"meta": {}}), [point(10, 0.5)])
        self.assertEqual(curve_of({}, {"meta": {}}), [])  # weights exported before the curve travelled
        with tempfile.TemporaryDirectory() as run:
            (Path(run) / "curve.jsonl").write_text(json.dumps(point(20, 0.52)) + "\n")
            checkpoint_extra = {"trainer": {"step": 5}, "run": run, "curve": [point(10, 0.5)]}
            self.assertEqual(curve_of({}, checkpoint_extra), [point(10, 0.5), point(20, 0.52)])


if __name__ == "__main__":
    unittest.main()
