"""The format specification as text, generated from the ``construct`` declarations in ``schema.py``."""
from __future__ import annotations

from construct import Struct

from container.introspect import field_rows
from container.schema import FILE_HEADER, FORMAT_VERSION, PacketBody, PacketFrame

_INDENT = "  "

_PREAMBLE = f"""\
gvcodec bitstream, format version {FORMAT_VERSION}

A stream is one FileHeader followed by GopPackets until the end of the input; a reader can take it
packet by packet from a pipe. Every integer is unsigned little-endian (u8, u16, u32, u64); f64 is an
IEEE 754 binary64, little-endian; bytes[n] is n raw bytes, and a field name inside the brackets is
the value of that earlier field of the same structure. CRC-32 is zlib.crc32 (ISO-HDLC, as in zip and
PNG). A struct's fields follow it, indented; T[count] repeats T count times."""

_SECTIONS: tuple[tuple[str, tuple[Struct, ...]], ...] = (
    ("FileHeader", FILE_HEADER),
    ("GopPacket", (PacketFrame,)),
    ("GopPacket body", (PacketBody,)),
)


def describe_format() -> str:
    """A human-readable specification of the file header and the GOP packets, one line per field."""
    blocks = [_PREAMBLE]
    for title, parts in _SECTIONS:
        rows = [row for part in parts for row in field_rows(part)]
        name_width = max(len(_INDENT * (depth + 1) + name) for depth, name, _, _ in rows)
        type_width = max(len(kind) for _, _, kind, _ in rows)
        lines = [title]
        for depth, name, kind, docs in rows:
            lines.append(f"{(_INDENT * (depth + 1) + name):<{name_width}}  {kind:<{type_width}}  {docs}".rstrip())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
