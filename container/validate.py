"""Rules of the format that field types cannot express.

They run after ``introspect.check_fits`` has checked types and ranges (or after a parse, which
guarantees both): on write they raise ``FieldValueError`` before any byte is written; on read the reader
turns that error into a ``MalformedStreamError`` that says where the bad value was.
"""
from __future__ import annotations

import math

from container.records import GopPacket, StreamHeader
from container.errors import FieldValueError, LimitExceededError
from container.limits import G_SCALE_RANGE, LIMITS, SHIFT_RANGE
from container.schema import FRAME_COUNT_UNKNOWN


def _check_limit(path: str, value: int) -> None:
    if value > LIMITS[path]:
        raise LimitExceededError(f"{path} = {value} is past this format's limit of {LIMITS[path]}")


def check_header_limits(header: StreamHeader) -> None:
    """Raise ``LimitExceededError`` if a header value is past ``container.limits``; costs nothing to run."""
    sampler = header.sampler
    for path, value in (
        ("width", header.width), ("height", header.height), ("gop_length", header.gop_length),
        ("sampler.num_steps", sampler.num_steps), ("sampler.tail_steps", sampler.tail_steps),
        ("sampler.codebook_size", sampler.codebook_size), ("sampler.atoms", sampler.atoms),
        ("prompt_length", len(header.prompt.encode("utf-8"))),
        ("frame_count", 0 if header.frame_count is None else header.frame_count),
    ):
        _check_limit(path, value)
    for name, value, (low, high) in (("shift", sampler.shift, SHIFT_RANGE), ("g_scale", sampler.g_scale, G_SCALE_RANGE)):
        if not low <= value <= high:
            raise LimitExceededError(f"sampler.{name} = {value} is outside this format's range [{low:g}, {high:g}]")


def check_header(header: StreamHeader) -> None:
    """Raise ``FieldValueError`` if the header's values contradict each other or the design, or
    ``LimitExceededError`` if one is past the format's limits."""
    if header.fps <= 0:
        raise FieldValueError(f"fps = {header.fps} must be positive")
    for name in ("width", "height"):
        if getattr(header, name) < 1:
            raise FieldValueError(f"{name} = {getattr(header, name)} must be at least 1")
    if header.frame_count == FRAME_COUNT_UNKNOWN:
        raise FieldValueError(f"frame_count = {FRAME_COUNT_UNKNOWN:#x} is reserved; pass None for an unknown count")
    # Which lengths a model can code (r k + 1 for its temporal factor r) is the codec's rule, not the format's.
    if header.gop_length < 1:
        raise FieldValueError(f"gop_length = {header.gop_length} must be at least 1")
    sampler = header.sampler
    if sampler.num_steps < 1:
        raise FieldValueError(f"sampler.num_steps = {sampler.num_steps} must be at least 1")
    if not 0 <= sampler.tail_steps <= sampler.num_steps:
        raise FieldValueError(
            f"sampler.tail_steps = {sampler.tail_steps} must be between 0 and num_steps = {sampler.num_steps}"
        )
    if not (math.isfinite(sampler.shift) and sampler.shift > 0):
        raise FieldValueError(f"sampler.shift = {sampler.shift} must be a positive finite number")
    if not (math.isfinite(sampler.g_scale) and sampler.g_scale >= 0):
        raise FieldValueError(f"sampler.g_scale = {sampler.g_scale} must be a finite number >= 0")
    if not 1 <= sampler.atoms <= sampler.codebook_size:
        raise FieldValueError(
            f"sampler.atoms = {sampler.atoms} must be between 1 and codebook_size = {sampler.codebook_size}"
        )
    check_header_limits(header)


def check_packet(packet: GopPacket) -> None:
    """Raise ``FieldValueError`` if the packet's values contradict each other, ``LimitExceededError`` if
    one is past the format's limits."""
    for anchor in packet.anchors:
        _check_limit("data_length", len(anchor.data))
    if packet.atom_counts:
        _check_limit("atom_counts", max(packet.atom_counts))
    _check_limit("frame_count", packet.first_frame + packet.frame_count)
    if packet.frame_count < 1:
        raise FieldValueError(f"frame_count = {packet.frame_count} must be at least 1")
    roles = [anchor.role for anchor in packet.anchors]
    if len(set(roles)) != len(roles):
        raise FieldValueError(f"anchor roles {roles} repeat; a GOP has at most one first and one last anchor")


def check_packet_fits_header(header: StreamHeader, packet: GopPacket) -> None:
    """Raise ``FieldValueError`` if the packet asks for more than its stream header allows."""
    if packet.frame_count > header.gop_length:
        raise FieldValueError(
            f"GOP {packet.gop_index} carries {packet.frame_count} frames, more than gop_length = {header.gop_length}"
        )
    if packet.coded_steps > header.sampler.num_steps or packet.latent_frames > header.gop_length:
        raise FieldValueError(
            f"GOP {packet.gop_index} declares {packet.coded_steps} coded steps x {packet.latent_frames} latent frames; "
            f"the header allows at most {header.sampler.num_steps} x {header.gop_length}"
        )
    codebook_size = header.sampler.codebook_size
    too_many = [count for count in packet.atom_counts if count > codebook_size]
    if too_many:
        raise FieldValueError(
            f"GOP {packet.gop_index} keeps {max(too_many)} atoms at some (step, frame), "
            f"more than codebook_size = {codebook_size}"
        )
