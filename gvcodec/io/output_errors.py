"""Output failures as one line: an ``OSError`` while writing a named output becomes ``OutputError``
("cannot write OUT: <reason>"), so a full disk or a read-only folder is reported, not a traceback."""
from __future__ import annotations

import contextlib
from types import TracebackType
from typing import BinaryIO, Iterator

from gvcodec.errors import OutputError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.protocols import VideoSink

STDOUT_NAME = "stdout"


def output_name(target: str) -> str:
    """How an output given on a command line is named in messages: ``stdout`` for ``-``."""
    return STDOUT_NAME if target == "-" else target


@contextlib.contextmanager
def writing(target: str) -> Iterator[None]:
    """Turn an ``OSError`` in the body into ``OutputError`` naming ``target``.

    A closed pipe stays a ``BrokenPipeError``: the reader went away, which the command lines report as such.
    """
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise OutputError(f"cannot write {output_name(target)}: {reason}") from error


class GuardedStream:
    """A binary output stream whose write errors are ``OutputError`` naming ``target``."""

    def __init__(self, stream: BinaryIO, target: str) -> None:
        self._stream = stream
        self.target = target

    def write(self, data: bytes) -> int:
        with writing(self.target):
            return self._stream.write(data)

    def flush(self) -> None:
        with writing(self.target):
            self._stream.flush()


class GuardedSink:
    """A video sink whose write and close errors are ``OutputError`` naming ``target``."""

    def __init__(self, sink: VideoSink, target: str) -> None:
        self._sink = sink
        self.target = target

    def write(self, frame: Yuv420Frame) -> None:
        with writing(self.target):
            self._sink.write(frame)

    def close(self) -> None:
        with writing(self.target):
            self._sink.close()

    def __enter__(self) -> GuardedSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with writing(self.target):
            self._sink.__exit__(exc_type, exc, tb)
