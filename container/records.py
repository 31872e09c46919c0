"""The in-memory form of a stream, one frozen dataclass per structure of ``schema.py``, and the ``construct``
adapter that builds a structure from its dataclass and parses it back.

:class:`Record` matches a dataclass's fields to the structure's fields by name, nested dataclasses and
tuples of them included, so a field is declared in the schema and named in its dataclass and written
nowhere else. Only what differs between the two forms is written out, once, in :class:`HeaderRecord`: the
frame rate (a ``Fraction``, two integers on disk), an unknown frame count (``None``, a reserved value on
disk) and the prompt (text, UTF-8 bytes on disk).
"""
from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from construct import Adapter, Construct, Container

from container.errors import FieldValueError, MalformedStreamError, UnknownAtomGeneratorError
from container.schema import (
    ATOM_GENERATOR,
    FORMAT_VERSION,
    FRAME_COUNT_UNKNOWN,
    SUPPORTED_ATOM_GENERATORS,
    HeaderFields,
    PacketBody,
)


@dataclass(frozen=True)
class SamplerParams:
    """The sampler settings the decoder must reproduce (DESIGN.md section 1)."""

    num_steps: int
    tail_steps: int
    shift: float
    g_scale: float
    codebook_size: int
    atoms: int
    seed: int


@dataclass(frozen=True)
class StreamHeader:
    """Everything a decoder needs before the first GOP packet.

    ``frame_count`` is ``None`` when unknown (a stream written to a pipe); ``mode`` is one of
    ``"t2v"``, ``"i2v"``, ``"flf2v"``.
    """

    width: int
    height: int
    fps: Fraction
    frame_count: int | None
    mode: str
    gop_length: int
    fingerprint: bytes
    sampler: SamplerParams
    prompt: str
    pixel_format: str = "yuv420p"
    atom_generator: int = ATOM_GENERATOR
    format_version: int = FORMAT_VERSION


@dataclass(frozen=True)
class Anchor:
    """An intra-coded anchor frame of a GOP; ``role`` is ``"first"`` or ``"last"``."""

    role: str
    codec: str
    quality: int
    data: bytes


@dataclass(frozen=True)
class GopPacket:
    """One GOP: its frame range, anchors, per-(step, latent frame) atom counts and coded payloads.

    ``atom_counts`` is row major, step then latent frame, ``coded_steps * latent_frames`` values.
    Sequences given as lists are stored as tuples, so equal packets compare equal.
    """

    gop_index: int
    first_frame: int
    frame_count: int
    anchors: tuple[Anchor, ...]
    coded_steps: int
    latent_frames: int
    atom_counts: tuple[int, ...]
    choices: bytes
    residual: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors", tuple(self.anchors))
        object.__setattr__(self, "atom_counts", tuple(self.atom_counts))


@dataclass(frozen=True)
class PacketRecord:
    """A packet as read from a stream, with its size on disk split by purpose.

    ``sections`` has the keys ``"anchors"`` (anchor data), ``"codebook"`` (the choices payload),
    ``"residual"`` (the residual payload) and ``"framing"`` (every other byte: sync, lengths, counts,
    atom counts, CRC); they sum to ``size`` exactly.
    """

    packet: GopPacket
    size: int
    sections: dict[str, int]


def _plain(value: Any) -> Any:
    """A dataclass as the mapping ``construct`` builds from (recursively); tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _typed(kind: Any, value: Any) -> Any:
    """A parsed value as the dataclass field of type ``kind`` holds it (nested dataclasses, tuples of them)."""
    if dataclasses.is_dataclass(kind):
        return _record(kind, value)
    if typing.get_origin(kind) is tuple:
        (item, _) = typing.get_args(kind)
        return tuple(_typed(item, element) for element in value)
    if isinstance(value, str):
        return str(value)  # an Enum field's name, a str subclass, as a plain str
    return value


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _record(kind: type, fields: Mapping[str, Any]) -> Any:
    hints = _hints(kind)
    return kind(**{field.name: _typed(hints[field.name], fields[field.name]) for field in dataclasses.fields(kind)
                   if field.name in fields})


class Record(Adapter):
    """``subcon`` built from a ``kind`` dataclass and parsed into one, field by field name."""

    def __init__(self, subcon: Construct, kind: type) -> None:
        super().__init__(subcon)
        self.kind = kind

    def fields_of(self, record: Any) -> dict[str, Any]:
        """The mapping ``subcon`` builds from (what ``introspect.check_fits`` checks)."""
        return _plain(record)

    def record_from(self, fields: Mapping[str, Any]) -> Any:
        """The dataclass of a parsed mapping."""
        return _record(self.kind, fields)

    def _encode(self, obj: Any, context: Container, path: str) -> dict[str, Any]:
        return self.fields_of(obj)

    def _decode(self, obj: Container, context: Container, path: str) -> Any:
        return self.record_from(obj)


class HeaderRecord(Record):
    """The header's fields, with the frame rate, an unknown frame count and the prompt converted."""

    def fields_of(self, header: StreamHeader) -> dict[str, Any]:
        if isinstance(header.fps, bool) or not isinstance(header.fps, (Fraction, int)):
            raise FieldValueError(
                f"cannot write the stream header: fps = {header.fps!r} must be a Fraction, e.g. Fraction(30000, 1001)"
            )
        if not isinstance(header.prompt, str):
            raise FieldValueError(
                f"cannot write the stream header: prompt must be a str, not {type(header.prompt).__name__}"
            )
        try:
            prompt = header.prompt.encode("utf-8")
        except UnicodeEncodeError as error:
            raise FieldValueError(f"cannot write the stream header: the prompt is not valid text ({error})") from None
        fps = Fraction(header.fps)
        fields = super().fields_of(header)
        del fields["fps"], fields["format_version"]
        frame_count = FRAME_COUNT_UNKNOWN if header.frame_count is None else header.frame_count
        return {**fields, "fps_num": fps.numerator, "fps_den": fps.denominator, "frame_count": frame_count,
                "prompt": prompt}

    def record_from(self, fields: Mapping[str, Any]) -> StreamHeader:
        """The header of parsed fields; a value no valid header has raises ``MalformedStreamError``, an atom
        generator this release lacks ``UnknownAtomGeneratorError`` (the format version is set by the reader)."""
        if fields["atom_generator"] not in SUPPORTED_ATOM_GENERATORS:
            raise UnknownAtomGeneratorError(
                f"the stream needs atom generator {fields['atom_generator']}, this release implements "
                f"{', '.join(map(str, SUPPORTED_ATOM_GENERATORS))}; "
                "decode it with the gvcodec release that wrote it or a newer one"
            )
        if fields["fps_den"] == 0:
            raise MalformedStreamError("the stream header is invalid: its frame rate has denominator 0")
        try:
            prompt = fields["prompt"].decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedStreamError(f"the stream header is invalid: its prompt is not UTF-8 ({error})") from None
        frame_count = None if fields["frame_count"] == FRAME_COUNT_UNKNOWN else fields["frame_count"]
        fps = Fraction(fields["fps_num"], fields["fps_den"])
        return _record(self.kind, {**fields, "fps": fps, "frame_count": frame_count, "prompt": prompt})


HEADER = HeaderRecord(HeaderFields, StreamHeader)
PACKET = Record(PacketBody, GopPacket)
