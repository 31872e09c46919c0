"""Binary files named on a command line, where ``-`` means stdin or stdout: read them, or write them
all-or-nothing (a file appears under its name only when the writer finishes)."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import BinaryIO, Iterator

from gvcodec.errors import InputError
from gvcodec.io.atomic import AtomicBinaryFile


@contextlib.contextmanager
def atomic_output(target: str) -> Iterator[BinaryIO]:
    """Open ``target`` ('-' = stdout) for writing; a file appears under its name only if the body succeeds."""
    if target == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    output = AtomicBinaryFile(Path(target))
    try:
        yield output.stream
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
