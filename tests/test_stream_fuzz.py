"""The stream front end under mutation: whatever the bytes, only ``StreamError`` comes out.

Mutations of the golden streams of every mode (bit flips, truncation at every header offset and at random
offsets, 1-, 2- and 4-byte fields set to 0, 1 or all ones with the CRC re-signed so the edit reaches the
checks behind it, packets dropped, repeated, swapped or spliced in from another stream) go through gvc-info's report, the codec's ``read_stream`` and the unpacking of each
packet's atom choices and tail residual. Bounded to a few seconds.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from container import StreamReader
from gvcodec.cli.info import stream_report
from gvcodec.codebook import unpack_choices
from gvcodec.codec import read_stream, read_stream_past_damage
from gvcodec.errors import StreamError
from gvcodec.residual import decode_residual, encode_residual
from gvcodec.testing.stream_mutations import PACKET_EDITS, edited, field_edit, packets_edited
from tests.test_stream_errors import STREAMS

ORIGINALS = [path.read_bytes() for path in STREAMS]


def front_end(stream: bytes) -> list:
    """The stream reader, gvc-info's report and the unpacking of atom choices the decoder runs before its
    model; returns the packets read."""
    try:
        stream_report(io.BytesIO(stream))
    except StreamError:
        pass
    header, packets = read_stream(io.BytesIO(stream))
    read = []
    for packet in packets:
        unpack_choices(packet.choices, packet.atom_counts, header.sampler.codebook_size)
        read.append(packet)
    return read


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
        must_pass_or_fail_in_one_line(field_edit(stream, offset, width, value))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(0, len(STREAMS) - 1), st.integers(0, len(STREAMS) - 1), st.sampled_from(PACKET_EDITS), st.integers(0, 2**32 - 1))
def test_a_dropped_repeated_swapped_or_spliced_packet_is_refused_or_changes_nothing_but_a_splice(
    index: int, donor: int, kind: str, seed: int
) -> None:
    stream = ORIGINALS[index]
    damaged = packets_edited(stream, ORIGINALS[donor], kind, np.random.default_rng(seed))
    try:
        read = front_end(damaged)
    except StreamError as error:
        assert "\n" not in str(error) and (error.gop_index is not None or error.offset is not None)
        return
    # A packet of another stream in the place of one with the same GOP index and frames is a valid stream.
    assert read == front_end(stream) or kind == "splice"


RESIDUAL = encode_residual(np.random.default_rng(0).integers(-3, 4, size=(4, 1, 6, 8)).astype(np.int32), 0.1)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(0, len(RESIDUAL) - 1), st.sampled_from([1, 2, 4]), st.integers(0, 2**32 - 1))
def test_any_edit_of_a_tail_residual_payload_raises_only_stream_errors(offset: int, width: int, value: int) -> None:
    try:
        decode_residual(edited(RESIDUAL, offset, width, value), 4, 6, 8)
    except StreamError as error:
        assert "\n" not in str(error)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(mutations)
def test_reading_past_damage_yields_packets_and_located_errors_whatever_the_mutation(mutation: tuple) -> None:
    index, kind, where, bit, width, value = mutation
    stream = ORIGINALS[index]
    offset = int(where * len(stream))
    damaged = {
        "flip": lambda: edited(stream, offset, 1, stream[offset] ^ (1 << bit)),
        "cut": lambda: stream[:offset],
        "field": lambda: field_edit(stream, offset, width, value),
    }[kind]()
    try:
        _, items = read_stream_past_damage(io.BytesIO(damaged))
    except StreamError:
        return  # a damaged header: nothing to read past
    for item in items:
        if isinstance(item, StreamError):
            assert "\n" not in str(item) and item.offset is not None
