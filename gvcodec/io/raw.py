"""Headerless ``yuv420p`` streams (``ffmpeg -f rawvideo -pix_fmt yuv420p``): size and rate come
from the user, as with ``x265 --input-res WxH --fps F`` or ``ffmpeg -s WxH -r F``."""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import BinaryIO

from gvcodec.errors import InputError, TruncatedInputError
from gvcodec.io.closing import ClosesOnExit
from gvcodec.io.frames import VideoInfo, Yuv420Frame, yuv420_frame_bytes
from gvcodec.io.streams import read_exact, remaining_file_bytes


class RawYuv420Reader(ClosesOnExit):
    """Frames of a raw yuv420p stream, read as they arrive.

    On a regular file the frame count is known up front, and a size that is not a whole number of
    frames is refused at once (the usual sign of a wrong ``-s``); on a pipe a partial last frame
    raises :class:`InputError` when reached. ``close()`` closes the stream only if ``owns_stream``.
    """

    def __init__(
        self,
        stream: BinaryIO,
        width: int,
        height: int,
        fps: Fraction,
        *,
        owns_stream: bool = False,
        name: str = "raw yuv420p input",
    ) -> None:
        self._stream = stream
        self._owns_stream = owns_stream
        self.name = name
        self._frame_bytes = yuv420_frame_bytes(width, height)
        self._next_index = 0
        frame_count = None
        remaining = remaining_file_bytes(stream)
        if remaining is not None:
            if remaining % self._frame_bytes:
                raise InputError(
                    f"{name} holds {remaining} bytes, not a whole number of {width}x{height} yuv420p "
                    f"frames ({self._frame_bytes} bytes each); check the size given with -s WxH"
                )
            frame_count = remaining // self._frame_bytes
        self.info = VideoInfo(width=width, height=height, fps=Fraction(fps), frame_count=frame_count)

    def __iter__(self) -> Iterator[Yuv420Frame]:
        return self

    def __next__(self) -> Yuv420Frame:
        data = read_exact(self._stream, self._frame_bytes)
        if not data:
            raise StopIteration
        if len(data) != self._frame_bytes:
            raise TruncatedInputError(
                f"{self.name} ends inside frame {self._next_index + 1} ({len(data)} of {self._frame_bytes} bytes "
                f"of a {self.info.width}x{self.info.height} yuv420p frame): check -s WxH, or the stream was cut short",
                self._next_index,
            )
        self._next_index += 1
        return Yuv420Frame.from_bytes(data, self.info.width, self.info.height)

    def close(self) -> None:
        if self._owns_stream:
            self._stream.close()


class RawYuv420Writer(ClosesOnExit):
    """Writes frames as headerless yuv420p. ``close()`` flushes, and closes the stream only if
    ``owns_stream``."""

    kind = "raw yuv"
    frame_prefix = b""

    def __init__(self, stream: BinaryIO, width: int, height: int, *, owns_stream: bool = False) -> None:
        self._stream = stream
        self._owns_stream = owns_stream
        self._size = (width, height)
        self._closed = False

    def write(self, frame: Yuv420Frame) -> None:
        if self._closed:
            raise InputError(f"this {self.kind} writer is closed; no more frames can be written")
        if (frame.width, frame.height) != self._size:
            raise InputError(
                f"frame is {frame.width}x{frame.height} but the {self.kind} stream is {self._size[0]}x{self._size[1]}"
            )
        self._stream.write(self.frame_prefix)
        for plane in (frame.y, frame.u, frame.v):
            self._stream.write(plane.data)
        # Each frame leaves at once, so a reader downstream of a pipe is never a frame behind.
        self._stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stream.flush()
        if self._owns_stream:
            self._stream.close()
