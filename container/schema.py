"""The gvcodec bitstream, format version 1, declared once as ``construct`` structures.

``header.py`` and ``packet.py`` build and parse with these declarations, ``introspect.py`` checks values
against them before anything is written, and ``describe.py`` prints the format specification from them.
A stream is one file header followed by self-delimiting GOP packets until the end of the input.
"""
from __future__ import annotations

import zlib

from construct import (
    Array,
    Bytes,
    Const,
    Enum,
    Float64l,
    Int8ul,
    Int16ul,
    Int32ul,
    Int64ul,
    Rebuild,
    Struct,
    Terminated,
    len_,
    this,
)

FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
ATOM_GENERATOR = 2
SUPPORTED_ATOM_GENERATORS = (1, 2)

# 0x89 (not ASCII, as in PNG) makes text-mode transfers and y4m/text inputs fail the check at once.
MAGIC = b"\x89GVC"
SYNC = b"\x89GOP"
FRAME_COUNT_UNKNOWN = 2**64 - 1
FINGERPRINT_SIZE = 32

PIXEL_FORMATS = {"yuv420p": 0}
MODES = {"t2v": 0, "i2v": 1, "flf2v": 2}
ANCHOR_ROLES = {"first": 0, "last": 1}
ANCHOR_CODECS = {"libsvtav1": 0, "libx265": 1}

HeaderPrefix = Struct(
    "magic" / Const(MAGIC) * "identifies a gvcodec stream",
    "format_version" / Int16ul
    * f"layout of every following byte; this release reads {', '.join(map(str, SUPPORTED_VERSIONS))}",
)

SamplerFields = Struct(
    "num_steps" / Int16ul * "N, sampler steps per GOP",
    "tail_steps" / Int16ul * "n_tail, the last steps, run as plain ODE steps that cost no bits",
    "shift" / Float64l * "timestep shift s: t -> s t / (1 + (s - 1) t)",
    "g_scale" / Float64l * "SDE noise scale: g(t) = g_scale t^2",
    "codebook_size" / Int32ul * "K, atoms drawn per (coded step, latent frame)",
    "atoms" / Int16ul * "M, the default number of atoms kept per (coded step, latent frame)",
    "seed" / Int32ul * "stream seed keying the atom generator and the initial noise x_T",
)

HeaderFields = Struct(
    "atom_generator" / Int8ul
    * f"id of the atom generator the stream needs; this release implements "
    f"{', '.join(map(str, SUPPORTED_ATOM_GENERATORS))}",
    "width" / Int16ul * "source width in pixels, before any padding",
    "height" / Int16ul * "source height in pixels, before any padding",
    "fps_num" / Int32ul * "frame rate numerator",
    "fps_den" / Int32ul * "frame rate denominator",
    "pixel_format" / Enum(Int8ul, **PIXEL_FORMATS) * "pixel format of the source and of the decoded frames",
    "frame_count" / Int64ul * f"source frames in the stream; {FRAME_COUNT_UNKNOWN:#x} = unknown (written to a pipe)",
    "mode" / Enum(Int8ul, **MODES) * "conditioning mode",
    "gop_length" / Int16ul * "pixel frames per GOP, r k + 1 for the model's temporal factor r (4 for Wan2.1)",
    "fingerprint" / Bytes(FINGERPRINT_SIZE) * "digest of the backbone (config and weights) the stream needs",
    "sampler" / SamplerFields * "sampler parameters",
    "prompt_length" / Rebuild(Int32ul, len_(this.prompt)) * "bytes in prompt",
    "prompt" / Bytes(this.prompt_length) * "text prompt, UTF-8, may be empty",
)

HeaderCrc = Struct(
    "header_crc" / Int32ul * "CRC-32 of every preceding header byte, magic through prompt",
)

# The file header is these parts back to back; they are parsed one by one so that the magic and the
# version are checked before the version-specific layout is read.
FILE_HEADER = (HeaderPrefix, HeaderFields, HeaderCrc)

AnchorFields = Struct(
    "role" / Enum(Int8ul, **ANCHOR_ROLES) * "which frame of the GOP the anchor is",
    "codec" / Enum(Int8ul, **ANCHOR_CODECS) * "how data is coded",
    "quality" / Int8ul * "quality setting the anchor encoder used (CRF or QP), for reports",
    "data_length" / Rebuild(Int32ul, len_(this.data)) * "bytes in data",
    "data" / Bytes(this.data_length) * "the coded anchor frame",
)

PacketBody = Struct(
    "gop_index" / Int32ul * "index of the GOP, from 0",
    "first_frame" / Int32ul * "index of the GOP's first source frame",
    "frame_count" / Int16ul * "source frames this GOP carries, padding frames not counted",
    "anchor_count" / Rebuild(Int8ul, len_(this.anchors)) * "entries in anchors",
    "anchors" / Array(this.anchor_count, AnchorFields) * "intra-coded anchor frames",
    "coded_steps" / Int16ul * "sampler steps that carry codebook choices",
    "latent_frames" / Int16ul * "latent frames per coded step",
    "atom_counts" / Array(this.coded_steps * this.latent_frames, Int16ul)
    * "atoms kept per (coded step, latent frame), row major: step, then frame",
    "choices_length" / Rebuild(Int32ul, len_(this.choices)) * "bytes in choices",
    "choices" / Bytes(this.choices_length) * "rank-coded atom index sets and their signs",
    "residual_length" / Rebuild(Int32ul, len_(this.residual)) * "bytes in residual",
    "residual" / Bytes(this.residual_length) * "tail latent residual correction, may be empty",
    Terminated,
)

PacketFrame = Struct(
    "sync" / Const(SYNC) * "starts every GOP packet",
    "body_length" / Rebuild(Int32ul, len_(this.body)) * "bytes in body",
    "body" / Bytes(this.body_length) * "the packet body, laid out as below",
    "body_crc" / Rebuild(Int32ul, lambda ctx: zlib.crc32(ctx.body)) * "CRC-32 of body",
)
