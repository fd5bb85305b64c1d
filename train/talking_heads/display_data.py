"""A training set's display twin: the same frames cut at a larger size (e.g. data/train-128 next to
data/train-64), so a warp-guided G can learn on the frame the app shows.

The app runs G at its resolution (64 px) on a 64 px warp and landmark image, then shows
warp_D + α↑·Δ↑ at D = 256: the photo warped at full size, G's blend mask and residual upsampled
(avatar-session.ts, warpGuidedFrame). Trained on 64 px frames alone, G learns residuals that fix a
64 px warp, blur included, which upsampled onto a sharp warp add coarse blocks instead. With the
display twin the trainer composes the same frame at D and puts its reconstruction losses there.

Both sets come from scripts/prepare-training-set.ts, which may keep different frames at different
sizes (a face too small for 128 px is dropped there, kept at 64): frames are matched by person, clip
and file; a frame without a twin is left out of episodes.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np


def _keys(training_set) -> dict:
    return {
        (person.source, person.id, clip.id, name): int(index)
        for person in training_set.people
        for clip in person.clips
        for index, name in zip(clip.frames, clip.files)
    }


def display_twin(small, large) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(crops uint8 [N, D, D, 3], landmarks float32 [N, 478, 2] in D px, has bool [N]) aligned with
    `small`'s frame indices; rows without a twin in `large` are zeros with has = False."""
    if large.landmarks is None:
        raise ValueError("the display twin needs its landmarks (load_training_set(..., landmarks=True))")
    n, d = len(small), large.size
    crops = np.zeros((n, d, d, 3), np.uint8)
    points = np.zeros((n, large.landmarks.shape[1], 2), np.float32)
    has = np.zeros(n, bool)
    found = _keys(large)
    for key, i in _keys(small).items():
        j = found.get(key)
        if j is None:
            continue
        crops[i], points[i], has[i] = large.crops[j], large.landmarks[j, :, :2], True
    return crops, points, has


def frames_with_twin(videos: Sequence[Sequence[int]], has: np.ndarray) -> List[List[int]]:
    """The videos' frame lists without the frames that have no display twin."""
    return [[i for i in video if has[i]] for video in videos]
