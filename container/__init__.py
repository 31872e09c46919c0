"""The gvcodec bitstream container: a file header and self-delimiting GOP packets, read and written
as a stream. Imports no torch, no model and nothing of ``gvcodec``: a stream can be inspected anywhere.
"""
from __future__ import annotations

from container.records import Anchor, GopPacket, PacketRecord, SamplerParams, StreamHeader
from container.describe import describe_format
from container.errors import (
    ContainerError,
    FieldValueError,
    HeaderCrcError,
    LimitExceededError,
    MalformedStreamError,
    NotAStreamError,
    OrderError,
    PacketCrcError,
    TruncatedStreamError,
    UnknownAtomGeneratorError,
    UnsupportedVersionError,
)
from container.header import decode_header, encode_header
from container.introspect import largest_allowed, largest_value
from container.packet import decode_packet, encode_packet, packet_sections
from container.schema import FORMAT_VERSION, SUPPORTED_VERSIONS
from container.stream import StreamReader, StreamWriter

__all__ = [
    "FORMAT_VERSION",
    "SUPPORTED_VERSIONS",
    "Anchor",
    "ContainerError",
    "FieldValueError",
    "GopPacket",
    "HeaderCrcError",
    "LimitExceededError",
    "MalformedStreamError",
    "NotAStreamError",
    "OrderError",
    "PacketCrcError",
    "PacketRecord",
    "SamplerParams",
    "StreamHeader",
    "StreamReader",
    "StreamWriter",
    "TruncatedStreamError",
    "UnknownAtomGeneratorError",
    "UnsupportedVersionError",
    "decode_header",
    "decode_packet",
    "describe_format",
    "encode_header",
    "encode_packet",
    "largest_allowed",
    "largest_value",
    "packet_sections",
]
