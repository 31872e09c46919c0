"""Damage done to real streams, for the fuzz test and ``benchmarks/fuzz.py``: bit flips, cuts, field edits
re-signed with the CRC so they reach the checks behind it, and packet drops, repeats, swaps and splices.

Every function is pure: bytes in, bytes out, with the choices made by the caller's random generator.
"""
from __future__ import annotations

import io
import zlib

import numpy as np

from container import StreamReader
from gvcodec.errors import InputError

CRC_SIZE = 4
# A packet's CRC covers its body, which starts after the sync marker and the body length.
PACKET_BODY_START = 8
FIELD_WIDTHS = (1, 2, 4)
FIELD_VALUES = (0, 1, -1)
"""Values a field edit writes: 0, 1, and all ones (-1 modulo the field's width)."""


def split(stream: bytes) -> tuple[bytes, list[bytes]]:
    """A stream's header bytes and each packet's bytes."""
    reader = StreamReader(io.BytesIO(stream))
    sizes = [record.size for record in reader]
    packets, offset = [], reader.header_size
    for size in sizes:
        packets.append(stream[offset : offset + size])
        offset += size
    return stream[: reader.header_size], packets


def header_size(stream: bytes) -> int:
    """Bytes in the file header of an intact ``stream``."""
    return StreamReader(io.BytesIO(stream)).header_size


def flipped(stream: bytes, offset: int, bit: int) -> bytes:
    """``stream`` with bit ``bit`` (0-7) of byte ``offset`` inverted."""
    data = bytearray(stream)
    data[offset] ^= 1 << bit
    return bytes(data)


def edited(stream: bytes, offset: int, width: int, value: int) -> bytes:
    """``stream`` with the ``width``-byte little-endian field at ``offset`` set to ``value`` modulo its range
    (cut at the end of the stream)."""
    data = bytearray(stream)
    data[offset : offset + width] = (value % (1 << (8 * width))).to_bytes(width, "little")[: len(data) - offset]
    return bytes(data)


def resigned(original: bytes, stream: bytes, offset: int) -> bytes:
    """``stream``, an edit of ``original`` at ``offset``, with the CRC of the header or packet there recomputed."""
    reader = StreamReader(io.BytesIO(original))
    size = reader.header_size
    data = bytearray(stream)
    if offset < size - CRC_SIZE:
        data[size - CRC_SIZE : size] = zlib.crc32(data[: size - CRC_SIZE]).to_bytes(CRC_SIZE, "little")
        return bytes(data)
    start = size
    for record in reader:
        end = start + record.size
        if start + PACKET_BODY_START <= offset < end - CRC_SIZE:
            data[end - CRC_SIZE : end] = zlib.crc32(data[start + PACKET_BODY_START : end - CRC_SIZE]).to_bytes(
                CRC_SIZE, "little"
            )
        start = end
    return bytes(data)


def field_edit(original: bytes, offset: int, width: int, value: int) -> bytes:
    """The field edit at ``offset``, re-signed: a crafted stream whose CRCs hold."""
    return resigned(original, edited(original, offset, width, value), offset)


PACKET_EDITS = ("drop", "repeat", "swap", "splice")


def packets_edited(stream: bytes, donor: bytes, kind: str, rng: np.random.Generator) -> bytes:
    """``stream`` with one packet dropped, repeated (in place or elsewhere), two packets swapped, or one
    replaced by (or followed by) a packet of ``donor``, another stream; the choices come from ``rng``."""
    header, packets = split(stream)
    count = len(packets)
    first = int(rng.integers(count))
    if kind == "drop":
        del packets[first]
    elif kind == "repeat":
        packets.insert(int(rng.integers(count + 1)), packets[first])
    elif kind == "swap":
        second = int(rng.integers(count))
        packets[first], packets[second] = packets[second], packets[first]
    elif kind == "splice":
        _, donor_packets = split(donor)
        spliced = donor_packets[int(rng.integers(len(donor_packets)))]
        if rng.integers(2):
            packets[first] = spliced
        else:
            packets.insert(int(rng.integers(count + 1)), spliced)
    else:
        raise InputError(f"packet edit {kind!r} is not one of {', '.join(PACKET_EDITS)}")
    return header + b"".join(packets)
