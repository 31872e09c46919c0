"""All-or-nothing output files: frames go to a hidden temporary file beside the target, which is
renamed onto the target only when the sink closes cleanly, and removed if writing fails."""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.protocols import VideoSink


def partial_path(target: Path) -> Path:
    """``dir/.name.<random>.partial<suffix>``: hidden, visibly unfinished, and keeping the suffix so
    tools that pick a format by extension still do."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial{target.suffix}")


class AtomicFileSink:
    """Wraps the sink ``open_sink(temporary_path)`` so ``target`` appears complete or not at all.

    The rename is atomic on POSIX because both names are in one folder. Leaving a ``with`` block on
    an exception, or calling :meth:`abort`, removes the temporary file.
    """

    def __init__(self, target: Path, open_sink: Callable[[Path], VideoSink]) -> None:
        self.target = target
        self.temporary = partial_path(target)
        try:
            self._sink = open_sink(self.temporary)
        except BaseException:
            self.temporary.unlink(missing_ok=True)
            raise
        self._done = False

    def write(self, frame: Yuv420Frame) -> None:
        self._sink.write(frame)

    def close(self) -> None:
        """Finish the inner sink, then move the file into place."""
        if self._done:
            return
        self._done = True
        try:
            self._sink.close()
            os.replace(self.temporary, self.target)
        except BaseException:
            self.temporary.unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        """Drop the output: close the inner sink and delete the temporary file."""
        if self._done:
            return
        self._done = True
        try:
            self._sink.close()
        finally:
            self.temporary.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFileSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class AtomicBinaryFile:
    """A byte stream written under :func:`partial_path` and moved onto ``target`` by :meth:`commit`;
    :meth:`abort` removes it. The bitstream counterpart of :class:`AtomicFileSink`."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.temporary = partial_path(target)
        self.stream = self.temporary.open("xb")

    def commit(self) -> None:
        """Close the stream and move the file into place (removing it if that fails)."""
        try:
            self.stream.close()
            os.replace(self.temporary, self.target)
        except BaseException:
            self.temporary.unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        """Close the stream and delete the unfinished file."""
        self.stream.close()
        self.temporary.unlink(missing_ok=True)
