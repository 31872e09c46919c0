"""Damaged and crafted streams: refused before any work, with one StreamError subclass naming where.

The streams are the golden streams of every mode (``tests/data/golden``); crafted headers are rebuilt
with a valid CRC, so only the limits and the order checks can catch them.
"""
from __future__ import annotations

import io
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from container.limits import LIMITS
from container.schema import FRAME_COUNT_UNKNOWN, HeaderCrc, HeaderFields, HeaderPrefix, PacketBody, PacketFrame
from gvcodec.codebook import unpack_choices
from gvcodec.codec import read_stream, read_stream_past_damage
from gvcodec.errors import StreamCorruptError, StreamError, StreamLimitError, StreamTruncatedError
from gvcodec.testing.stream_mutations import flipped, split
from tests.helpers import REPO

GOLDEN = REPO / "tests" / "data" / "golden"
STREAMS = sorted(GOLDEN.glob("*.gvc"))


def crafted_header(stream: bytes, **changes: object) -> bytes:
    """The stream's header with ``changes`` (``sampler.x`` keys for sampler fields), re-signed with its CRC."""
    prefix_size = HeaderPrefix.sizeof()
    fields = HeaderFields.parse(stream[prefix_size:])
    for key, value in changes.items():
        target = fields
        *parents, name = key.split(".")
        for parent in parents:
            target = target[parent]
        target[name] = value
    signed = stream[:prefix_size] + HeaderFields.build(fields)
    return signed + HeaderCrc.build({"header_crc": zlib.crc32(signed)})


def read_all(stream: bytes) -> int:
    """Frames the packets of ``stream`` carry, read through the codec's front end."""
    _, packets = read_stream(io.BytesIO(stream))
    return sum(packet.frame_count for packet in packets)


@pytest.mark.parametrize(
    "changes",
    [
        {"width": 65535, "height": 65535},
        {"width": 4096 * 4, "height": 4096},
        {"sampler.num_steps": 65535, "sampler.tail_steps": 3},
        {"sampler.codebook_size": 2**32 - 1, "sampler.atoms": 65535},
        {"sampler.shift": 1e-300},
        {"sampler.g_scale": 1e300},
        {"gop_length": 65533},
        {"prompt": b"x" * 70000},
        {"frame_count": LIMITS["frame_count"] + 1},
    ],
    ids=lambda changes: ",".join(changes),
)
def test_a_crafted_header_past_the_limits_is_refused_at_once_in_little_memory(changes: dict[str, object]) -> None:
    stream = crafted_header(STREAMS[0].read_bytes(), **changes)
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(StreamLimitError, match="limit|range"):
        read_all(stream)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 0.1
    assert peak < 4 << 20


@pytest.mark.parametrize("path", STREAMS, ids=lambda path: path.stem)
def test_a_dropped_packet_is_an_error_naming_it(path: Path) -> None:
    header, packets = split(path.read_bytes())
    with pytest.raises(StreamCorruptError, match="packet 0 .* carries GOP index 1, expected 0: a packet is missing") as caught:
        read_all(header + b"".join(packets[1:]))
    assert caught.value.gop_index == 0
    assert caught.value.offset == len(header)


@pytest.mark.parametrize("order", [(0, 0, 1), (1, 0), (0, 1, 1)], ids=["first_repeated", "swapped", "last_repeated"])
def test_a_repeated_or_reordered_packet_is_an_error(order: tuple[int, ...]) -> None:
    header, packets = split(STREAMS[0].read_bytes())
    with pytest.raises(StreamCorruptError, match="GOP index"):
        read_all(header + b"".join(packets[i] for i in order))


@pytest.mark.parametrize("path", STREAMS, ids=lambda path: path.stem)
def test_a_stream_cut_at_a_packet_boundary_yields_its_packets_then_fails(path: Path) -> None:
    header, packets = split(path.read_bytes())
    for kept in range(len(packets)):
        _, reader = read_stream(io.BytesIO(header + b"".join(packets[:kept])))
        yielded = []
        with pytest.raises(StreamTruncatedError, match="its header declares 7 frames"):
            for packet in reader:
                yielded.append(packet.gop_index)
        assert yielded == list(range(kept))


def test_a_packet_whose_frames_do_not_follow_is_refused() -> None:
    header, packets = split(STREAMS[0].read_bytes())
    frame = PacketFrame.parse(packets[1])
    body = bytearray(frame.body)
    body[4:8] = (99).to_bytes(4, "little")  # first_frame
    damaged = PacketFrame.build({"body": bytes(body)})
    with pytest.raises(StreamCorruptError, match="starts at frame 99, expected"):
        read_all(header + packets[0] + damaged)


def test_a_packet_of_many_large_atom_counts_is_refused_by_its_length_in_little_time() -> None:
    header, packets = split(STREAMS[0].read_bytes())
    steps = LIMITS["sampler.num_steps"]
    stream = crafted_header(
        header, **{"sampler.codebook_size": LIMITS["sampler.codebook_size"], "sampler.num_steps": steps}
    )
    body = PacketBody.parse(PacketFrame.parse(packets[0]).body)
    body.coded_steps = steps
    body.atom_counts = [LIMITS["atom_counts"]] * (steps * body.latent_frames)
    started = time.perf_counter()
    with pytest.raises(StreamCorruptError, match="atom choice payload has .* bytes"):
        decoder_front_end(stream + PacketFrame.build({"body": PacketBody.build(body)}))
    assert time.perf_counter() - started < 0.5


def decoder_front_end(stream: bytes) -> None:
    header, packets = read_stream(io.BytesIO(stream))
    for packet in packets:
        unpack_choices(packet.choices, packet.atom_counts, header.sampler.codebook_size)


def packet_moved(packet: bytes, gop_index: int, first_frame: int) -> bytes:
    """``packet`` re-signed as GOP ``gop_index`` starting at frame ``first_frame``."""
    body = PacketBody.parse(PacketFrame.parse(packet).body)
    body.gop_index, body.first_frame = gop_index, first_frame
    return PacketFrame.build({"body": PacketBody.build(body)})


def test_a_packet_after_a_short_gop_is_refused_in_a_stream_of_unknown_length() -> None:
    header, packets = split(STREAMS[0].read_bytes())
    piped = crafted_header(header, frame_count=FRAME_COUNT_UNKNOWN)
    assert read_all(piped + b"".join(packets)) == 7
    follower = packet_moved(packets[1], gop_index=2, first_frame=7)
    with pytest.raises(StreamCorruptError, match="GOP packet 2 at byte offset .* follows GOP 1, whose 2 frames") as caught:
        read_all(piped + b"".join(packets) + follower)
    assert caught.value.gop_index == 2
    assert caught.value.offset == len(piped) + len(packets[0]) + len(packets[1])


@pytest.mark.parametrize("where", ["header", "packet"])
def test_a_damaged_header_or_packet_is_refused_with_the_offset_where_it_starts(where: str) -> None:
    stream = STREAMS[0].read_bytes()
    header, packets = split(stream)
    offset = 20 if where == "header" else len(header) + len(packets[0]) + 20
    with pytest.raises(StreamCorruptError, match="damaged") as caught:
        read_all(flipped(stream, offset, 3))
    assert caught.value.offset == (0 if where == "header" else len(header) + len(packets[0]))
    assert caught.value.gop_index == (None if where == "header" else 1)


def past_damage(stream: bytes) -> list:
    """What ``read_stream_past_damage`` yields: GOP indices of packets, error class names of the rest."""
    _, items = read_stream_past_damage(io.BytesIO(stream))
    return [type(item).__name__ if isinstance(item, StreamError) else item.gop_index for item in items]


def test_reading_past_damage_resyncs_at_the_next_packet_after_garbage() -> None:
    header, packets = split(STREAMS[0].read_bytes())
    assert past_damage(header + packets[0] + b"\x00garbage\x89GO" + packets[1]) == [0, "StreamCorruptError", 1]


def test_reading_past_damage_skips_a_damaged_packet_and_reports_the_early_end() -> None:
    stream = STREAMS[0].read_bytes()
    header, packets = split(stream)
    assert past_damage(flipped(stream, len(header) + 30, 0)) == ["StreamCorruptError", 1]
    assert past_damage(header + packets[0] + packets[0] + packets[1]) == [0, "StreamCorruptError", 1]
    assert past_damage(header + packets[0]) == [0, "StreamTruncatedError"]


def test_a_packet_past_the_frame_limit_is_refused_in_a_stream_of_unknown_length() -> None:
    header, packets = split(STREAMS[0].read_bytes())
    piped = crafted_header(header, frame_count=FRAME_COUNT_UNKNOWN)
    far = packet_moved(packets[1], gop_index=1, first_frame=LIMITS["frame_count"])
    with pytest.raises(StreamLimitError, match="frame_count = .* is past this format's limit"):
        read_all(piped + packets[0] + far)
