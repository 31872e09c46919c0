"""Intra coding of anchor frames through PyAV: one picture in, the codec's bytes out, and back.

An anchor is coded as a single key frame with a conventional still-image-capable video codec and
decoded in-process with the matching decoder. Encoder and decoder of gvcodec both condition on the
*decoded* anchor (:func:`code_anchor` returns it), so they see the same pixels.

Codecs (the ``quality`` is the codec's CRF, lower is better):

- ``libsvtav1``: AV1 all-intra, decoded by ``libdav1d``; CRF 0..63.
- ``libx265``: HEVC intra, decoded by FFmpeg's ``hevc``; CRF 0..51.

Frames of odd width or height are padded by edge replication to even size for coding and cropped
after decoding, because both encoders need whole 4:2:0 chroma samples.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from gvcodec.errors import InputError, InstallError, StreamError
from gvcodec.io.frames import Yuv420Frame, chroma_size
from gvcodec.io.pyav_io import av_frame_to_yuv420, yuv420_to_av_frame


@dataclass(frozen=True)
class AnchorCodec:
    """How one anchor codec is driven: PyAV encoder and decoder names, CRF range, encoder options."""

    encoder: str
    decoder: str
    max_quality: int
    default_quality: int
    options: tuple[tuple[str, str], ...]


# Default CRFs chosen by rate-distortion for the default (nano) model: its output tops out near 21-24 dB,
# so anchors at SVT-AV1 CRF 48 (about 28 dB) give FLF2V and I2V the same quality as CRF 32 (34 dB) for
# 44% / 11% fewer bits (BENCHMARKS.md). A model with a higher ceiling wants a lower --anchor-q.
ANCHOR_CODECS: dict[str, AnchorCodec] = {
    "libsvtav1": AnchorCodec(
        encoder="libsvtav1",
        decoder="libdav1d",
        max_quality=63,
        default_quality=48,
        options=(("preset", "4"), ("svtav1-params", "keyint=1")),
    ),
    "libx265": AnchorCodec(
        encoder="libx265",
        decoder="hevc",
        max_quality=51,
        default_quality=40,
        options=(("preset", "slow"), ("x265-params", "keyint=1:info=0:log-level=error")),
    ),
}
DEFAULT_ANCHOR_CODEC = "libsvtav1"

# SVT-AV1 prints its configuration banner at every encoder start unless told otherwise; keep stderr for
# gvcodec's own messages (a user's explicit SVT_LOG wins).
os.environ.setdefault("SVT_LOG", "1")


def anchor_codec(name: str) -> AnchorCodec:
    """The :class:`AnchorCodec` called ``name``, or an :class:`InputError` listing the choices."""
    if name not in ANCHOR_CODECS:
        raise InputError(f"anchor codec {name!r} is not supported; choose one of {', '.join(ANCHOR_CODECS)}")
    return ANCHOR_CODECS[name]


def check_quality(name: str, quality: int) -> None:
    """Refuse a CRF outside the codec's range."""
    codec = anchor_codec(name)
    if not 0 <= quality <= codec.max_quality:
        raise InputError(f"--anchor-q for {name} must be a CRF in [0, {codec.max_quality}], got {quality}")


def _crop(plane: np.ndarray, height: int, width: int) -> np.ndarray:
    return np.ascontiguousarray(plane[:height, :width])


def _pad_plane(plane: np.ndarray, height: int, width: int) -> np.ndarray:
    return np.ascontiguousarray(
        np.pad(plane, ((0, height - plane.shape[0]), (0, width - plane.shape[1])), mode="edge")
    )


def even_frame(frame: Yuv420Frame) -> Yuv420Frame:
    """``frame`` padded by edge replication to even width and height (unchanged when already even)."""
    width, height = frame.width + frame.width % 2, frame.height + frame.height % 2
    if (width, height) == (frame.width, frame.height):
        return frame
    chroma_w, chroma_h = chroma_size(width, height)
    return Yuv420Frame(
        y=_pad_plane(frame.y, height, width),
        u=_pad_plane(frame.u, chroma_h, chroma_w),
        v=_pad_plane(frame.v, chroma_h, chroma_w),
    )


def crop_frame(frame: Yuv420Frame, width: int, height: int) -> Yuv420Frame:
    """The top-left ``width x height`` of ``frame``."""
    chroma_w, chroma_h = chroma_size(width, height)
    return Yuv420Frame(
        y=_crop(frame.y, height, width), u=_crop(frame.u, chroma_h, chroma_w), v=_crop(frame.v, chroma_h, chroma_w)
    )


def _context(name: str, mode: str) -> av.CodecContext:
    try:
        return av.CodecContext.create(name, mode)
    except (av.FFmpegError, ValueError) as error:
        raise InstallError(
            f"this PyAV build has no {name!r} {'encoder' if mode == 'w' else 'decoder'} ({error}); "
            "install the PyAV wheels from PyPI, which include it"
        ) from error


def encode_anchor(frame: Yuv420Frame, codec: str, quality: int) -> bytes:
    """Code one frame as a single intra picture with ``codec`` at CRF ``quality``; return the bitstream."""
    check_quality(codec, quality)
    spec = anchor_codec(codec)
    picture = even_frame(frame)
    context = _context(spec.encoder, "w")
    context.width, context.height = picture.width, picture.height
    context.pix_fmt = "yuv420p"
    context.time_base = Fraction(1, 1)
    context.options = {"crf": str(quality), **dict(spec.options)}
    try:
        packets = context.encode(yuv420_to_av_frame(picture)) + context.encode(None)
    except av.FFmpegError as error:
        raise InputError(f"{codec} could not code a {frame.width}x{frame.height} anchor frame: {error}") from error
    return b"".join(bytes(packet) for packet in packets)


def decode_anchor(data: bytes, codec: str, width: int, height: int) -> Yuv420Frame:
    """Decode an anchor written by :func:`encode_anchor` for a ``width x height`` frame."""
    spec = anchor_codec(codec)
    context = _context(spec.decoder, "r")
    try:
        pictures = context.decode(av.Packet(data)) + context.decode(None)
    except av.FFmpegError as error:
        raise StreamError(f"the {codec} anchor ({len(data)} bytes) cannot be decoded: {error}") from error
    expected = (width + width % 2, height + height % 2)
    if len(pictures) != 1 or (pictures[0].width, pictures[0].height) != expected:
        found = ", ".join(f"{p.width}x{p.height}" for p in pictures) or "no picture"
        raise StreamError(f"the {codec} anchor should hold one {expected[0]}x{expected[1]} picture, found {found}")
    return crop_frame(av_frame_to_yuv420(pictures[0]), width, height)


def code_anchor(frame: Yuv420Frame, codec: str, quality: int) -> tuple[bytes, Yuv420Frame]:
    """The anchor's bytes and the frame the decoder will rebuild from them (what both sides condition on)."""
    data = encode_anchor(frame, codec, quality)
    return data, decode_anchor(data, codec, frame.width, frame.height)
