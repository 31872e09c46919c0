"""Turning a command-line input or output name into a video source or sink, ffmpeg-style.

``-`` is stdin / stdout; a ``.y4m`` file carries its own header; a ``.yuv`` file is raw yuv420p and
needs ``-s WxH -r FPS``; any other input file is opened with PyAV. Stdin is sniffed: y4m, a container
(MP4/MOV, Matroska/WebM, AVI, ...: its signature) decoded through PyAV, else raw yuv420p.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from gvcodec.errors import InputError
from gvcodec.io.atomic import AtomicFileSink
from gvcodec.io.frames import VideoInfo
from gvcodec.io.protocols import VideoSink, VideoSource
from gvcodec.io.pyav_io import WRITABLE_SUFFIXES, PyAVReader, PyAVWriter
from gvcodec.io.raw import RawYuv420Reader, RawYuv420Writer
from gvcodec.io.streams import read_exact
from gvcodec.io.y4m import MAGIC, Y4MReader, Y4MWriter

__all__ = ["VideoSink", "VideoSource", "open_input", "open_output", "parse_fps", "parse_size"]

STDIO = "-"
_RAW_NEEDS = "raw yuv420p input needs its picture size and frame rate: pass -s WxH and -r FPS"
_RAW_STDIN_NEEDS = (
    "stdin has no y4m header and no container signature, so it is raw video: add -s WxH -r FPS (its yuv420p "
    "picture size and frame rate, e.g. -s 352x288 -r 30), or pipe y4m, which carries both: "
    "ffmpeg -i IN -f yuv4mpegpipe - | gvc-enc > OUT.gvc"
)
# Signatures of the containers PyAV reads from stdin: (offset, bytes, name).
CONTAINER_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (4, b"ftyp", "MP4/MOV"),
    (4, b"moov", "MP4/MOV"),
    (4, b"mdat", "MP4/MOV"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"RIFF", "AVI"),
    (0, b"OggS", "Ogg"),
    (0, b"FLV\x01", "FLV"),
    (0, b"DKIF", "IVF"),
    (0, b"nut/multimedia container", "NUT"),
    (0, b"\x00\x00\x01\xba", "MPEG program stream"),
)
_SNIFF_BYTES = max(offset + len(magic) for offset, magic, _ in CONTAINER_SIGNATURES)


def parse_size(text: str) -> tuple[int, int]:
    """``"352x288"`` -> ``(352, 288)``, i.e. (width, height)."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if match is None or int(match[1]) == 0 or int(match[2]) == 0:
        raise InputError(f"picture size {text!r} is not understood; expected WIDTHxHEIGHT, e.g. 352x288")
    return int(match[1]), int(match[2])


def parse_fps(text: str) -> Fraction:
    """Frame rate from ``"30000/1001"``, ``"30000:1001"``, ``"25"`` or a decimal like ``"29.97"``.

    A non-integer decimal that is the rounding of an NTSC rate ``n * 1000 / 1001`` to the digits
    given means that rate (``"29.97"`` -> 30000/1001, ``"23.976"`` -> 24000/1001), as users mean it;
    any other decimal is taken exactly (``"12.5"`` -> 25/2).
    """
    stripped = text.strip()
    try:
        if "/" in stripped or ":" in stripped:
            numerator, denominator = re.split(r"[/:]", stripped)
            rate = Fraction(int(numerator), int(denominator))
        else:
            rate = Fraction(stripped)
            decimals = len(stripped.partition(".")[2])
            if rate.denominator != 1 and decimals > 0:
                ntsc = Fraction(round(rate * Fraction(1001, 1000)) * 1000, 1001)
                if abs(ntsc - rate) <= Fraction(1, 2 * 10**decimals):
                    rate = ntsc
    except (ValueError, ZeroDivisionError) as err:
        raise InputError(
            f"frame rate {text!r} is not understood; expected e.g. 25, 29.97 or 30000/1001"
        ) from err
    if rate <= 0:
        raise InputError(f"frame rate must be positive, got {text!r}")
    return rate


class _PrefixedRaw(io.RawIOBase):
    """A stream that replays ``prefix`` and then continues with ``rest``: how bytes read to sniff
    a pipe's format are given back."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _sniff(stream: BinaryIO, size: int) -> tuple[bytes, BinaryIO]:
    """The first ``size`` bytes of ``stream`` (fewer at end of stream), and a stream that still
    yields them: the stream itself when it can peek that far, else a replaying wrapper."""
    peek = getattr(stream, "peek", None)
    if peek is not None:
        head = peek(size)[:size]
        if len(head) == size:
            return head, stream
    head = read_exact(stream, size)
    return head, io.BufferedReader(_PrefixedRaw(head, stream))


def container_name(head: bytes) -> str | None:
    """The container whose signature ``head`` (a stream's first bytes) starts with, else None."""
    for offset, magic, name in CONTAINER_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def _open_stdin(stdin: BinaryIO, size: tuple[int, int] | None, fps: Fraction | None) -> VideoSource:
    head, stream = _sniff(stdin, _SNIFF_BYTES)
    if not head:
        raise InputError("stdin is empty; expected a video (y4m, a container such as mp4 or mkv, or raw yuv420p)")
    if head.startswith(MAGIC):
        return Y4MReader(stream, name="stdin")
    container = container_name(head)
    if container is not None:
        return _spooled_pyav(stream, f"stdin ({container})")
    if size is None or fps is None:
        raise InputError(_RAW_STDIN_NEEDS)
    return RawYuv420Reader(stream, size[0], size[1], fps, name="stdin")


def _spooled_pyav(stream: BinaryIO, name: str) -> PyAVReader:
    """A PyAV reader of a container arriving on a pipe, copied to a temporary file first (MP4 keeps its
    index at the end, so it cannot be decoded before it has all arrived); the file is gone once opened."""
    spool = tempfile.NamedTemporaryFile(prefix="gvc-enc-stdin-", delete=False)
    try:
        with spool:
            shutil.copyfileobj(stream, spool)
        return PyAVReader(spool.name, name=name)
    finally:
        os.unlink(spool.name)


def open_input(
    source: str,
    size: tuple[int, int] | None = None,
    fps: Fraction | None = None,
    stdin: BinaryIO | None = None,
) -> VideoSource:
    """Open ``source`` for reading frames.

    ``"-"`` reads ``stdin`` (default ``sys.stdin.buffer``): y4m when it starts with ``YUV4MPEG2``,
    through PyAV when it starts with a container's signature, else raw yuv420p, which needs ``size``
    (width, height) and ``fps``. A ``.y4m`` path is read as y4m, a ``.yuv`` path as raw yuv420p (again
    with ``size`` and ``fps``), any other path through PyAV. ``size`` and ``fps`` are used for raw input only. Close the source (or use ``with``).
    """
    if source == STDIO:
        return _open_stdin(stdin if stdin is not None else sys.stdin.buffer, size, fps)
    path = Path(source)
    if not path.is_file():
        reason = "is a folder" if path.is_dir() else "does not exist"
        raise InputError(f"input file {source!r} {reason}")
    suffix = path.suffix.lower()
    if suffix == ".yuv" and (size is None or fps is None):
        raise InputError(f"{source!r}: {_RAW_NEEDS}")
    if suffix not in (".y4m", ".yuv"):
        return PyAVReader(path)
    stream = path.open("rb")
    try:
        if suffix == ".y4m":
            return Y4MReader(stream, owns_stream=True, name=source)
        return RawYuv420Reader(stream, size[0], size[1], fps, owns_stream=True, name=source)
    except BaseException:
        stream.close()
        raise


def _on_new_file(path: Path, make_sink: Callable[[BinaryIO], VideoSink]) -> VideoSink:
    """``make_sink`` on a newly created file at ``path``, closing the file if that fails."""
    stream = path.open("xb")
    try:
        return make_sink(stream)
    except BaseException:
        stream.close()
        raise


def open_output(target: str, info: VideoInfo, stdout: BinaryIO | None = None) -> VideoSink:
    """Open ``target`` for writing frames of ``info``'s size and rate.

    ``"-"`` writes y4m to ``stdout`` (default ``sys.stdout.buffer``); ``.y4m`` writes y4m, ``.yuv``
    raw yuv420p, and other names go to :class:`PyAVWriter` (``.mp4``, ``.mov``, ``.mkv``). Files are
    written under a temporary name and appear only when the sink is closed without error.
    """
    if target == STDIO:
        return Y4MWriter(stdout if stdout is not None else sys.stdout.buffer, info.width, info.height, info.fps)
    path = Path(target)
    if path.is_dir():
        raise InputError(f"output {target!r} is a folder; give a file name such as out.y4m")
    if not path.parent.is_dir():
        raise InputError(f"cannot write {target!r}: folder {str(path.parent)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".y4m", ".yuv", *WRITABLE_SUFFIXES):
        raise InputError(
            f"cannot write {target!r}: output types are .y4m, .yuv, {', '.join(WRITABLE_SUFFIXES)} "
            "or - (y4m on stdout)"
        )
    width, height, fps = info.width, info.height, info.fps

    def open_sink(temporary: Path) -> VideoSink:
        if suffix == ".y4m":
            return _on_new_file(temporary, lambda f: Y4MWriter(f, width, height, fps, owns_stream=True))
        if suffix == ".yuv":
            return _on_new_file(temporary, lambda f: RawYuv420Writer(f, width, height, owns_stream=True))
        return PyAVWriter(temporary, width, height, fps)

    return AtomicFileSink(path, open_sink)
