"""Meta-learning episodes (paper §3.2): a video i, K frames of it for the embedder and one more
frame t of the same video as the target.

The whole set lives on the training device as uint8 NHWC tensors (a 128-px set is a few hundred MB
at most) and episodes are drawn there with index tensors, so a step needs no host round trip.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from . import synthetic_pair
from .mouth import mouth_opening


@dataclass
class Episode:
    video: Tensor  # [B] long: column of W
    frames: Tensor  # [B, K, 3, S, S] float in [-1, 1]
    landmarks: Tensor  # [B, K, 3, S, S]
    target: Tensor  # [B, 3, S, S]
    target_landmarks: Tensor  # [B, 3, S, S]
    # 478 landmarks (x, y) in crop pixels, when the sampler has them (warp-guided G needs them).
    source_points: Optional[Tensor] = None  # [B, K, 478, 2]
    target_points: Optional[Tensor] = None  # [B, 478, 2]
    target_index: Optional[Tensor] = None  # [B] long: the target's frame in the set (warp caches key on it)
    source_index: Optional[Tensor] = None  # [B, K] long: the sources' frames in the set
    # Colour jitter (EpisodeSampler colour_jitter > 0): per episode, a gain per channel and one offset,
    # [B, 2, 3]; `frames` and `target` carry it already, the display twins get it by jitter_colour.
    colour: Optional[Tensor] = None
    # Embedder-only episodes (EpisodeSampler embedder_only): rows whose warp source is the target
    # itself moved by `moved` [B, 2, 3] (synthetic_pair.py), not one of the K frames, which feed E only.
    synthetic: Optional[Tensor] = None  # [B] bool
    moved: Optional[Tensor] = None  # [B, 2, 3]


def jitter_colour(images: Tensor, colour: Optional[Tensor]) -> Tensor:
    """Episode b's colour change on images [B, 3, S, S] or [B, K, 3, S, S] in [-1, 1]: (x + 1)·gain − 1 +
    offset, clamped to [-1, 1]. One change for every frame of an episode (sources, target, their display
    twins), so the target stays the sources' person in the sources' light, in a light the data set may
    not have. The warp is taken from the changed sources; without clamping the two orders agree (a
    bilinear warp is an average of pixels). None: the images as they are."""
    if colour is None:
        return images
    shape = (colour.shape[0],) + (1,) * (images.dim() - 4) + (3, 1, 1)
    gain, offset = colour[:, 0].reshape(shape), colour[:, 1].reshape(shape)
    return ((images + 1) * gain - 1 + offset).clamp(-1, 1)


class EpisodeSampler:
    """Draws episodes from videos given as lists of frame indices into `crops`/`landmark_images`.

    Videos with a single frame cannot give a target different from the K inputs and are dropped.
    """

    def __init__(
        self,
        crops: np.ndarray,
        landmark_images: np.ndarray,
        videos: Sequence[Sequence[int]],
        k: int,
        device: torch.device,
        seed: int = 0,
        points: Optional[np.ndarray] = None,
        display: Optional[Tuple[np.ndarray, np.ndarray]] = None,
        mouth_focus: float = 0.0,
        cross_clip: float = 0.0,
        people: Optional[Sequence[object]] = None,
        colour_jitter: float = 0.0,
        embedder_only: Optional[Sequence[bool]] = None,
    ) -> None:
        if people is not None and len(people) != len(videos):
            raise ValueError(f"{len(people)} people for {len(videos)} videos")
        if embedder_only is not None and len(embedder_only) != len(videos):
            raise ValueError(f"{len(embedder_only)} embedder-only flags for {len(videos)} videos")
        keep = [len(v) >= 2 for v in videos]
        kept = [list(v) for v, k in zip(videos, keep) if k]
        if not kept:
            raise ValueError("no video has two frames or more")
        self.k = k
        self.device = device
        self.crops = torch.from_numpy(np.ascontiguousarray(crops)).to(device)
        self.landmark_images = torch.from_numpy(np.ascontiguousarray(landmark_images)).to(device)
        # float32 [N, 478, 2] landmarks in crop pixels, or None.
        self.points = None if points is None else torch.from_numpy(np.ascontiguousarray(points[..., :2], np.float32)).to(device)
        # The display twin (display_data.py): the same frames at a larger size and their landmarks.
        self.display_crops = None if display is None else torch.from_numpy(np.ascontiguousarray(display[0])).to(device)
        self.display_points = None if display is None else torch.from_numpy(np.ascontiguousarray(display[1], np.float32)).to(device)
        self.num_videos = len(kept)
        table, lengths = _padded(kept)
        self.frame_table = table.to(device)
        self.lengths = lengths.to(device)
        # Mouth-focused episodes (a fraction `mouth_focus` of each batch): the target is among the
        # clip's most open-mouthed quarter and the sources among its least open half, so the warp
        # stretches closed lips over an opening mouth and G must paint the interior a warp cannot.
        self.mouth_focus = float(mouth_focus)
        self.by_opening = None
        if self.mouth_focus > 0:
            if self.points is None:
                raise ValueError("mouth_focus needs the frames' landmarks (points)")
            opening = mouth_opening(self.points.cpu())
            ranked = [torch.tensor(v)[torch.argsort(opening[torch.tensor(v)], stable=True)].tolist() for v in kept]
            self.by_opening = _padded(ranked)[0].to(device)
        # Cross-clip episodes (a fraction `cross_clip` of the episodes that are not mouth-focused):
        # the target from another clip of the same person, as the app's avatars are driven (photos
        # from one occasion, the webcam on another: other light, background, hair). A video's
        # "other" frames are those of its person's other kept videos.
        self.cross_clip = float(cross_clip)
        self.other_table = self.other_lengths = None
        if self.cross_clip > 0:
            if people is None:
                raise ValueError("cross_clip needs each video's person (people)")
            owners = [who for who, k in zip(people, keep) if k]
            clips_of = defaultdict(list)
            for n, who in enumerate(owners):
                clips_of[who].append(n)
            others = [[i for j in clips_of[owners[n]] if j != n for i in kept[j]] for n in range(len(kept))]
            other_table, other_lengths = _padded(others)
            self.other_table, self.other_lengths = other_table.to(device), other_lengths.to(device)
        # Colour jitter: gains uniform in [1 − c, 1 + c] per channel and an offset uniform in [−c, c]
        # (of the [-1, 1] range) per episode; 0 draws nothing, so the episodes are those without it.
        if not 0.0 <= colour_jitter < 1.0:
            raise ValueError(f"colour_jitter must be in [0, 1), got {colour_jitter}")
        self.colour_jitter = float(colour_jitter)
        # Embedder-only videos (a CelebA person's photos of different days): their frames feed E, and
        # G warps the target moved by a small similarity (synthetic_pair.py). None when there are none,
        # so the episodes (and their random draws) are those without it.
        flags = [bool(f) for f, k in zip(embedder_only or [], keep) if k]
        self.embedder_only = torch.tensor(flags, device=device) if any(flags) else None
        if self.embedder_only is not None and self.points is None:
            raise ValueError("embedder_only needs the frames' landmarks (points)")
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(seed)

    def state_dict(self) -> dict:
        return {"rng": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["rng"])

    def display(self, index: Tensor) -> Tensor:
        """The display twins of frames `index` [B], float NCHW in [-1, 1]."""
        return self._to_float(self.display_crops[index])

    def _to_float(self, images: Tensor) -> Tensor:
        # uint8 NHWC → float NCHW in [-1, 1]; channels-last memory keeps the conv kernels fast.
        x = images.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
        return x.contiguous(memory_format=torch.channels_last)

    def sample(self, batch: int) -> Episode:
        g = self.generator
        video = torch.randint(self.num_videos, (batch,), device=self.device, generator=g)
        length = self.lengths[video]  # [B]
        # Target position t, then K source positions drawn from the other positions of the video
        # (with replacement when the video is shorter than K + 1).
        t = (torch.rand(batch, device=self.device, generator=g) * length).long()
        offset = 1 + (torch.rand(batch, self.k, device=self.device, generator=g) * (length - 1).unsqueeze(1)).long()
        sources = (t.unsqueeze(1) + offset) % length.unsqueeze(1)
        target_idx = self.frame_table[video, t]
        source_idx = self.frame_table[video.unsqueeze(1).expand(-1, self.k), sources]
        if self.by_opening is not None:
            focus = torch.rand(batch, device=self.device, generator=g) < self.mouth_focus
            quarter = (length + 3) // 4
            half = (length + 1) // 2
            top = length - 1 - (torch.rand(batch, device=self.device, generator=g) * quarter).long()
            low = (torch.rand(batch, self.k, device=self.device, generator=g) * half.unsqueeze(1)).long()
            low = torch.minimum(low, top.unsqueeze(1) - 1).clamp_min(0)  # never the target itself (length ≥ 2)
            ranked = self.by_opening[video]
            target_idx = torch.where(focus, ranked.gather(1, top.unsqueeze(1)).squeeze(1), target_idx)
            source_idx = torch.where(focus.unsqueeze(1), ranked.gather(1, low), source_idx)
        else:
            focus = torch.zeros(batch, dtype=torch.bool, device=self.device)
        if self.other_table is not None:
            others = self.other_lengths[video]
            cross = (torch.rand(batch, device=self.device, generator=g) < self.cross_clip) & (others > 0) & ~focus
            pick = (torch.rand(batch, device=self.device, generator=g) * others.clamp_min(1)).long()
            target_idx = torch.where(cross, self.other_table[video, pick], target_idx)
        colour = None
        if self.colour_jitter > 0:
            c = self.colour_jitter
            gain = 1 + c * (2 * torch.rand(batch, 3, device=self.device, generator=g) - 1)
            offset = c * (2 * torch.rand(batch, 1, device=self.device, generator=g) - 1)
            colour = torch.stack([gain, offset.expand(-1, 3)], dim=1)
        synthetic = moved = None
        if self.embedder_only is not None:
            synthetic = self.embedder_only[video]
            moved = synthetic_pair.draw(batch, g, self.device)
        source_idx = source_idx.reshape(-1)
        s = self.crops.shape[1]
        frames = jitter_colour(self._to_float(self.crops[source_idx]).reshape(batch, self.k, 3, s, s), colour)
        landmarks = self._to_float(self.landmark_images[source_idx]).reshape(batch, self.k, 3, s, s)
        return Episode(
            video=video,
            frames=frames,
            landmarks=landmarks,
            target=jitter_colour(self._to_float(self.crops[target_idx]), colour),
            target_landmarks=self._to_float(self.landmark_images[target_idx]),
            source_points=None if self.points is None else self.points[source_idx].reshape(batch, self.k, -1, 2),
            target_points=None if self.points is None else self.points[target_idx],
            target_index=target_idx,
            source_index=source_idx.reshape(batch, self.k),
            colour=colour,
            synthetic=synthetic,
            moved=moved,
        )


def _padded(rows: Sequence[Sequence[int]]) -> Tuple[Tensor, Tensor]:
    """Ragged lists of frame indices as one zero-padded long table [len(rows), longest (≥ 1)] and their lengths."""
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
    table = torch.zeros(len(rows), max(int(lengths.max()), 1), dtype=torch.long)
    for i, r in enumerate(rows):
        table[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return table, lengths


def videos_of(training_set, include_heldout: bool = False, sources: Optional[Sequence[str]] = None) -> List[List[int]]:
    """Frame-index lists, one per clip (a YouTube Faces clip, or a CelebA person's photos); only
    the people of `sources` (e.g. ["ytf"]) when given."""
    return [clip.frames.tolist() for _, clip in _clips(training_set, include_heldout, sources)]


def people_of(training_set, include_heldout: bool = False, sources: Optional[Sequence[str]] = None) -> List[Tuple[str, str]]:
    """Each `videos_of` clip's person, as (source, id): what cross-clip episodes pair clips by."""
    return [(person.source, person.id) for person, _ in _clips(training_set, include_heldout, sources)]


def _clips(training_set, include_heldout: bool, sources: Optional[Sequence[str]]):
    return [
        (person, clip)
        for person in training_set.people
        if (include_heldout or not person.heldout) and (sources is None or person.source in sources)
        for clip in person.clips
    ]
