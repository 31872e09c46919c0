"""All-or-nothing output files: bytes go to a hidden temporary file beside the target, which is synced to
disk and renamed onto the target only when writing finishes cleanly, and removed if it fails.

A run killed outright (SIGKILL, power loss) can leave its temporary file behind: a hidden
``.name.<random>.partial.ext`` that nothing in gvcodec reads (folders of clips are listed with
:func:`input_files`), so it is never taken for output.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.output_errors import writing
from gvcodec.io.protocols import VideoSink


def partial_path(target: Path) -> Path:
    """``dir/.name.<random>.partial<suffix>``: hidden, visibly unfinished, and keeping the suffix so
    tools that pick a format by extension still do."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial{target.suffix}")


def input_files(folder: Path, pattern: str) -> list[Path]:
    """The files of ``folder`` matching ``pattern``, sorted, leaving out hidden ones (``pathlib`` matches them):
    among those are the partial files a killed run leaves, which must never be read as inputs."""
    return sorted(path for path in folder.glob(pattern) if path.is_file() and not path.name.startswith("."))


def _sync_path(path: Path, flags: int) -> None:
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def durable_replace(temporary: Path, target: Path) -> None:
    """Move the finished ``temporary`` onto ``target`` so that a crash leaves the old file or the whole new one:
    the file's bytes reach the disk before the rename, and the folder's entry after it."""
    _sync_path(temporary, os.O_RDONLY)
    os.replace(temporary, target)
    _sync_path(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


class AtomicFileSink:
    """Wraps the sink ``open_sink(temporary_path)`` so ``target`` appears complete or not at all.

    The rename is atomic on POSIX because both names are in one folder. Leaving a ``with`` block on
    an exception, or calling :meth:`abort`, removes the temporary file; :meth:`keep` instead completes
    what was written so far. Every ``OSError`` is an ``OutputError`` naming the target.
    """

    def __init__(self, target: Path, open_sink: Callable[[Path], VideoSink]) -> None:
        self.target = target
        self.temporary = partial_path(target)
        self.frames_written = 0
        try:
            with writing(str(target)):
                self._sink = open_sink(self.temporary)
        except BaseException:
            self.temporary.unlink(missing_ok=True)
            raise
        self._done = False

    def write(self, frame: Yuv420Frame) -> None:
        with writing(str(self.target)):
            self._sink.write(frame)
        self.frames_written += 1

    def close(self) -> None:
        """Finish the inner sink, then move the file into place."""
        if self._done:
            return
        self._done = True
        try:
            with writing(str(self.target)):
                self._sink.close()
                durable_replace(self.temporary, self.target)
        except BaseException:
            self.temporary.unlink(missing_ok=True)
            raise

    def keep(self) -> None:
        """Complete the output with the frames written so far (after a failure, when a prefix is wanted)."""
        self.close()

    def abort(self) -> None:
        """Drop the output: close the inner sink and delete the temporary file."""
        if self._done:
            return
        self._done = True
        try:
            # The file is being deleted; the error that led here is the one to report, not this one.
            with contextlib.suppress(Exception):
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
    :meth:`abort` removes it. The bitstream counterpart of :class:`AtomicFileSink`; every ``OSError`` is an
    ``OutputError`` naming the target."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.temporary = partial_path(target)
        with writing(str(target)):
            self.stream = self.temporary.open("xb")

    def write(self, data: bytes) -> int:
        with writing(str(self.target)):
            return self.stream.write(data)

    def flush(self) -> None:
        with writing(str(self.target)):
            self.stream.flush()

    def commit(self) -> None:
        """Close the stream and move the file into place (removing it if that fails)."""
        try:
            with writing(str(self.target)):
                self.stream.close()
                durable_replace(self.temporary, self.target)
        except BaseException:
            self.temporary.unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        """Close the stream and delete the unfinished file."""
        try:
            # Closing flushes, which fails again on a full disk; the file goes either way.
            with contextlib.suppress(OSError):
                self.stream.close()
        finally:
            self.temporary.unlink(missing_ok=True)
