"""Conventional codecs as baselines: encode a y4m clip through the static ffmpeg of ``imageio-ffmpeg``,
count the elementary-stream bytes, decode back to a yuv420p y4m.

Every codec gets one intra frame, the first: at the rates gvcodec works at, the codecs' default
intra periods (about 1 to 5 s) would spend much of the rate on key frames and distort the comparison.
The options per codec (``N`` = the clip's frame count, ``Q`` = the quality value):

- ``x264`` (libx264, H.264): ``-preset veryslow -crf Q -g N -keyint_min N -sc_threshold 0``.
- ``x265`` (libx265, HEVC): ``-preset veryslow -crf Q -x265-params keyint=N:min-keyint=N:scenecut=0``.
- ``vvenc`` (libvvenc, VVC): ``-preset medium -qp Q -vvenc-params intraperiod=P`` with ``P`` the
  smallest multiple of vvenc's GOP size 32 that is >= N. vvenc codes 10-bit only, so the 8-bit
  source is shifted to 10 bits (exact) and the decoded 10 bits are rounded back,
  ``(v + 2) >> 2``, without dither. An intra period of exactly N = 32 k + 1 (33, the clips' usual
  length) makes vvenc shorten its GOP structure (it warns of degraded results); any period >= N
  gives the same single IDR frame, checked on the stream's NAL unit types.
- ``svtav1`` (libsvtav1, AV1): ``-preset 4 -crf Q -svtav1-params keyint=N`` (scene-change
  detection is off by default).

Rate control: x264, x265 and SVT-AV1 run in CRF mode, vvenc at a fixed QP with its default
perceptual QP adaptation, i.e. each codec's recommended constant-quality mode. ``rate_points``
sweeps from good quality down to each codec's floor (its largest QP / CRF, the lowest rate it can
reach), because gvcodec's rates are far below the codecs' usual operating points.

Bytes counted (bpp = 8 bytes / (W H frames)): the elementary stream a decoder needs. H.264, HEVC
and VVC are written as Annex B byte streams (start codes included) with SEI and access-unit
delimiter NAL units removed by ffmpeg's ``filter_units`` bitstream filter (x265 and x264 write their
whole option string in an SEI: 2.4 kB and 0.7 kB per stream, more than half of a small stream at
low rate); the decoded pictures are unchanged. AV1 is written as IVF and counted as the sum of the
IVF frame payloads (temporal units, temporal-delimiter OBUs included), without the 32-byte file
header and 12-byte frame headers.
"""
from __future__ import annotations

import os
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gvcodec.errors import InputError, StreamError
from gvcodec.io.atomic import AtomicFileSink, partial_path
from gvcodec.io.frames import VideoInfo, Yuv420Frame
from gvcodec.io.y4m import Y4MReader, Y4MWriter
from gvcodec.rate import bits_per_pixel
from gvcodec.metrics.ffmpeg import ffmpeg_encoders, ffmpeg_exe, run_ffmpeg

VVENC_GOP = 32
IVF_FILE_HEADER = 32
IVF_FRAME_HEADER = 12


@dataclass(frozen=True)
class CodecSpec:
    """How one baseline codec is driven through ffmpeg."""

    name: str
    encoder: str  # ffmpeg encoder name
    quality_option: str  # "crf" or "qp"
    quality_range: tuple[int, int]  # the encoder's accepted values, inclusive
    rate_points: tuple[int, ...]  # default sweep, best quality first, ending at the floor
    preset: str
    container: str  # ffmpeg muxer of the elementary stream
    suffix: str
    strip_nal_types: str | None  # NAL unit types removed by filter_units, "|"-separated
    input_pix_fmt: str
    intra_options: Callable[[int], list[str]]  # frame count -> options giving one intra frame


def _x264_intra(frames: int) -> list[str]:
    return ["-g", str(frames), "-keyint_min", str(frames), "-sc_threshold", "0"]


def _x265_intra(frames: int) -> list[str]:
    return ["-x265-params", f"keyint={frames}:min-keyint={frames}:scenecut=0:log-level=error"]


def _vvenc_intra(frames: int) -> list[str]:
    period = -(-frames // VVENC_GOP) * VVENC_GOP
    return ["-vvenc-params", f"intraperiod={period}"]


def _svtav1_intra(frames: int) -> list[str]:
    return ["-svtav1-params", f"keyint={frames}"]


CODECS: dict[str, CodecSpec] = {
    "x264": CodecSpec(
        "x264", "libx264", "crf", (0, 51), (18, 23, 28, 33, 38, 43, 48, 51), "veryslow",
        "h264", ".h264", "6|9", "yuv420p", _x264_intra,
    ),
    "x265": CodecSpec(
        "x265", "libx265", "crf", (0, 51), (18, 23, 28, 33, 38, 43, 48, 51), "veryslow",
        "hevc", ".hevc", "35|39|40", "yuv420p", _x265_intra,
    ),
    "vvenc": CodecSpec(
        "vvenc", "libvvenc", "qp", (0, 63), (22, 27, 32, 37, 42, 47, 52, 57, 63), "medium",
        "vvc", ".266", "20|23|24", "yuv420p10le", _vvenc_intra,
    ),
    "svtav1": CodecSpec(
        "svtav1", "libsvtav1", "crf", (1, 63), (23, 29, 35, 41, 47, 53, 58, 63), "4",
        "ivf", ".ivf", None, "yuv420p", _svtav1_intra,
    ),
}


@dataclass(frozen=True)
class BaselineResult:
    """One encoded and decoded rate point of a baseline codec."""

    codec: str
    quality: int  # the CRF or QP value
    stream_bytes: int  # elementary-stream bytes (see the module docstring)
    bpp: float  # 8 stream_bytes / (width height frames)
    stream: Path  # the encoded file
    decoded: Path  # the decoded frames, a yuv420p y4m with the clip's size and rate
    frames: int
    width: int
    height: int
    encode_seconds: float  # wall time of the ffmpeg encode
    decode_seconds: float  # wall time of the ffmpeg decode, writing the y4m included


def codec_spec(codec: str) -> CodecSpec:
    """The spec of a codec name, or InputError listing the names there are."""
    try:
        return CODECS[codec]
    except KeyError:
        raise InputError(f"unknown baseline codec {codec!r}; choose from {', '.join(CODECS)}") from None


def rate_points(codec: str) -> list[int]:
    """The default quality sweep of ``codec`` (CRF or QP values), best quality first, ending at its floor."""
    return list(codec_spec(codec).rate_points)


def ivf_payload_bytes(data: bytes) -> int:
    """Sum of the frame payload sizes of an IVF file: its size less the 32-byte file header and each
    frame's 12-byte header (4-byte little-endian size, 8-byte timestamp)."""
    if len(data) < IVF_FILE_HEADER or data[:4] != b"DKIF":
        raise StreamError("the AV1 stream is not an IVF file (no DKIF signature)")
    header_size = struct.unpack_from("<H", data, 6)[0]
    offset, total = header_size, 0
    while offset < len(data):
        if offset + IVF_FRAME_HEADER > len(data):
            raise StreamError(f"the IVF file ends inside a frame header at byte {offset}")
        size = struct.unpack_from("<I", data, offset)[0]
        offset += IVF_FRAME_HEADER + size
        if offset > len(data):
            raise StreamError("the IVF file ends inside a frame")
        total += size
    return total


def _clip_info(clip: Path) -> tuple[VideoInfo, int]:
    """The clip's description and its frame count."""
    if not clip.is_file():
        raise InputError(f"baseline input {clip} does not exist")
    with Y4MReader(clip.open("rb"), owns_stream=True, name=str(clip)) as reader:
        info, colour_range = reader.info, reader.colour_range
        count = info.frame_count if info.frame_count is not None else sum(1 for _ in reader)
    if colour_range != "LIMITED":
        # Our readers map full range to limited, ffmpeg would code it as it is: the metrics would
        # compare different pictures.
        raise InputError(
            f"{clip} is full-range y4m; baselines take limited-range clips. Convert it first, e.g. "
            "ffmpeg -i IN -vf scale=out_range=tv -pix_fmt yuv420p OUT.y4m"
        )
    if count == 0:
        raise InputError(f"{clip} has no frames to encode")
    return info, count


def _encode(clip: Path, spec: CodecSpec, quality: int, frames: int, preset: str, stream: Path) -> float:
    """Encode ``clip`` into ``stream`` (written whole or not at all); returns the wall time."""
    bitstream_filter = []
    if spec.strip_nal_types:
        bitstream_filter = ["-bsf:v", f"filter_units=remove_types={spec.strip_nal_types}"]
    temporary = partial_path(stream)
    args = [
        "-v", "error", "-y", "-i", str(clip), "-an", "-pix_fmt", spec.input_pix_fmt,
        "-c:v", spec.encoder, "-preset", preset, f"-{spec.quality_option}", str(quality),
        *spec.intra_options(frames), *bitstream_filter, "-f", spec.container, str(temporary),
    ]
    start = time.perf_counter()
    try:
        run_ffmpeg(args, f"encoding {clip} with {spec.encoder} at {spec.quality_option} {quality}")
        os.replace(temporary, stream)
    finally:
        temporary.unlink(missing_ok=True)
    return time.perf_counter() - start


def _open_y4m(path: Path, info: VideoInfo) -> Y4MWriter:
    return Y4MWriter(path.open("wb"), info.width, info.height, info.fps, owns_stream=True)


def _decode(stream: Path, info: VideoInfo, frames: int, decoded: Path) -> float:
    """Decode ``stream`` to the y4m ``decoded`` (written whole or not at all) at the clip's size and
    rate, checking it has ``frames`` frames; returns the wall time."""
    # -sws_dither none: vvenc's 10-bit output is rounded to 8 bits, (v + 2) >> 2, not dithered.
    command = [
        ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(stream),
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-sws_dither", "none", "-",
    ]
    start = time.perf_counter()
    written = 0
    with tempfile.TemporaryFile() as log, subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log
    ) as process:
        sink = AtomicFileSink(decoded, lambda path: _open_y4m(path, info))
        try:
            while chunk := process.stdout.read(info.frame_bytes):  # type: ignore[union-attr]
                if len(chunk) != info.frame_bytes:
                    raise StreamError(f"decoding {stream} ended inside frame {written}")
                sink.write(Yuv420Frame.from_bytes(chunk, info.width, info.height))
                written += 1
            if process.wait() != 0:
                log.seek(0)
                tail = log.read().decode("utf-8", errors="replace")[-2000:]
                raise StreamError(
                    f"decoding {stream} failed: ffmpeg exited with status {process.returncode}:\n{tail}"
                )
            if written != frames:
                raise StreamError(f"decoding {stream} gave {written} frames, the clip has {frames}")
        except BaseException:
            sink.abort()
            process.kill()
            raise
        sink.close()
    return time.perf_counter() - start


def encode_baseline(
    clip: Path, codec: str, quality: int, workdir: Path, preset: str | None = None
) -> BaselineResult:
    """Encode the y4m ``clip`` with ``codec`` at CRF / QP ``quality``, decode it back, count its bytes.

    Writes ``<workdir>/<clip stem>.<codec>.q<quality><suffix>`` and ``....q<quality>.y4m``.
    ``preset`` overrides the codec's default speed preset (see the module docstring).
    """
    spec = codec_spec(codec)
    low, high = spec.quality_range
    if not low <= quality <= high:
        raise InputError(f"{codec} takes {spec.quality_option} values {low}..{high}, got {quality}")
    if spec.encoder not in ffmpeg_encoders():
        raise InputError(
            f"the ffmpeg at {ffmpeg_exe()} has no {spec.encoder} encoder; the static ffmpeg of "
            "imageio-ffmpeg 0.8.1 (ffmpeg 9.0.2) has all four baseline encoders"
        )
    info, frames = _clip_info(clip)
    workdir.mkdir(parents=True, exist_ok=True)
    stem = f"{clip.stem}.{codec}.q{quality}"
    stream = workdir / f"{stem}{spec.suffix}"
    decoded = workdir / f"{stem}.y4m"
    encode_seconds = _encode(clip, spec, quality, frames, preset or spec.preset, stream)
    data = stream.read_bytes()
    stream_bytes = ivf_payload_bytes(data) if spec.container == "ivf" else len(data)
    decode_seconds = _decode(stream, info, frames, decoded)
    return BaselineResult(
        codec=codec,
        quality=quality,
        stream_bytes=stream_bytes,
        bpp=bits_per_pixel(stream_bytes, frames, info.width, info.height),
        stream=stream,
        decoded=decoded,
        frames=frames,
        width=info.width,
        height=info.height,
        encode_seconds=encode_seconds,
        decode_seconds=decode_seconds,
    )
