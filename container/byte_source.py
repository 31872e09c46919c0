"""Forward-only reading of a binary stream, pipes included: exact reads, a byte count, a clean-end test."""
from __future__ import annotations

from typing import BinaryIO

# Reads are made in pieces of at most this size, so a damaged length field that asks for gigabytes
# reaches the end of the input instead of allocating the whole request up front.
_CHUNK = 1 << 20


class ByteSource:
    """Reads exactly the bytes asked for and counts them; never seeks or tells.

    It reads ahead at most the one byte ``at_end`` needs to tell a clean end of input from more data.
    ``read`` returns fewer bytes than asked only at the end of the input, and then sets ``ended``.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._pending = b""
        self.offset = 0
        self.ended = False

    def read(self, size: int) -> bytes:
        """``size`` bytes, or fewer if the input ends first (a pipe's short reads are joined up)."""
        parts = [self._pending[:size]]
        self._pending = self._pending[size:]
        missing = size - len(parts[0])
        while missing > 0:
            chunk = self._stream.read(min(missing, _CHUNK))
            if not chunk:
                self.ended = True
                break
            parts.append(chunk)
            missing -= len(chunk)
        data = b"".join(parts)
        self.offset += len(data)
        return data

    def skip_to(self, marker: bytes) -> None:
        """Drop bytes up to the next ``marker`` (which the next read starts with), or to the end of the input."""
        window = self._pending
        self._pending = b""
        while True:
            found = window.find(marker)
            if found >= 0:
                self.offset += found
                self._pending = window[found:]
                return
            keep = len(marker) - 1
            self.offset += max(len(window) - keep, 0)
            window = window[-keep:] if len(window) > keep else window
            chunk = self._stream.read(_CHUNK)
            if not chunk:
                self.offset += len(window)
                self.ended = True
                return
            window += chunk

    def at_end(self) -> bool:
        """Whether the input has no byte left (reads one byte ahead and keeps it for the next read)."""
        if not self._pending:
            self._pending = self._stream.read(1)
        return not self._pending


class Tap:
    """Reads through a ``ByteSource`` and keeps a copy of every byte, for a CRC over what was parsed."""

    def __init__(self, source: ByteSource) -> None:
        self._source = source
        self.data = bytearray()

    def read(self, size: int) -> bytes:
        """Like ``ByteSource.read``; the bytes are also appended to ``data``."""
        chunk = self._source.read(size)
        self.data += chunk
        return chunk
