"""Where a training frame is not the video: the black bands a face crop gets where it reaches past
the video's edge (about 9% of YouTube Faces crops have one at the top, a few % at the sides).

A target's bands are an artefact of where its crop lay in its video, not part of the person, and no
landmark says where they are: a generator asked to reproduce them learns to darken the frame's
borders on average, which the app then shows on every frame (on the held-out talking-head clips,
FF was further from the truth than the warp in the outer 12 px of every clip at T = 8).
`ignore_padding` takes them out of the reconstruction losses.

The bands are found from the pixels (dark rows and columns from each edge) because the training set
does not record where a crop left its video; scripts/prepare-training-set.ts knows, and once its
shards store that rectangle, this detection should give way to it (a dark studio wall at a crop's
edge is taken for padding here: it only drops that band from the losses).
"""
from __future__ import annotations

import torch
from torch import Tensor

# A row or column whose brightest value is below this (0-255) is padding (black, JPEG-noisy).
PADDING_LEVEL = 12


def padding_mask(images: Tensor, level: float = PADDING_LEVEL) -> Tensor:
    """[B, 1, H, W] bool, True on the bands of images [B, C, H, W] (in [-1, 1]) that are padding:
    the rows (columns) from each edge inward whose every value is darker than `level`, up to the
    first one that is not."""
    dark = images.float().amax(dim=1) < (level / 127.5 - 1.0)  # [B, H, W]
    rows, cols = dark.all(dim=2), dark.all(dim=1)  # [B, H], [B, W]

    def from_edges(lines: Tensor) -> Tensor:
        """Lines in an unbroken run of padding from either end."""
        ints = lines.to(torch.int32)
        return (ints.cumprod(dim=1) | ints.flip(1).cumprod(dim=1).flip(1)).bool()

    band_rows, band_cols = from_edges(rows), from_edges(cols)
    return (band_rows[:, :, None] | band_cols[:, None, :]).unsqueeze(1)


def ignore_padding(shown: Tensor, real: Tensor) -> Tensor:
    """The target `real` with its padding bands replaced by the generated frame's own pixels
    (detached): every loss then sees no error there, and sends no gradient from there."""
    return torch.where(padding_mask(real), shown.detach().to(real.dtype), real)
