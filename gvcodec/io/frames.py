"""The frame and stream-description types every reader and writer exchanges."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from gvcodec.errors import InputError


def chroma_size(width: int, height: int) -> tuple[int, int]:
    """Chroma plane size of 4:2:0 video: ``(ceil(W / 2), ceil(H / 2))`` as (width, height)."""
    return (width + 1) // 2, (height + 1) // 2


def yuv420_frame_bytes(width: int, height: int) -> int:
    """Bytes of one planar 8-bit 4:2:0 frame: ``W H + 2 ceil(W / 2) ceil(H / 2)``."""
    chroma_w, chroma_h = chroma_size(width, height)
    return width * height + 2 * chroma_w * chroma_h


@dataclass(frozen=True)
class Yuv420Frame:
    """One 8-bit planar 4:2:0 picture (``yuv420p``).

    ``y`` is ``(H, W)``; ``u`` (Cb) and ``v`` (Cr) are ``(ceil(H / 2), ceil(W / 2))``; all uint8 and
    C-contiguous. Frames read from files may share read-only memory with the bytes they were read
    from, so treat the planes as immutable.
    """

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray

    def __post_init__(self) -> None:
        for name in ("y", "u", "v"):
            plane = getattr(self, name)
            if not isinstance(plane, np.ndarray) or plane.dtype != np.uint8 or plane.ndim != 2:
                raise InputError(f"Yuv420Frame.{name} must be a 2-D uint8 numpy array, got {plane!r:.80}")
            if not plane.flags.c_contiguous:
                raise InputError(f"Yuv420Frame.{name} must be C-contiguous; pass np.ascontiguousarray(plane)")
        height, width = self.y.shape
        if width == 0 or height == 0:
            raise InputError(f"a frame needs a positive size, got {width}x{height}")
        chroma_w, chroma_h = chroma_size(width, height)
        for name in ("u", "v"):
            plane = getattr(self, name)
            if plane.shape != (chroma_h, chroma_w):
                raise InputError(
                    f"Yuv420Frame.{name} is {plane.shape[1]}x{plane.shape[0]} but a {width}x{height} "
                    f"4:2:0 frame needs {chroma_w}x{chroma_h} chroma planes"
                )

    @property
    def width(self) -> int:
        return int(self.y.shape[1])

    @property
    def height(self) -> int:
        return int(self.y.shape[0])

    def to_bytes(self) -> bytes:
        """The frame as raw ``yuv420p``: the Y plane, then U, then V, rows without padding."""
        return b"".join((self.y.tobytes(), self.u.tobytes(), self.v.tobytes()))

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview, width: int, height: int) -> Yuv420Frame:
        """Wrap one raw ``yuv420p`` frame (layout of :meth:`to_bytes`) without copying it."""
        expected = yuv420_frame_bytes(width, height)
        if len(data) != expected:
            raise InputError(
                f"a {width}x{height} yuv420p frame is {expected} bytes, got {len(data)}"
            )
        chroma_w, chroma_h = chroma_size(width, height)
        flat = np.frombuffer(data, dtype=np.uint8)
        luma_end = width * height
        chroma_end = luma_end + chroma_w * chroma_h
        return cls(
            y=flat[:luma_end].reshape(height, width),
            u=flat[luma_end:chroma_end].reshape(chroma_h, chroma_w),
            v=flat[chroma_end:].reshape(chroma_h, chroma_w),
        )


@dataclass(frozen=True)
class VideoInfo:
    """What a reader knows of its video before the first frame: size, rate and, if known, length."""

    width: int
    height: int
    fps: Fraction
    frame_count: int | None  # None: unknown until the stream ends (pipes, y4m without a file size)

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise InputError(f"video size must be positive, got {self.width}x{self.height}")
        if not isinstance(self.fps, Fraction) or self.fps <= 0:
            raise InputError(f"frame rate must be a positive Fraction, got {self.fps!r}")
        if self.frame_count is not None and self.frame_count < 0:
            raise InputError(f"frame count must be >= 0 or None (unknown), got {self.frame_count}")

    @property
    def frame_bytes(self) -> int:
        """Size of one raw ``yuv420p`` frame of this video."""
        return yuv420_frame_bytes(self.width, self.height)


def full_range_to_limited(frame: Yuv420Frame) -> Yuv420Frame:
    """Map full-range ("JPEG") 8-bit YCbCr to limited range, rounding to nearest.

    ``Y' = 16 + Y * 219 / 255``, ``C' = 128 + (C - 128) * 224 / 255`` (ITU-R BT.601 quantisation).
    """
    def scale(plane: np.ndarray, offset: int, gain: int, centre: int) -> np.ndarray:
        # Integer arithmetic: exact and identical on every machine.
        value = (plane.astype(np.int32) - centre) * (2 * gain) + 255
        return (offset + np.floor_divide(value, 510)).astype(np.uint8)

    return Yuv420Frame(
        y=scale(frame.y, 16, 219, 0),
        u=scale(frame.u, 128, 224, 128),
        v=scale(frame.v, 128, 224, 128),
    )


def grey_frame(width: int, height: int) -> Yuv420Frame:
    """A mid-grey ``width x height`` frame (Y = U = V = 128): what stands in for a frame when there is none."""
    chroma_width, chroma_height = chroma_size(width, height)
    return Yuv420Frame(
        y=np.full((height, width), 128, np.uint8),
        u=np.full((chroma_height, chroma_width), 128, np.uint8),
        v=np.full((chroma_height, chroma_width), 128, np.uint8),
    )
