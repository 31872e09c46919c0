"""The stream front end under mutation: whatever the bytes, only ``StreamError`` comes out.

Mutations of the golden streams of every mode (bit flips, truncation at every header offset and at random
offsets, 1-, 2- and 4-byte fields set to 0, 1 or all ones with the CRC re-signed so the edit reaches the
checks behind it) go through gvc-info's report, the codec's ``read_stream`` and the unpacking of each
packet's atom choices and tail residual. Bounded to a few seconds.
"""
from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from container import StreamReader
from gvcodec.cli.info import stream_report
from gvcodec.codebook import unpack_choices
from gvcodec.codec import read_stream
from gvcodec.errors import StreamError
from gvcodec.residual import decode_residual, encode_residual
from tests.test_stream_errors import STREAMS

ORIGINALS = [path.read_bytes() for path in STREAMS]


def front_end(stream: bytes) -> None:
    """The stream reader, gvc-info's report and the unpacking of atom choices the decoder runs before its model."""
    try:
        stream_report(io.BytesIO(stream))
    except StreamError:
        pass
    header, packets = read_stream(io.BytesIO(stream))
    for packet in packets:
        unpack_choices(packet.choices, packet.atom_counts, header.sampler.codebook_size)


def resigned(original: bytes, stream: bytes, offset: int) -> bytes:
    """``stream``, an edit of ``original`` at ``offset``, with the CRC of the header or packet there recomputed."""
    reader = StreamReader(io.BytesIO(original))
    data = bytearray(stream)
    if offset < reader.header_size - 4:
        data[reader.header_size - 4 : reader.header_size] = zlib.crc32(data[: reader.header_size - 4]).to_bytes(4, "little")
        return bytes(data)
    start = reader.header_size
    for record in reader:
        end = start + record.size
        if start + 8 <= offset < end - 4:
            data[end - 4 : end] = zlib.crc32(data[start + 8 : end - 4]).to_bytes(4, "little")
        start = end
    return bytes(data)


def edited(stream: bytes, offset: int, width: int, value: int) -> bytes:
    data = bytearray(stream)
    data[offset : offset + width] = (value % (1 << (8 * width))).to_bytes(width, "little")[: len(data) - offset]
    return bytes(data)


def must_pass_or_fail_in_one_line(stream: bytes) -> None:
    try:
        front_end(stream)
    except StreamError as error:
        assert str(error) and "\n" not in str(error)


@pytest.mark.parametrize("index", range(len(STREAMS)), ids=[path.stem for path in STREAMS])
def test_a_stream_cut_at_any_header_offset_is_a_truncated_stream_error(index: int) -> None:
    stream = ORIGINALS[index]
    header_size = StreamReader(io.BytesIO(stream)).header_size
    for cut in range(header_size):
        with pytest.raises(StreamError):
            front_end(stream[:cut])


mutations = st.tuples(
    st.integers(0, len(STREAMS) - 1),
    st.sampled_from(["flip", "cut", "field"]),
    st.floats(0, 1, exclude_max=True),
    st.integers(0, 7),
    st.sampled_from([1, 2, 4]),
    st.sampled_from([0, 1, -1]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(mutations)
def test_any_mutation_of_a_real_stream_raises_only_stream_errors(mutation: tuple) -> None:
    index, kind, where, bit, width, value = mutation
    stream = ORIGINALS[index]
    offset = int(where * len(stream))
    if kind == "flip":
        must_pass_or_fail_in_one_line(edited(stream, offset, 1, stream[offset] ^ (1 << bit)))
    elif kind == "cut":
        with pytest.raises(StreamError):
            front_end(stream[:offset])
    else:
        must_pass_or_fail_in_one_line(resigned(stream, edited(stream, offset, width, value), offset))


RESIDUAL = encode_residual(np.random.default_rng(0).integers(-3, 4, size=(4, 1, 6, 8)).astype(np.int32), 0.1)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(0, len(RESIDUAL) - 1), st.sampled_from([1, 2, 4]), st.integers(0, 2**32 - 1))
def test_any_edit_of_a_tail_residual_payload_raises_only_stream_errors(offset: int, width: int, value: int) -> None:
    try:
        decode_residual(edited(RESIDUAL, offset, width, value), 4, 6, 8)
    except StreamError as error:
        assert "\n" not in str(error)
