"""Decoding past damage (``gvc-dec --ignore-errors``): every GOP that cannot be decoded, because its packet is
damaged, missing or fails to decode, stands in as the last good frame repeated over its span, which comes
from the packets around it or, at the end, from the header's frame count and the mode's GOP plan.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from container import GopPacket, StreamHeader
from gvcodec.codec import Decoder
from gvcodec.errors import StreamError, StreamTruncatedError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.modes import MODES
from gvcodec.modes.base import Mode

MISSING = "its packet is missing"


@dataclass(frozen=True)
class DecodedGop:
    """A GOP decoded as coded."""

    gop_index: int
    frames: list[Yuv420Frame]


@dataclass(frozen=True)
class ConcealedGop:
    """A GOP that could not be decoded: ``frames`` stand in for its ``len(frames)`` frames from ``first_frame``."""

    gop_index: int
    first_frame: int
    frames: list[Yuv420Frame]
    reason: str


@dataclass(frozen=True)
class IgnoredData:
    """Damaged or misplaced bytes between GOPs that no GOP's span needed (a repeated packet, say)."""

    reason: str


def decode_past_damage(
    header: StreamHeader, items: Iterator[GopPacket | StreamError], decoder: Decoder
) -> Iterator[DecodedGop | ConcealedGop | IgnoredData]:
    """Every GOP of the stream in order, decoded or concealed, from ``read_stream_past_damage``'s items.

    The errors met since the last good packet name the GOPs concealed before the next one, in order; a GOP
    with no error left to name is one whose packet is missing.
    """
    mode = MODES[header.mode]
    next_gop, frames_out = 0, 0
    errors: list[StreamError] = []
    for item in items:
        if isinstance(item, StreamError):
            errors.append(item)
            continue
        yield from _conceal_span(decoder, mode, header.gop_length, next_gop, item.gop_index,
                                 frames_out, item.first_frame, errors)
        errors = []
        gop: DecodedGop | ConcealedGop
        try:
            gop = DecodedGop(item.gop_index, decoder.decode_yuv(item))
        except StreamError as error:
            gop = ConcealedGop(item.gop_index, item.first_frame, decoder.conceal(item.gop_index, item.frame_count), str(error))
        yield gop
        next_gop, frames_out = item.gop_index + 1, item.first_frame + item.frame_count
    if header.frame_count is not None and frames_out < header.frame_count:
        end_gop = len(mode.gop_frame_ranges(header.frame_count, header.gop_length))
        yield from _conceal_span(decoder, mode, header.gop_length, next_gop, max(end_gop, next_gop + 1),
                                 frames_out, header.frame_count, errors)
    else:
        yield from (IgnoredData(str(error)) for error in errors)


def _conceal_span(
    decoder: Decoder, mode: Mode, gop_length: int, first_gop: int, end_gop: int,
    first_frame: int, end_frame: int, errors: list[StreamError],
) -> Iterator[ConcealedGop | IgnoredData]:
    """Conceal GOPs ``first_gop .. end_gop - 1``, covering frames ``first_frame .. end_frame - 1``: each a full
    GOP of the plan, the last one whatever remains; then report the errors no GOP took.

    The errors name the GOPs in order; an early end (always the last error) names every GOP left after them,
    and is dropped when they name them all, since then it only repeats that their packets are lost.
    """
    truncation = errors[-1] if errors and isinstance(errors[-1], StreamTruncatedError) else None
    reasons = iter(errors[:-1] if truncation else errors)
    gop, frame = first_gop, first_frame
    while gop < end_gop and frame < end_frame:
        count = end_frame - frame if gop == end_gop - 1 else min(mode.new_frames(gop, gop_length), end_frame - frame)
        reason = next(reasons, truncation)
        yield ConcealedGop(gop, frame, decoder.conceal(gop, count), MISSING if reason is None else str(reason))
        gop, frame = gop + 1, frame + count
    yield from (IgnoredData(str(error)) for error in reasons)
