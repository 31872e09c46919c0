"""Where a GOP sits and what size it is coded at, worked out the same way on both sides.

A GOP adding ``n`` new frames after an overlap of ``o`` frames spans ``n + o`` source frames and is coded
as the smallest ``F = r k + 1 >= n + o`` frames (``r``: the backbone's temporal factor), at a size padded
up to the backbone's pixel multiple; :mod:`gvcodec.gop.pixels` fills the padding.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from gvcodec.backbones.conditioning import latent_frame_count


def coded_frame_count(frames: int, temporal_factor: int) -> int:
    """Smallest ``r k + 1 >= frames``: the frame count a GOP of ``frames`` source frames is coded with."""
    return temporal_factor * math.ceil((frames - 1) / temporal_factor) + 1


def padded_size(width: int, height: int, multiple: int) -> tuple[int, int]:
    """``(W, H)`` rounded up to multiples of ``multiple``."""
    return multiple * math.ceil(width / multiple), multiple * math.ceil(height / multiple)


@dataclass(frozen=True)
class GopGeometry:
    """GOP ``index``: ``overlap`` frames shared with the previous GOP, then ``new_frames`` frames of its own,
    coded as ``coded_frames`` frames of ``padded_width x padded_height`` (``latent_frames`` latent frames)."""

    index: int
    overlap: int
    new_frames: int
    coded_frames: int
    latent_frames: int
    padded_width: int
    padded_height: int

    @property
    def span(self) -> int:
        """Source frames the GOP covers: its overlap and its new frames."""
        return self.overlap + self.new_frames


def gop_geometry(
    index: int, overlap: int, new_frames: int, width: int, height: int, temporal_factor: int, pixel_multiple: int
) -> GopGeometry:
    """The geometry of GOP ``index`` of a ``width x height`` stream on a backbone with these factors."""
    coded_frames = coded_frame_count(overlap + new_frames, temporal_factor)
    padded_width, padded_height = padded_size(width, height, pixel_multiple)
    return GopGeometry(
        index=index,
        overlap=overlap,
        new_frames=new_frames,
        coded_frames=coded_frames,
        latent_frames=latent_frame_count(coded_frames, temporal_factor),
        padded_width=padded_width,
        padded_height=padded_height,
    )
