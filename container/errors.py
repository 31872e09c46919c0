"""Errors of the bitstream container: each says what was wrong, where, and what was expected.

The codec maps them to ``gvcodec.errors.StreamError``; ``container`` imports nothing of ``gvcodec`` so
that a stream can be inspected without the model stack.
"""
from __future__ import annotations


class ContainerError(Exception):
    """Base of every error the container raises on purpose: ``packet_number`` (the GOP packet's place in the
    stream, from 0) and ``offset`` (the byte offset where the header or packet starts) say where, when known."""

    def __init__(self, message: str, packet_number: int | None = None, offset: int | None = None) -> None:
        super().__init__(message)
        self.packet_number = packet_number
        self.offset = offset

    def located(self, packet_number: int | None, offset: int) -> ContainerError:
        """This error, placed at ``offset`` (and ``packet_number``) unless it already says where it is."""
        if self.offset is None:
            self.packet_number, self.offset = packet_number, offset
        return self


class NotAStreamError(ContainerError):
    """The input does not start with the gvcodec magic."""


class UnsupportedVersionError(ContainerError):
    """The stream's format version is not one this release reads or writes."""


class UnknownAtomGeneratorError(ContainerError):
    """The stream needs an atom generator this release does not implement."""


class HeaderCrcError(ContainerError):
    """The file header's bytes do not match its CRC-32."""


class PacketError(ContainerError):
    """An error about one GOP packet: its number in the stream and the byte offset where it starts."""

    def __init__(self, message: str, packet_number: int, offset: int) -> None:
        super().__init__(message, packet_number, offset)


class PacketCrcError(PacketError):
    """A GOP packet's body does not match its CRC-32."""


class TruncatedStreamError(ContainerError):
    """The input ended inside the file header or inside a GOP packet."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message, offset=offset)


class MalformedStreamError(ContainerError):
    """Bytes that break the format although no CRC caught them: lost packet sync, unknown codes, bad values."""


class LostSyncError(MalformedStreamError):
    """A GOP packet does not start with the sync marker: the bytes before it were damaged or cut."""


class FieldValueError(ContainerError):
    """A value handed to the writer does not fit the format."""


class LimitExceededError(FieldValueError):
    """A value is past one of the format's limits (``container/limits.py``): on read, refused before any work."""


class OrderError(PacketError):
    """A GOP packet is missing, repeated or out of place, or the stream ends before its declared frame count."""
