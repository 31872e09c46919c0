"""The file header: ``StreamHeader`` to bytes and back, and reading it from the front of a stream."""
from __future__ import annotations

import dataclasses
import io
import zlib
from fractions import Fraction

from construct import ConstructError, Container

from container.byte_source import ByteSource, Tap
from container.datatypes import SamplerParams, StreamHeader
from container.errors import (
    FieldValueError,
    HeaderCrcError,
    MalformedStreamError,
    NotAStreamError,
    TruncatedStreamError,
    UnknownAtomGeneratorError,
    UnsupportedVersionError,
)
from container.introspect import check_fits, enum_name
from container.schema import (
    FORMAT_VERSION,
    FRAME_COUNT_UNKNOWN,
    MAGIC,
    SUPPORTED_ATOM_GENERATORS,
    SUPPORTED_VERSIONS,
    HeaderCrc,
    HeaderFields,
    HeaderPrefix,
)
from container.validate import check_header

_GENERATORS_TEXT = ", ".join(map(str, SUPPORTED_ATOM_GENERATORS))
_VERSIONS_TEXT = ", ".join(map(str, SUPPORTED_VERSIONS))


def encode_header(header: StreamHeader) -> bytes:
    """The file header's bytes: ``HeaderPrefix``, ``HeaderFields``, then the CRC-32 of both.

    Every value is checked first; a value the format cannot hold raises ``FieldValueError``.
    """
    if header.format_version != FORMAT_VERSION:
        raise UnsupportedVersionError(
            f"cannot write format version {header.format_version}: this release writes version {FORMAT_VERSION}"
        )
    if header.atom_generator not in SUPPORTED_ATOM_GENERATORS:
        raise UnknownAtomGeneratorError(
            f"cannot write a stream for atom generator {header.atom_generator}: "
            f"this release implements {_GENERATORS_TEXT}"
        )
    fields = _fields_of(header)
    check_fits(HeaderFields, fields, "the stream header")
    try:
        check_header(header)
    except FieldValueError as error:
        raise FieldValueError(f"cannot write the stream header: {error}") from None
    signed = HeaderPrefix.build({"format_version": header.format_version}) + HeaderFields.build(fields)
    return signed + HeaderCrc.build({"header_crc": zlib.crc32(signed)})


def decode_header(data: bytes) -> StreamHeader:
    """The header encoded in ``data``, which must hold the header and nothing else."""
    source = ByteSource(io.BytesIO(data))
    header = read_header(source)
    if not source.at_end():
        raise MalformedStreamError(
            f"{len(data) - source.offset} bytes follow the {source.offset}-byte stream header; "
            "decode_header takes the header alone (read whole streams with StreamReader)"
        )
    return header


def read_header(source: ByteSource) -> StreamHeader:
    """Parse the file header at the front of ``source``, reading exactly its bytes.

    The magic and the version are checked before the version-specific fields are read, the CRC before
    any field is trusted.
    """
    prefix = source.read(HeaderPrefix.sizeof())
    magic = prefix[: len(MAGIC)]
    if not MAGIC.startswith(magic):
        raise NotAStreamError(
            f"not a gvcodec stream: it starts with bytes {magic.hex(' ')}, a gvcodec stream with {MAGIC.hex(' ')}"
        )
    if source.ended:
        raise _truncated(source)
    version = HeaderPrefix.parse(prefix).format_version
    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedVersionError(
            f"unsupported gvcodec stream format version {version}: this release reads version {_VERSIONS_TEXT}; "
            f"decode it with a gvcodec release that reads version {version}"
        )
    tap = Tap(source)
    try:
        fields = HeaderFields.parse_stream(tap)
        stored = HeaderCrc.parse_stream(source).header_crc
    except ConstructError:
        if source.ended:
            raise _truncated(source) from None
        raise
    computed = zlib.crc32(prefix + tap.data)
    if computed != stored:
        raise HeaderCrcError(
            f"the stream header is damaged: its bytes have CRC-32 {computed:#010x}, the header says {stored:#010x}"
        )
    return _header_from(version, fields)


def _truncated(source: ByteSource) -> TruncatedStreamError:
    return TruncatedStreamError(
        f"truncated stream: the input ends at byte offset {source.offset}, inside the file header "
        "(the file was cut short or the pipe closed early)",
        offset=source.offset,
    )


def _fields_of(header: StreamHeader) -> dict[str, object]:
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
    return {
        "atom_generator": header.atom_generator,
        "width": header.width,
        "height": header.height,
        "fps_num": fps.numerator,
        "fps_den": fps.denominator,
        "pixel_format": header.pixel_format,
        "frame_count": FRAME_COUNT_UNKNOWN if header.frame_count is None else header.frame_count,
        "mode": header.mode,
        "gop_length": header.gop_length,
        "fingerprint": header.fingerprint,
        "sampler": dataclasses.asdict(header.sampler),
        "prompt": prompt,
    }


def _header_from(version: int, fields: Container) -> StreamHeader:
    if fields.atom_generator not in SUPPORTED_ATOM_GENERATORS:
        raise UnknownAtomGeneratorError(
            f"the stream needs atom generator {fields.atom_generator}, this release implements {_GENERATORS_TEXT}; "
            "decode it with the gvcodec release that wrote it or a newer one"
        )
    if fields.fps_den == 0:
        raise MalformedStreamError("the stream header is invalid: its frame rate has denominator 0")
    try:
        prompt = fields.prompt.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedStreamError(f"the stream header is invalid: its prompt is not UTF-8 ({error})") from None
    sampler = fields.sampler
    header = StreamHeader(
        width=fields.width,
        height=fields.height,
        fps=Fraction(fields.fps_num, fields.fps_den),
        frame_count=None if fields.frame_count == FRAME_COUNT_UNKNOWN else fields.frame_count,
        mode=enum_name(fields.mode, "the stream header's mode"),
        gop_length=fields.gop_length,
        fingerprint=fields.fingerprint,
        sampler=SamplerParams(
            num_steps=sampler.num_steps,
            tail_steps=sampler.tail_steps,
            shift=sampler.shift,
            g_scale=sampler.g_scale,
            codebook_size=sampler.codebook_size,
            atoms=sampler.atoms,
            seed=sampler.seed,
        ),
        prompt=prompt,
        pixel_format=enum_name(fields.pixel_format, "the stream header's pixel_format"),
        atom_generator=fields.atom_generator,
        format_version=version,
    )
    try:
        check_header(header)
    except FieldValueError as error:
        raise MalformedStreamError(f"the stream header is invalid: {error}") from None
    return header
