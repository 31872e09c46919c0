"""GOP packets: ``GopPacket`` to framed bytes and back, reading one from a stream, and its byte budget."""
from __future__ import annotations

import io
import zlib

from construct import ConstError, ConstructError, Container

from container.byte_source import ByteSource
from container.errors import (
    ContainerError,
    FieldValueError,
    LimitExceededError,
    LostSyncError,
    MalformedStreamError,
    PacketCrcError,
    TruncatedStreamError,
)
from container.introspect import check_fits, enum_name
from container.records import PACKET, GopPacket
from container.schema import SYNC, PacketBody, PacketFrame
from container.validate import check_packet

def encode_packet(packet: GopPacket) -> bytes:
    """The packet's bytes as they go into a stream: sync, body length, body, CRC-32 of the body.

    Every value is checked first; a value the format cannot hold raises ``FieldValueError``.
    """
    subject = f"GOP packet {packet.gop_index}"
    fields = PACKET.fields_of(packet)
    check_fits(PacketBody, fields, subject)
    try:
        check_packet(packet)
    except FieldValueError as error:
        raise FieldValueError(f"cannot write {subject}: {error}") from None
    frame = {"body": PacketBody.build(fields)}
    check_fits(PacketFrame, frame, subject)
    return PacketFrame.build(frame)


def decode_packet(data: bytes) -> GopPacket:
    """The packet encoded in ``data`` (as ``encode_packet`` returns it), which must hold nothing else."""
    source = ByteSource(io.BytesIO(data))
    packet = read_packet(source, 0)
    if not source.at_end():
        raise MalformedStreamError(
            f"{len(data) - source.offset} bytes follow the {source.offset}-byte GOP packet; "
            "decode_packet takes one packet alone (read whole streams with StreamReader)"
        )
    return packet


def read_packet(source: ByteSource, number: int) -> GopPacket:
    """Parse the next packet of ``source``, the ``number``-th of its stream (from 0), reading exactly its bytes.

    The body's CRC is checked before any field of the body is trusted. Every error says where the packet
    starts (``packet_number``, ``offset``).
    """
    start = source.offset
    try:
        return _read_packet(source, number, start)
    except ContainerError as error:
        raise error.located(number, start) from None


def _read_packet(source: ByteSource, number: int, start: int) -> GopPacket:
    where = f"GOP packet {number} (counting from 0) at byte offset {start}"
    try:
        frame = PacketFrame.parse_stream(source)
    except ConstError:
        raise LostSyncError(
            f"lost sync: {where} does not start with {SYNC.hex(' ')}; the stream is damaged or has trailing data"
        ) from None
    except ConstructError as error:
        if source.ended:
            raise TruncatedStreamError(
                f"truncated stream: the input ends at byte offset {source.offset}, inside {where} "
                "(the file was cut short or the pipe closed early)",
                offset=source.offset,
            ) from None
        raise MalformedStreamError(f"{where} breaks the format: {_one_line(error)}") from None
    computed = zlib.crc32(frame.body)
    if computed != frame.body_crc:
        raise PacketCrcError(
            f"{where} is damaged: its body has CRC-32 {computed:#010x}, the packet says {frame.body_crc:#010x}",
            packet_number=number,
            offset=start,
        )
    try:
        body = PacketBody.parse(frame.body)
    except ConstructError as error:
        raise MalformedStreamError(f"{where} passes its CRC but its body breaks the format: {_one_line(error)}") from None
    packet = _packet_from(body, where)
    try:
        check_packet(packet)
    except LimitExceededError as error:
        raise LimitExceededError(f"{where} is refused before any decoding: {error}") from None
    except FieldValueError as error:
        raise MalformedStreamError(f"{where} is invalid: {error}") from None
    return packet


def packet_sections(packet: GopPacket, size: int) -> dict[str, int]:
    """The ``size`` bytes of an encoded packet split by purpose; the parts sum to ``size``.

    ``anchors``: anchor data; ``codebook``: the choices payload; ``residual``: the residual payload;
    ``framing``: everything else (sync, lengths, counts, atom counts, CRC).
    """
    anchors = sum(len(anchor.data) for anchor in packet.anchors)
    payload = {"anchors": anchors, "codebook": len(packet.choices), "residual": len(packet.residual)}
    return {**payload, "framing": size - sum(payload.values())}


def _one_line(error: Exception) -> str:
    """``construct`` puts the field path and the reason on separate lines; our messages are one line."""
    return " ".join(str(error).split())


def _packet_from(body: Container, where: str) -> GopPacket:
    packet = PACKET.record_from(body)
    for index, anchor in enumerate(packet.anchors):
        enum_name(anchor.role, f"{where}: anchor {index} role")
        enum_name(anchor.codec, f"{where}: anchor {index} codec")
    return packet
