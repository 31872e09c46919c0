"""YUV4MPEG2 (.y4m) reading and writing, streaming: works on pipes, never seeks or slurps.

A y4m stream is one header line ``YUV4MPEG2 W.. H.. F.. ...`` then, per frame, a line starting with
``FRAME`` and the raw planes. Only 8-bit 4:2:0 is taken (``C420``, ``C420jpeg``, ``C420paldv``,
``C420mpeg2``; no ``C`` tag means 4:2:0 too), progressive (``Ip``, ``I?`` or no ``I`` tag: interlaced
fields would be coded as frames), at most the format's picture size. ``XCOLORRANGE=FULL`` input is
mapped to limited range, so every reader hands out BT.601 limited-range frames.
"""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import BinaryIO

from container.limits import LIMITS
from gvcodec.errors import InputError, TruncatedInputError
from gvcodec.io.closing import ClosesOnExit
from gvcodec.io.frames import VideoInfo, Yuv420Frame, full_range_to_limited
from gvcodec.io.raw import RawYuv420Writer
from gvcodec.io.streams import read_exact, remaining_file_bytes

MAGIC = b"YUV4MPEG2"
_FRAME_MARKER = b"FRAME"
_LINE_LIMIT = 4096  # a header longer than this is not y4m
_COLOURSPACES_420 = ("420", "420jpeg", "420paldv", "420mpeg2")
_COLOUR_RANGES = ("LIMITED", "FULL")
_PROGRESSIVE = ("p", "?")


def _parse_ratio(text: str, tag: str) -> Fraction:
    numerator, sep, denominator = text.partition(":")
    if not sep or not numerator.isdigit() or not denominator.isdigit() or int(denominator) == 0:
        raise InputError(f"y4m header tag {tag}{text} is malformed; expected {tag}<num>:<den>")
    return Fraction(int(numerator), int(denominator))


class Y4MReader(ClosesOnExit):
    """Frames of a y4m stream, read as they arrive.

    ``info.frame_count`` is known only when the stream is a regular file: the ``FRAME\\n``-prefixed frames
    its remaining size holds (when that is not a whole number and the first FRAME line is bare, the last
    frame is truncated and the count is of the complete ones); otherwise None. A truncated frame raises
    :class:`TruncatedInputError`. ``colour_range`` is the header's ``XCOLORRANGE`` (``"LIMITED"`` when
    absent); frames are handed out in limited range either way.
    ``close()`` closes the stream only if ``owns_stream``.
    """

    def __init__(self, stream: BinaryIO, *, owns_stream: bool = False, name: str = "y4m input") -> None:
        self._stream = stream
        self._owns_stream = owns_stream
        self.name = name
        self._next_index = 0
        header = stream.readline(_LINE_LIMIT)
        if not header:
            raise InputError(f"{name} is empty; expected a YUV4MPEG2 header")
        if not header.startswith(MAGIC + b" ") or not header.endswith(b"\n"):
            raise InputError(f"{name} is not a y4m stream (its first line is not a YUV4MPEG2 header)")
        self.info, self.colour_range = self._parse_header(header[len(MAGIC) + 1 : -1])
        self._frame_bytes = self.info.frame_bytes
        plain_line = _FRAME_MARKER + b"\n"
        peek = getattr(stream, "peek", None)
        head = peek(len(plain_line))[: len(plain_line)] if peek is not None else None
        if head is not None and not (_FRAME_MARKER.startswith(head) or head.startswith(_FRAME_MARKER)):
            raise self._not_a_frame_line()
        remaining = remaining_file_bytes(stream)
        per_frame = len(plain_line) + self._frame_bytes
        # Frames behind bare FRAME lines (what ffmpeg writes) have one size, so a file's size counts them; a
        # FRAME line with parameters, or one not seen, counts only when the size is a whole number of frames.
        plain = head in (plain_line, b"")
        if remaining is not None and (plain or remaining % per_frame == 0):
            self.info = VideoInfo(self.info.width, self.info.height, self.info.fps, remaining // per_frame)

    def _parse_header(self, fields: bytes) -> tuple[VideoInfo, str]:
        width = height = None
        fps = None
        colour_range = "LIMITED"
        for token in fields.decode("ascii", errors="replace").split():
            tag, value = token[0], token[1:]
            if tag in "WH":
                largest = LIMITS["width" if tag == "W" else "height"]
                if not value.isdigit() or not 1 <= int(value) <= largest:
                    raise InputError(f"{self.name}: y4m header tag {token} is not a size from 1 to {largest}")
                if tag == "W":
                    width = int(value)
                else:
                    height = int(value)
            elif tag == "F":
                fps = _parse_ratio(value, "F")
            elif tag == "C" and value not in _COLOURSPACES_420:
                raise InputError(
                    f"{self.name}: y4m colour space C{value} is not supported; gvcodec reads 8-bit 4:2:0 "
                    f"y4m ({', '.join('C' + c for c in _COLOURSPACES_420)}). Convert it first, e.g. "
                    "ffmpeg -i IN -pix_fmt yuv420p OUT.y4m"
                )
            elif tag == "X" and value.startswith("COLORRANGE="):
                colour_range = value.removeprefix("COLORRANGE=")
                if colour_range not in _COLOUR_RANGES:
                    raise InputError(
                        f"{self.name}: y4m tag X{value} is not understood; expected XCOLORRANGE=LIMITED or FULL"
                    )
            elif tag == "I" and value not in _PROGRESSIVE:
                raise InputError(
                    f"{self.name}: y4m is interlaced (I{value}); gvcodec codes progressive frames. Deinterlace "
                    "it first, e.g. ffmpeg -i IN -vf bwdif -pix_fmt yuv420p OUT.y4m"
                )
            # A (aspect) and other X tags do not change how frames are read.
        if width is None or height is None or fps is None:
            raise InputError(f"{self.name}: y4m header lacks one of W (width), H (height), F (frame rate)")
        return VideoInfo(width=width, height=height, fps=fps, frame_count=None), colour_range

    def __iter__(self) -> Iterator[Yuv420Frame]:
        return self

    def __next__(self) -> Yuv420Frame:
        marker = self._stream.readline(_LINE_LIMIT)
        if not marker:
            raise StopIteration
        if not marker.startswith(_FRAME_MARKER) or not marker.endswith(b"\n"):
            raise self._not_a_frame_line()
        data = read_exact(self._stream, self._frame_bytes)
        if len(data) != self._frame_bytes:
            raise TruncatedInputError(
                f"{self.name} ends inside frame {self._next_index + 1} ({len(data)} of {self._frame_bytes} bytes)",
                self._next_index,
            )
        self._next_index += 1
        frame = Yuv420Frame.from_bytes(data, self.info.width, self.info.height)
        return full_range_to_limited(frame) if self.colour_range == "FULL" else frame

    def _not_a_frame_line(self) -> InputError:
        return InputError(
            f"{self.name}: frame {self._next_index + 1} does not start with a FRAME line; "
            "the stream is damaged or its header's size is wrong"
        )

    def close(self) -> None:
        if self._owns_stream:
            self._stream.close()


class Y4MWriter(RawYuv420Writer):
    """Writes frames as y4m with the eval clips' header style:
    ``YUV4MPEG2 W.. H.. F<num>:<den> Ip A1:1 C420jpeg XYSCSS=420JPEG XCOLORRANGE=LIMITED``.

    The header is written at construction, so zero frames still make a valid stream; each frame is the
    raw planes behind a ``FRAME`` line. ``close()`` flushes, and closes the stream only if ``owns_stream``.
    """

    kind = "y4m"
    frame_prefix = _FRAME_MARKER + b"\n"

    def __init__(
        self,
        stream: BinaryIO,
        width: int,
        height: int,
        fps: Fraction,
        colour_range: str = "LIMITED",
        *,
        owns_stream: bool = False,
    ) -> None:
        if colour_range not in _COLOUR_RANGES:
            raise InputError(f"y4m colour range must be one of {_COLOUR_RANGES}, got {colour_range!r}")
        info = VideoInfo(width=width, height=height, fps=Fraction(fps), frame_count=None)
        super().__init__(stream, width, height, owns_stream=owns_stream)
        header = (
            f"YUV4MPEG2 W{width} H{height} F{info.fps.numerator}:{info.fps.denominator} Ip A1:1 "
            f"C420jpeg XYSCSS=420JPEG XCOLORRANGE={colour_range}\n"
        )
        stream.write(header.encode("ascii"))
