"""Streaming writer and reader: a header, then GOP packets, one at a time, through files or pipes."""
from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from container.byte_source import ByteSource
from container.records import GopPacket, PacketRecord, StreamHeader
from container.errors import (
    ContainerError,
    FieldValueError,
    LostSyncError,
    MalformedStreamError,
    OrderError,
    TruncatedStreamError,
)
from container.header import encode_header, read_header
from container.packet import encode_packet, packet_sections, read_packet
from container.schema import SYNC
from container.validate import check_packet_fits_header


class StreamWriter:
    """Writes a stream front to back; never seeks, so ``stream`` may be a pipe or stdout.

    The header is written (and flushed) at construction, each packet by ``write``. A value the format
    cannot hold raises ``FieldValueError`` before any of that header's or packet's bytes are written.
    """

    def __init__(self, stream: BinaryIO, header: StreamHeader) -> None:
        data = encode_header(header)
        self._stream = stream
        self.header = header
        self.bytes_written = 0
        self._emit(data)

    def write(self, packet: GopPacket) -> int:
        """Append one GOP packet; returns the bytes written."""
        data = encode_packet(packet)
        try:
            check_packet_fits_header(self.header, packet)
        except FieldValueError as error:
            raise FieldValueError(f"cannot write GOP packet {packet.gop_index}: {error}") from None
        self._emit(data)
        return len(data)

    def _emit(self, data: bytes) -> None:
        # A raw (unbuffered) stream may take only part of a write; a buffered one takes all of it.
        view = memoryview(data)
        while view:
            view = view[self._stream.write(view) :]
        self._stream.flush()
        self.bytes_written += len(data)


class StreamReader:
    """Reads a stream front to back, exactly the bytes it needs; never seeks, so ``stream`` may be a pipe.

    The header is parsed and checked at construction; iterating yields one ``PacketRecord`` per GOP
    packet, read only when asked for, until the input ends cleanly after a packet. Packets must carry GOP
    indices 0, 1, 2, ... and frame ranges that follow each other (``OrderError`` otherwise); a stream whose
    header declares a frame count and whose packets end before it raises ``TruncatedStreamError`` after
    its last packet has been yielded.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._source = ByteSource(stream)
        self.header = read_header(self._source)
        self.header_size = self._source.offset
        self._packets_read = 0
        self._next_gop = 0
        self.frames_read = 0

    @property
    def offset(self) -> int:
        """Bytes read so far: after a record is yielded, where its packet ends."""
        return self._source.offset

    def __iter__(self) -> Iterator[PacketRecord]:
        for item in self._records(past_damage=False):
            if isinstance(item, ContainerError):
                raise item
            yield item

    def records_past_damage(self) -> Iterator[PacketRecord | ContainerError]:
        """Like iterating, for decoding past damage: a packet that cannot be used (damaged, without sync, repeated,
        out of place) is yielded as its error instead of raised, and reading goes on at the next sync marker;
        GOP indices and frames may skip ahead (the packets between are lost); an early end is yielded last."""
        return self._records(past_damage=True)

    def _records(self, past_damage: bool) -> Iterator[PacketRecord | ContainerError]:
        while not self._source.at_end():
            start = self._source.offset
            number = self._packets_read
            try:
                packet = read_packet(self._source, number)
                self._check_order(packet, number, start, allow_gaps=past_damage)
                self._check_fits_header(packet, number, start)
            except TruncatedStreamError as error:
                yield error
                return
            except LostSyncError as error:
                yield error
                self._source.skip_to(SYNC)
                continue
            except ContainerError as error:
                yield error
                continue
            size = self._source.offset - start
            self._packets_read += 1
            self._next_gop = packet.gop_index + 1
            self.frames_read = packet.first_frame + packet.frame_count
            yield PacketRecord(packet=packet, size=size, sections=packet_sections(packet, size))
        declared = self.header.frame_count
        if declared is not None and self.frames_read < declared:
            yield TruncatedStreamError(
                f"truncated stream: it ends at byte offset {self._source.offset} after {self._packets_read} GOP "
                f"packets and {self.frames_read} frames; its header declares {declared} frames "
                "(the file was cut short or packets are missing)",
                offset=self._source.offset,
            )

    def _check_fits_header(self, packet: GopPacket, number: int, start: int) -> None:
        try:
            check_packet_fits_header(self.header, packet)
        except FieldValueError as error:
            raise MalformedStreamError(
                f"GOP packet {number} (counting from 0) at byte offset {start} does not fit the stream "
                f"header: {error}",
                packet_number=number, offset=start,
            ) from None

    def _check_order(self, packet: GopPacket, number: int, start: int, allow_gaps: bool) -> None:
        where = f"GOP packet {number} (counting from 0) at byte offset {start}"
        expected = self._next_gop
        skips_ahead = allow_gaps and packet.gop_index > expected and packet.first_frame > self.frames_read
        if packet.gop_index != expected and not skips_ahead:
            raise OrderError(
                f"{where} carries GOP index {packet.gop_index}, expected {expected}: "
                + ("a packet is missing" if packet.gop_index > expected else "a packet is repeated or out of order"),
                packet_number=number, offset=start,
            )
        if packet.first_frame != self.frames_read and not skips_ahead:
            raise OrderError(
                f"{where} starts at frame {packet.first_frame}, expected {self.frames_read} after the packets before it",
                packet_number=number, offset=start,
            )
        declared = self.header.frame_count
        if declared is not None and packet.first_frame + packet.frame_count > declared:
            raise OrderError(
                f"{where} ends at frame {packet.first_frame + packet.frame_count}, past the header's "
                f"{declared} frames",
                packet_number=number, offset=start,
            )
