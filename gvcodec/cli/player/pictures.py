"""A decoded frame as an RGB array or a PNG file, and a stream's frames written as PNG files."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from gvcodec.cli.player.gop_store import GopStore
from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.pyav_io import yuv420_to_av_frame


def rgb_array(frame: Yuv420Frame) -> np.ndarray:
    """The frame as ``(H, W, 3)`` uint8 RGB, converted from BT.601 limited range by swscale."""
    return yuv420_to_av_frame(frame).reformat(format="rgb24").to_ndarray()


def png_bytes(frame: Yuv420Frame) -> bytes:
    """The frame as a PNG file (RGB, 8 bits per channel)."""
    picture = av.VideoFrame.from_ndarray(rgb_array(frame), format="rgb24")
    encoder = av.CodecContext.create("png", "w")
    encoder.width, encoder.height, encoder.pix_fmt = frame.width, frame.height, "rgb24"
    return b"".join(bytes(packet) for packet in [*encoder.encode(picture), *encoder.encode(None)])


def write_pngs(store: GopStore, folder: Path) -> int:
    """Write every frame as ``folder/frame_NNNNNN.png`` (N = frame index); returns the frame count."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--frames-to {str(folder)!r} is a file; give a folder (it is created if missing)")
    folder.mkdir(parents=True, exist_ok=True)
    written, index = 0, 0
    while (gop := store.request(index).result()) is not None:
        store.request(index + 1)  # decode the next GOP while this one is written
        for offset, frame in enumerate(gop.frames):
            (folder / f"frame_{gop.first_frame + offset:06d}.png").write_bytes(png_bytes(frame))
        written += len(gop.frames)
        index += 1
    return written
