"""Binary files named on a command line, where ``-`` means stdin or stdout: read them, or write them
all-or-nothing (a file appears under its name only when the writer finishes)."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

from gvcodec.errors import InputError
from gvcodec.io.atomic import AtomicBinaryFile
from gvcodec.io.output_errors import GuardedStream


class BinaryOutput(Protocol):
    """Where an output's bytes go: written in order, flushed when a part is complete."""

    def write(self, data: bytes) -> int: ...

    def flush(self) -> None: ...


@contextlib.contextmanager
def atomic_output(target: str) -> Iterator[BinaryOutput]:
    """Open ``target`` ('-' = stdout) for writing; a file appears under its name only if the body succeeds.

    Write errors (a full disk, a read-only folder) are ``OutputError`` naming ``target``; on any failure,
    interrupts included, the unfinished file is removed.
    """
    if target == "-":
        stdout = GuardedStream(sys.stdout.buffer, target)
        yield stdout
        stdout.flush()
        return
    output = AtomicBinaryFile(Path(target))
    try:
        yield output
    except BaseException:
        output.abort()
        raise
    output.commit()


@contextlib.contextmanager
def open_binary_input(source: str) -> Iterator[BinaryIO]:
    """Open ``source`` ('-' = stdin) for reading bytes."""
    if source == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = open(source, "rb")
    except FileNotFoundError as error:
        raise InputError(f"input file {source!r} does not exist") from error
    with stream:
        yield stream
