"""Reading any video PyAV opens, and writing .mp4 / .mov / .mkv, as BT.601 limited-range yuv420p."""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, Interpolation

from gvcodec.errors import InputError
from gvcodec.io.closing import ClosesOnExit
from gvcodec.io.frames import VideoInfo, Yuv420Frame, chroma_size

# AVColorSpace values that mean BT.601 (unspecified is read as BT.601, as swscale does).
_AVCOL_SPC_UNSPECIFIED = 2
_BT601_SPACES = frozenset({_AVCOL_SPC_UNSPECIFIED, 5, 6})  # unspecified, BT470BG, SMPTE170M
_AVCOL_SPC_SMPTE170M = 6
_AVCOL_PRI_SMPTE170M = 6
_AVCOL_TRC_SMPTE170M = 6


def _plane_array(plane: av.video.plane.VideoPlane, width: int, height: int) -> np.ndarray:
    """Copy one plane out of a PyAV frame, dropping the row padding (``line_size >= width``)."""
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(height, plane.line_size)
    return np.ascontiguousarray(rows[:, :width])


def av_frame_to_yuv420(frame: av.VideoFrame) -> Yuv420Frame:
    """Convert a decoded PyAV frame to BT.601 limited-range yuv420p.

    A yuv420p frame already in BT.601 (or untagged) limited range is copied as is, bit-exact; any
    other format, matrix or range goes through swscale (bilinear chroma resampling, accurate rounding).
    """
    already_ours = (
        frame.format.name == "yuv420p"
        and frame.colorspace in _BT601_SPACES
        and frame.color_range != ColorRange.JPEG
    )
    if not already_ours:
        full_range = frame.color_range == ColorRange.JPEG or frame.format.name.startswith("yuvj")
        frame = frame.reformat(
            format="yuv420p",
            src_colorspace=None if frame.colorspace != _AVCOL_SPC_UNSPECIFIED else Colorspace.ITU601,
            dst_colorspace=Colorspace.ITU601,
            interpolation=Interpolation.BILINEAR | Interpolation.ACCURATE_RND,
            src_color_range=ColorRange.JPEG if full_range else ColorRange.MPEG,
            dst_color_range=ColorRange.MPEG,
        )
    chroma_w, chroma_h = chroma_size(frame.width, frame.height)
    return Yuv420Frame(
        y=_plane_array(frame.planes[0], frame.width, frame.height),
        u=_plane_array(frame.planes[1], chroma_w, chroma_h),
        v=_plane_array(frame.planes[2], chroma_w, chroma_h),
    )


def yuv420_to_av_frame(frame: Yuv420Frame) -> av.VideoFrame:
    """A PyAV ``yuv420p`` frame holding a copy of ``frame``, tagged BT.601 (SMPTE 170M) limited
    range; ``pts`` and ``time_base`` are left for the caller."""
    av_frame = av.VideoFrame(frame.width, frame.height, "yuv420p")
    for plane, data in zip(av_frame.planes, (frame.y, frame.u, frame.v)):
        rows = np.frombuffer(plane, dtype=np.uint8).reshape(data.shape[0], plane.line_size)
        rows[:, : data.shape[1]] = data
    av_frame.colorspace = _AVCOL_SPC_SMPTE170M
    av_frame.color_range = ColorRange.MPEG
    return av_frame


class PyAVReader(ClosesOnExit):
    """Any file with a video stream that PyAV (FFmpeg) opens, decoded to BT.601 limited yuv420p.

    The first video stream is read. ``info.frame_count`` is the container's count when it states
    one, else None. ``name`` is how messages call the input (default: the path). Use as a context
    manager, or call :meth:`close`.
    """

    def __init__(self, path: str | Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = repr(str(self.path)) if name is None else name
        if not self.path.is_file():
            raise InputError(f"input video {self.name} does not exist or is not a file")
        try:
            self._container = av.open(str(self.path), mode="r")
        except av.error.FFmpegError as err:
            raise InputError(f"cannot open {self.name} as a video: {err}") from err
        try:
            if not self._container.streams.video:
                raise InputError(f"{self.name} has no video stream")
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = "AUTO"
            self.info = self._probe()
        except BaseException:
            self._container.close()
            raise
        self._started = False

    def _probe(self) -> VideoInfo:
        context = self._stream.codec_context
        rate = self._stream.average_rate or self._stream.guessed_rate or self._stream.base_rate
        if not rate:
            raise InputError(
                f"{self.name} states no frame rate; convert it with ffmpeg and an explicit -r"
            )
        if not context.width or not context.height:
            raise InputError(f"{self.name} states no picture size for its video stream")
        return VideoInfo(
            width=context.width,
            height=context.height,
            fps=Fraction(rate),
            frame_count=self._stream.frames or None,
        )

    def __iter__(self) -> Iterator[Yuv420Frame]:
        if self._started:
            raise InputError(f"{self.name} is being read already; a reader iterates only once")
        self._started = True
        return self._frames()

    def _frames(self) -> Iterator[Yuv420Frame]:
        try:
            for frame in self._container.decode(self._stream):
                if (frame.width, frame.height) != (self.info.width, self.info.height):
                    raise InputError(
                        f"{self.name} changes picture size mid-stream "
                        f"({self.info.width}x{self.info.height} -> {frame.width}x{frame.height}); "
                        "scale it to one size first (ffmpeg -vf scale=W:H)"
                    )
                yield av_frame_to_yuv420(frame)
        except av.error.FFmpegError as err:
            raise InputError(f"decoding {self.name} failed: {err}") from err

    def close(self) -> None:
        self._container.close()


# Extension -> (container format, encoder, encoder options).
_ENCODERS: dict[str, tuple[str, str, dict[str, str]]] = {
    # H.264 High profile at CRF 12: visually lossless and playable by every player and browser
    # (lossless x264 would need the High 4:4:4 Predictive profile, which most players refuse).
    ".mp4": ("mp4", "libx264", {"crf": "12", "preset": "medium"}),
    ".mov": ("mov", "libx264", {"crf": "12", "preset": "medium"}),
    # FFV1 version 3: mathematically lossless, any picture size, the archival codec of Matroska.
    ".mkv": ("matroska", "ffv1", {"level": "3", "slicecrc": "1"}),
}
WRITABLE_SUFFIXES = tuple(sorted(_ENCODERS))


class PyAVWriter(ClosesOnExit):
    """Writes yuv420p frames to a video file through PyAV, the encoder chosen by the extension.

    - ``.mp4`` / ``.mov``: H.264 (libx264, CRF 12, High profile): near-lossless and universally
      playable; H.264 needs an even width and height.
    - ``.mkv``: FFV1 version 3, lossless (bit-exact frames back), any size.

    Streams are tagged BT.601 (SMPTE 170M) limited range, which is what the frames are.
    :meth:`close` flushes the encoder and finishes the file; a writer not closed leaves an
    incomplete file (``open_output`` writes under a temporary name and renames on close).
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: Fraction) -> None:
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, Fraction(fps)
        suffix = self.path.suffix.lower()
        if suffix not in _ENCODERS:
            raise InputError(
                f"cannot write {str(self.path)!r}: PyAV output types are {', '.join(WRITABLE_SUFFIXES)}"
            )
        container_format, codec_name, options = _ENCODERS[suffix]
        if codec_name == "libx264" and (width % 2 or height % 2):
            raise InputError(
                f"H.264 ({suffix}) needs an even width and height, the video is {width}x{height}; "
                "write .mkv (lossless FFV1) or .y4m instead"
            )
        if self.fps <= 0:
            raise InputError(f"frame rate must be positive, got {self.fps}")
        try:
            self._container = av.open(str(self.path), mode="w", format=container_format)
        except (av.error.FFmpegError, OSError) as err:
            raise InputError(f"cannot create {str(self.path)!r}: {err}") from err
        try:
            self._stream = self._container.add_stream(codec_name, rate=self.fps)
            self._stream.width, self._stream.height = width, height
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = dict(options)
            context = self._stream.codec_context
            context.colorspace = _AVCOL_SPC_SMPTE170M
            context.color_primaries = _AVCOL_PRI_SMPTE170M
            context.color_trc = _AVCOL_TRC_SMPTE170M
            context.color_range = ColorRange.MPEG
        except BaseException:
            self._container.close()
            raise
        self._next_pts = 0
        self._closed = False

    def write(self, frame: Yuv420Frame) -> None:
        """Encode one frame; its size must be the writer's."""
        if self._closed:
            raise InputError(f"{str(self.path)!r} is closed; no more frames can be written")
        if (frame.width, frame.height) != (self.width, self.height):
            raise InputError(
                f"frame is {frame.width}x{frame.height} but {str(self.path)!r} is "
                f"{self.width}x{self.height}"
            )
        av_frame = yuv420_to_av_frame(frame)
        av_frame.pts = self._next_pts
        av_frame.time_base = 1 / self.fps
        self._next_pts += 1
        self._container.mux(self._stream.encode(av_frame))

    def close(self) -> None:
        """Flush the encoder and finish the file. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()
