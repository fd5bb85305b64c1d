"""The model card's data list (train/talking_heads/model_card.py lineage_data_notes): the talking-head
videos and mirrored photos are credited when, and only when, a run of the lineage read them; the
training table says when the weights are a moving average (averaged_weights_row)."""
import unittest

from train.talking_heads.model_card import averaged_weights_row, lineage_data_notes


class LineageDataNotesTest(unittest.TestCase):
    def test_plain_sets_add_nothing(self):
        self.assertEqual(lineage_data_notes([{"data": "data/train-64 + display twin data/train-128"}, {}]), "")

    def test_videos_and_mirrored_sets_are_credited(self):
        notes = lineage_data_notes(
            [
                {"data": "data/train-64"},
                {"data": "data/train-64,data/videos-64,data/train-64-mirrored + display twin data/train-128"},
            ]
        )
        self.assertIn("**Talking-head videos**", notes)
        self.assertIn("**mirrored**", notes)
        self.assertEqual(notes.count("\n- ") + notes.startswith("- "), 2)

    def test_videos_alone(self):
        notes = lineage_data_notes([{"data": "data/train-64,data/videos-64"}])
        self.assertIn("Talking-head videos", notes)
        self.assertNotIn("mirrored", notes)


class AveragedWeightsRowTest(unittest.TestCase):
    def test_only_averaged_weights_get_the_row(self):
        self.assertEqual(averaged_weights_row({"steps": 10}), "")
        row = averaged_weights_row({"ema": 0.999})
        self.assertTrue(row.startswith("\n| weights shipped |"))
        self.assertIn("decay 0.999 a step", row)


if __name__ == "__main__":
    unittest.main()
