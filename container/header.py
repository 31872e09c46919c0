"""The file header: ``StreamHeader`` to bytes and back, and reading it from the front of a stream."""
from __future__ import annotations

import dataclasses
import io
import zlib

from construct import ConstructError, Container

from container.byte_source import ByteSource, Tap
from container.errors import (
    ContainerError,
    FieldValueError,
    HeaderCrcError,
    LimitExceededError,
    MalformedStreamError,
    NotAStreamError,
    TruncatedStreamError,
    UnknownAtomGeneratorError,
    UnsupportedVersionError,
)
from container.introspect import check_fits, enum_name
from container.records import HEADER, StreamHeader
from container.schema import (
    FORMAT_VERSION,
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
    fields = HEADER.fields_of(header)
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
    any field is trusted. Every error says where the header starts (``offset``).
    """
    start = source.offset
    try:
        return _read_header(source)
    except ContainerError as error:
        raise error.located(None, start) from None


def _read_header(source: ByteSource) -> StreamHeader:
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
    except ConstructError as error:
        if source.ended:
            raise _truncated(source) from None
        raise MalformedStreamError(f"the stream header breaks the format: {' '.join(str(error).split())}") from None
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


def _header_from(version: int, fields: Container) -> StreamHeader:
    header = dataclasses.replace(HEADER.record_from(fields), format_version=version)
    enum_name(header.mode, "the stream header's mode")
    enum_name(header.pixel_format, "the stream header's pixel_format")
    try:
        check_header(header)
    except LimitExceededError as error:
        raise LimitExceededError(f"the stream header is refused before any decoding: {error}") from None
    except FieldValueError as error:
        raise MalformedStreamError(f"the stream header is invalid: {error}") from None
    return header
