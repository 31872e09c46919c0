"""Byte-stream helpers that work the same on files and pipes (no seeking, short reads handled)."""
from __future__ import annotations

import io
import os
import stat
from typing import BinaryIO


def read_exact(stream: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, looping over short reads; fewer only at end of stream."""
    first = stream.read(size)
    if first is None or len(first) == size:
        return first or b""
    parts = [first]
    got = len(first)
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def remaining_file_bytes(stream: BinaryIO) -> int | None:
    """Bytes left after the current position if ``stream`` is a regular file, else None (pipes,
    sockets, terminals, in-memory streams): it tells whether a length can be known in advance."""
    try:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode):
            return None
        return status.st_size - stream.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
