"""Copying a picture plane that a C caller hands over as (pointer, stride) into a numpy array."""
from __future__ import annotations

import numpy as np

from gvcodec.errors import InputError


def plane_byte_span(width: int, height: int, stride: int) -> int:
    """Bytes a plane of ``height`` rows spans from its first pixel: ``(height - 1) stride + width``.

    The last row ends after ``width`` bytes: a caller's buffer need not hold the last row's padding.
    """
    return (height - 1) * stride + width


def check_stride(width: int, stride: int, name: str) -> None:
    """Refuse a stride shorter than a row (negative strides, i.e. bottom-up pictures, included)."""
    if stride < width:
        raise InputError(f"the {name} plane's stride is {stride} bytes, less than its width {width}; "
                         "strides must be >= the plane width (negative strides are not supported)")


def copy_plane(buffer: memoryview | bytes, width: int, height: int, stride: int, name: str) -> np.ndarray:
    """A C-contiguous ``(height, width)`` uint8 copy of a plane whose rows start ``stride`` bytes apart."""
    check_stride(width, stride, name)
    span = plane_byte_span(width, height, stride)
    if len(buffer) < span:
        raise InputError(f"the {name} plane holds {len(buffer)} bytes, a {width}x{height} plane with "
                         f"stride {stride} needs {span}")
    flat = np.frombuffer(buffer, dtype=np.uint8, count=span)
    rows = np.lib.stride_tricks.as_strided(flat, shape=(height, width), strides=(stride, 1), writeable=False)
    return np.array(rows, order="C")
