"""The bitstream container: layout, round trips, streaming through pipes, and damage detection."""
from __future__ import annotations

import dataclasses
import io
import os
import struct
import subprocess
import sys
import threading
import zlib
from fractions import Fraction

import pytest
from construct import Array, Renamed, Struct
from hypothesis import given, settings
from hypothesis import strategies as st

from container import (
    Anchor,
    FieldValueError,
    GopPacket,
    HeaderCrcError,
    MalformedStreamError,
    NotAStreamError,
    PacketCrcError,
    SamplerParams,
    StreamHeader,
    StreamReader,
    StreamWriter,
    TruncatedStreamError,
    UnknownAtomGeneratorError,
    UnsupportedVersionError,
    decode_header,
    decode_packet,
    describe_format,
    encode_header,
    encode_packet,
)
from container.limits import G_SCALE_RANGE, LIMITS, SHIFT_RANGE
from container.schema import FILE_HEADER, PacketBody, PacketFrame
from tests.helpers import REPO, eval_clip


HEADER = StreamHeader(
    width=352,
    height=288,
    fps=Fraction(30000, 1001),
    frame_count=40,
    mode="i2v",
    gop_length=17,
    fingerprint=bytes(range(32)),
    sampler=SamplerParams(
        num_steps=20, tail_steps=3, shift=5.0, g_scale=3.0, codebook_size=16384, atoms=64, seed=1234
    ),
    prompt="a man talks, 工地",
)


def _packet(gop_index: int, payload: int = 100) -> GopPacket:
    anchors = (Anchor(role="last", codec="libsvtav1", quality=35, data=b"\x00\x01" * (gop_index + 3)),)
    if gop_index == 0:
        anchors = (Anchor(role="first", codec="libx265", quality=28, data=b"anchor-bytes"), *anchors)
    return GopPacket(
        gop_index=gop_index,
        first_frame=16 * gop_index,
        frame_count=16 if gop_index < 2 else 8,
        anchors=anchors,
        coded_steps=17,
        latent_frames=5,
        atom_counts=tuple(64 + (i % 3) * 32 for i in range(17 * 5)),
        choices=bytes((gop_index * 7 + i) % 256 for i in range(payload)),
        residual=b"" if gop_index == 2 else b"\x7f" * 9,
    )


PACKETS = (_packet(0), _packet(1), _packet(2))


def _stream(packets: tuple[GopPacket, ...] = PACKETS) -> bytes:
    sink = io.BytesIO()
    writer = StreamWriter(sink, HEADER)
    for packet in packets:
        writer.write(packet)
    return sink.getvalue()


def _spec_header(
    *, version: int = 1, atom_generator: int = 2, mode_code: int = 1, gop_length: int = 17, crc_delta: int = 0
) -> bytes:
    """HEADER laid out by hand from the written format description, independently of the schema."""
    prompt = HEADER.prompt.encode("utf-8")
    signed = struct.pack(
        "<4sHBHHIIBQBH32sHHddIHII",
        b"\x89GVC", version, atom_generator, 352, 288, 30000, 1001, 0, 40, mode_code, gop_length,
        bytes(range(32)), 20, 3, 5.0, 3.0, 16384, 64, 1234, len(prompt),
    ) + prompt
    return signed + struct.pack("<I", (zlib.crc32(signed) + crc_delta) % 2**32)


def _spec_packet(packet: GopPacket) -> bytes:
    """A packet laid out by hand from the written format description, independently of the schema."""
    roles, codecs = {"first": 0, "last": 1}, {"libsvtav1": 0, "libx265": 1}
    body = struct.pack("<IIHB", packet.gop_index, packet.first_frame, packet.frame_count, len(packet.anchors))
    for anchor in packet.anchors:
        body += struct.pack("<BBBI", roles[anchor.role], codecs[anchor.codec], anchor.quality, len(anchor.data))
        body += anchor.data
    body += struct.pack(f"<HH{len(packet.atom_counts)}H", packet.coded_steps, packet.latent_frames, *packet.atom_counts)
    body += struct.pack("<I", len(packet.choices)) + packet.choices
    body += struct.pack("<I", len(packet.residual)) + packet.residual
    return b"\x89GOP" + struct.pack("<I", len(body)) + body + struct.pack("<I", zlib.crc32(body))


# --- layout and round trips -------------------------------------------------------------------------


def test_header_bytes_follow_the_specified_layout() -> None:
    assert encode_header(HEADER) == _spec_header()
    assert decode_header(_spec_header()) == HEADER


def test_packet_bytes_follow_the_specified_layout() -> None:
    for packet in PACKETS:
        assert encode_packet(packet) == _spec_packet(packet)
        assert decode_packet(_spec_packet(packet)) == packet


_samplers = st.integers(1, LIMITS["sampler.num_steps"]).flatmap(
    lambda steps: st.builds(
        SamplerParams,
        num_steps=st.just(steps),
        tail_steps=st.integers(0, steps),
        shift=st.floats(*SHIFT_RANGE),
        g_scale=st.floats(*G_SCALE_RANGE),
        codebook_size=st.integers(1, LIMITS["sampler.codebook_size"]),
        atoms=st.just(1),
        seed=st.integers(0, 2**32 - 1),
    )
)
_headers = st.builds(
    StreamHeader,
    width=st.integers(1, LIMITS["width"]),
    height=st.integers(1, LIMITS["height"]),
    fps=st.builds(Fraction, st.integers(1, 2**32 - 1), st.integers(1, 2**32 - 1)),
    frame_count=st.none() | st.integers(0, LIMITS["frame_count"]),
    mode=st.sampled_from(["t2v", "i2v", "flf2v"]),
    gop_length=st.integers(0, (LIMITS["gop_length"] - 1) // 4).map(lambda k: 4 * k + 1),
    fingerprint=st.binary(min_size=32, max_size=32),
    sampler=_samplers,
    prompt=st.text(max_size=40),
)


@settings(max_examples=60, deadline=None)
@given(_headers, st.integers(1, LIMITS["sampler.atoms"]))
def test_any_valid_header_round_trips(header: StreamHeader, atoms: int) -> None:
    sampler = dataclasses.replace(header.sampler, atoms=min(atoms, header.sampler.codebook_size))
    header = dataclasses.replace(header, sampler=sampler)
    assert decode_header(encode_header(header)) == header


_anchors = st.lists(
    st.builds(
        Anchor,
        role=st.sampled_from(["first", "last"]),
        codec=st.sampled_from(["libsvtav1", "libx265"]),
        quality=st.integers(0, 255),
        data=st.binary(max_size=64),
    ),
    max_size=2,
    unique_by=lambda anchor: anchor.role,
)
_packets = st.tuples(st.integers(0, 6), st.integers(0, 6)).flatmap(
    lambda shape: st.builds(
        GopPacket,
        gop_index=st.integers(0, 2**32 - 1),
        first_frame=st.integers(0, LIMITS["frame_count"] - 65535),
        frame_count=st.integers(1, 65535),
        anchors=_anchors,
        coded_steps=st.just(shape[0]),
        latent_frames=st.just(shape[1]),
        atom_counts=st.lists(st.integers(0, LIMITS["atom_counts"]), min_size=shape[0] * shape[1], max_size=shape[0] * shape[1]),
        choices=st.binary(max_size=200),
        residual=st.binary(max_size=50),
    )
)


@settings(max_examples=80, deadline=None)
@given(_packets)
def test_any_valid_packet_round_trips(packet: GopPacket) -> None:
    assert decode_packet(encode_packet(packet)) == packet


# --- streaming --------------------------------------------------------------------------------------


def test_reader_takes_packets_from_an_os_pipe_as_they_are_written() -> None:
    # Packet 1 is written only once the reader has yielded packet 0: a reader that read ahead, read all
    # or seeked would block or fail here. The large payload forces short reads on the unbuffered pipe.
    packets = (_packet(0, payload=300_000), _packet(1), _packet(2))
    read_fd, write_fd = os.pipe()
    first_packet_seen = threading.Event()
    failures: list[str] = []

    def produce() -> None:
        try:
            with os.fdopen(write_fd, "wb") as sink:
                writer = StreamWriter(sink, HEADER)
                writer.write(packets[0])
                if not first_packet_seen.wait(timeout=20):
                    failures.append("the reader did not yield packet 0 before packet 1 was written")
                for packet in packets[1:]:
                    writer.write(packet)
        except Exception as error:  # reported by the test below, not swallowed
            failures.append(repr(error))

    producer = threading.Thread(target=produce)
    producer.start()
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        reader = StreamReader(pipe)
        received = []
        for record in reader:
            received.append(record.packet)
            first_packet_seen.set()
    producer.join(timeout=20)
    assert not failures
    assert reader.header == HEADER
    assert tuple(received) == packets


def test_sections_add_up_to_each_packet_and_packets_to_the_file() -> None:
    data = _stream()
    reader = StreamReader(io.BytesIO(data))
    records = list(reader)
    assert reader.header_size == len(encode_header(HEADER))
    assert reader.header_size + sum(record.size for record in records) == len(data)
    for record, packet in zip(records, PACKETS, strict=True):
        assert set(record.sections) == {"anchors", "codebook", "residual", "framing"}
        assert sum(record.sections.values()) == record.size == len(encode_packet(packet))
        assert record.sections["anchors"] == sum(len(anchor.data) for anchor in packet.anchors)
        assert record.sections["codebook"] == len(packet.choices)
        assert record.sections["residual"] == len(packet.residual)


def test_writer_returns_the_bytes_it_wrote() -> None:
    sink = io.BytesIO()
    writer = StreamWriter(sink, HEADER)
    sizes = [writer.write(packet) for packet in PACKETS]
    assert len(sink.getvalue()) == len(encode_header(HEADER)) + sum(sizes) == writer.bytes_written


def test_stream_with_unknown_frame_count_round_trips() -> None:
    header = dataclasses.replace(HEADER, frame_count=None)
    sink = io.BytesIO()
    StreamWriter(sink, header).write(PACKETS[0])
    assert StreamReader(io.BytesIO(sink.getvalue())).header.frame_count is None


# --- damage and foreign input -----------------------------------------------------------------------


@pytest.mark.parametrize("damaged", [0, 1, 2])
def test_one_flipped_body_byte_is_a_crc_error_naming_the_packet_and_offset(damaged: int) -> None:
    data = bytearray(_stream())
    offsets = [len(encode_header(HEADER))]
    for packet in PACKETS:
        offsets.append(offsets[-1] + len(encode_packet(packet)))
    data[offsets[damaged] + 8 + 5] ^= 0x10  # a byte of the body (sync and length are 8 bytes)
    reader = StreamReader(io.BytesIO(bytes(data)))
    intact = []
    with pytest.raises(PacketCrcError) as caught:
        for record in reader:
            intact.append(record.packet)
    assert tuple(intact) == PACKETS[:damaged]
    assert caught.value.packet_number == damaged
    assert caught.value.offset == offsets[damaged]
    assert f"GOP packet {damaged}" in str(caught.value)
    assert f"byte offset {offsets[damaged]}" in str(caught.value)


def _cut_points() -> list[int]:
    header_size = len(encode_header(HEADER))
    first_end = header_size + len(encode_packet(PACKETS[0]))
    return [0, 3, 5, 40, header_size - 1, header_size + 2, header_size + 6, header_size + 100, first_end - 1]


@pytest.mark.parametrize("cut", _cut_points())
def test_a_truncated_stream_is_reported_as_truncated_at_its_end(cut: int) -> None:
    data = _stream()[:cut]
    with pytest.raises(TruncatedStreamError) as caught:
        list(StreamReader(io.BytesIO(data)))
    assert caught.value.offset == cut
    assert "truncated" in str(caught.value)
    assert f"byte offset {cut}" in str(caught.value)


def test_a_y4m_clip_is_not_a_gvcodec_stream() -> None:
    with open(eval_clip("foreman_352x288.y4m"), "rb") as clip:
        with pytest.raises(NotAStreamError, match="not a gvcodec stream"):
            StreamReader(clip)


def test_a_short_foreign_input_is_not_a_gvcodec_stream() -> None:
    with pytest.raises(NotAStreamError, match="not a gvcodec stream"):
        StreamReader(io.BytesIO(b"YU"))


def test_a_future_format_version_is_refused_naming_the_supported_one() -> None:
    data = bytearray(_stream())
    data[4:6] = struct.pack("<H", 2)
    with pytest.raises(UnsupportedVersionError, match=r"version 2.*reads version 1"):
        StreamReader(io.BytesIO(bytes(data)))


def test_a_damaged_header_is_a_header_crc_error() -> None:
    data = bytearray(_stream())
    data[7] ^= 0x01  # the low byte of width
    with pytest.raises(HeaderCrcError, match="header is damaged"):
        StreamReader(io.BytesIO(bytes(data)))
    with pytest.raises(HeaderCrcError):
        decode_header(_spec_header(crc_delta=1))


def test_an_unknown_atom_generator_is_refused_on_read_and_write() -> None:
    with pytest.raises(UnknownAtomGeneratorError, match="atom generator 3"):
        decode_header(_spec_header(atom_generator=3))
    with pytest.raises(UnknownAtomGeneratorError):
        StreamWriter(io.BytesIO(), dataclasses.replace(HEADER, atom_generator=3))


def test_both_atom_generators_are_read_back() -> None:
    for generator in (1, 2):
        assert decode_header(_spec_header(atom_generator=generator)).atom_generator == generator


def test_the_writer_refuses_a_format_version_it_does_not_write() -> None:
    sink = io.BytesIO()
    with pytest.raises(UnsupportedVersionError, match="writes version 1"):
        StreamWriter(sink, dataclasses.replace(HEADER, format_version=2))
    assert sink.getvalue() == b""


def test_an_unknown_mode_code_is_a_malformed_stream() -> None:
    with pytest.raises(MalformedStreamError, match="mode has code 9"):
        decode_header(_spec_header(mode_code=9))


def test_a_header_breaking_the_design_is_a_malformed_stream() -> None:
    with pytest.raises(MalformedStreamError, match="gop_length = 0 must be at least 1"):
        decode_header(_spec_header(gop_length=0))


def test_a_packet_exceeding_its_header_is_a_malformed_stream() -> None:
    oversized = dataclasses.replace(PACKETS[0], frame_count=HEADER.gop_length + 1)
    data = encode_header(HEADER) + encode_packet(oversized)
    with pytest.raises(MalformedStreamError, match="GOP packet 0 .* does not fit the stream header"):
        list(StreamReader(io.BytesIO(data)))


def test_bytes_after_the_last_packet_are_lost_sync() -> None:
    data = _stream() + b"garbage!"
    reader = iter(StreamReader(io.BytesIO(data)))
    for _ in PACKETS:
        next(reader)
    with pytest.raises(MalformedStreamError, match="lost sync: GOP packet 3"):
        next(reader)


def test_decode_header_refuses_extra_bytes() -> None:
    with pytest.raises(MalformedStreamError, match="follow the"):
        decode_header(_stream())


# --- validation on write ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"width": 70000}, r"width = 70000 does not fit u16"),
        ({"height": 0}, r"height = 0 must be at least 1"),
        ({"fps": 29.97}, r"fps = 29.97 must be a Fraction"),
        ({"fps": Fraction(1, 2**33)}, r"fps_den = \d+ does not fit u32"),
        ({"frame_count": -1}, r"frame_count = -1 does not fit u64"),
        ({"mode": "v2v"}, r"mode = 'v2v' is not one of t2v, i2v, flf2v"),
        ({"pixel_format": "yuv444p"}, r"pixel_format = 'yuv444p' is not one of yuv420p"),
        ({"gop_length": 0}, r"gop_length = 0 must be at least 1"),
        ({"fingerprint": b"short"}, r"fingerprint has 5 bytes; the format needs exactly 32"),
        ({"prompt": "\udc80"}, r"prompt is not valid text"),
        ({"sampler": dataclasses.replace(HEADER.sampler, tail_steps=21)}, r"sampler.tail_steps = 21"),
        ({"sampler": dataclasses.replace(HEADER.sampler, atoms=70000)}, r"sampler.atoms = 70000 does not fit u16"),
        ({"sampler": dataclasses.replace(HEADER.sampler, shift=float("nan"))}, r"sampler.shift = nan"),
    ],
)
def test_a_header_value_the_format_cannot_hold_raises_before_writing(changes: dict, message: str) -> None:
    sink = io.BytesIO()
    with pytest.raises(FieldValueError, match=message):
        StreamWriter(sink, dataclasses.replace(HEADER, **changes))
    assert sink.getvalue() == b""


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"atom_counts": (64,) * 84}, r"atom_counts has 84 entries; the format needs coded_steps \* latent_frames"),
        ({"atom_counts": (1025,) * 85}, r"atom_counts = 1025 is past this format's limit of 1024"),
        ({"gop_index": 2**32}, r"gop_index = 4294967296 does not fit u32"),
        ({"frame_count": 18}, r"carries 18 frames, more than gop_length = 17"),
        ({"frame_count": 0}, r"frame_count = 0 must be at least 1"),
        ({"anchors": (Anchor("first", "h264", 1, b""),)}, r"anchors\[0\].codec = 'h264' is not one of"),
        ({"anchors": (Anchor("last", "libx265", 256, b""),)}, r"anchors\[0\].quality = 256 does not fit u8"),
        ({"anchors": (Anchor("last", "libx265", 1, b""),) * 2}, r"anchor roles \['last', 'last'\] repeat"),
        ({"choices": "text"}, r"choices must be bytes, not str"),
    ],
)
def test_a_packet_value_the_format_cannot_hold_raises_before_writing(changes: dict, message: str) -> None:
    sink = io.BytesIO()
    writer = StreamWriter(sink, HEADER)
    written = sink.getvalue()
    with pytest.raises(FieldValueError, match=message):
        writer.write(dataclasses.replace(PACKETS[1], **changes))
    assert sink.getvalue() == written


# --- the generated specification ------------------------------------------------------------------


def _schema_field_names(struct_: Struct) -> list[str]:
    names = []
    for sub in struct_.subcons:
        if sub.name is None:
            continue
        names.append(sub.name)
        inner = sub
        while isinstance(inner, Renamed):
            inner = inner.subcon
        if isinstance(inner, Array):
            inner = inner.subcon
        if isinstance(inner, Struct):
            names.extend(_schema_field_names(inner))
    return names


def test_describe_format_mentions_every_field_of_the_schema() -> None:
    text = describe_format()
    lines = text.splitlines()
    names = [name for part in (*FILE_HEADER, PacketFrame, PacketBody) for name in _schema_field_names(part)]
    assert len(names) > 40
    for name in names:
        assert any(line.split()[:1] == [name] for line in lines), name
    for spec_word in ("FileHeader", "GopPacket", "89 47 56 43", "bytes[32]", "u16[coded_steps * latent_frames]"):
        assert spec_word in text


def test_python_m_container_prints_the_generated_specification() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "container"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout == describe_format()


def test_container_imports_no_torch_and_nothing_of_gvcodec() -> None:
    probe = "import sys, container; print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'gvcodec')))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
