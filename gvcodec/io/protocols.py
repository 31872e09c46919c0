"""What the codec needs of a video source and of a video sink, whatever the file type."""
from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Protocol

from gvcodec.io.frames import VideoInfo, Yuv420Frame


class VideoSource(Protocol):
    """Frames in decode order, with what is known of the video up front. Iterate once; close after."""

    info: VideoInfo

    def __iter__(self) -> Iterator[Yuv420Frame]: ...

    def close(self) -> None: ...

    def __enter__(self) -> VideoSource: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class VideoSink(Protocol):
    """Accepts frames of one size. ``close`` completes the output; leaving the ``with`` block on an
    exception discards a file output instead of completing it."""

    def write(self, frame: Yuv420Frame) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> VideoSink: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
