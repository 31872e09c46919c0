"""Baseline codecs through the real imageio-ffmpeg binary, on a short real clip with a hard cut."""
from __future__ import annotations

import re
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from gvcodec.bench.baselines import (
    CODECS,
    BaselineResult,
    encode_baseline,
    ivf_payload_bytes,
    rate_points,
)
from gvcodec.errors import InputError, StreamError
from gvcodec.rate import bits_per_pixel
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.y4m import Y4MReader, Y4MWriter
from gvcodec.metrics import psnr_y
from gvcodec.metrics.ffmpeg import run_ffmpeg
from tests.helpers import eval_clip

FRAMES = 40  # longer than vvenc's default 1 s intra period at 30 fps
CUT = 20
# Fast presets that still detect scene cuts (x264 / x265 ultrafast do not), so a wrong intra-period
# option shows up as a second intra frame at the cut.
TEST_PRESETS = {"x264": "superfast", "x265": "superfast", "vvenc": "faster", "svtav1": "10"}
VVC_IRAP_TYPES = range(7, 11)  # IDR_W_RADL, IDR_N_LP, CRA, GDR
Sweeps = dict[str, tuple[BaselineResult, BaselineResult]]


def read_frames(path: Path) -> list[Yuv420Frame]:
    with Y4MReader(path.open("rb"), owns_stream=True) as reader:
        return list(reader)


@pytest.fixture(scope="module")
def cut_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 QCIF frames of carphone; from frame 20 on, luma inverted and chroma swapped: a hard cut."""
    with Y4MReader(eval_clip("carphone_176x144.y4m").open("rb"), owns_stream=True) as reader:
        frames = [frame for _, frame in zip(range(FRAMES), reader)]
    path = tmp_path_factory.mktemp("baselines") / "carphone_cut.y4m"
    with Y4MWriter(path.open("wb"), 176, 144, Fraction(30000, 1001), owns_stream=True) as sink:
        for index, frame in enumerate(frames):
            if index >= CUT:
                inverted = (251 - frame.y.astype(np.int32)).astype(np.uint8)
                frame = Yuv420Frame(y=np.ascontiguousarray(inverted), u=frame.v, v=frame.u)
            sink.write(frame)
    return path


@pytest.fixture(scope="module")
def sweeps(cut_clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Sweeps:
    """Per codec: (its second rate point, its floor), encoded and decoded once for the module."""
    workdir = tmp_path_factory.mktemp("baseline-out")
    results = {}
    for codec in CODECS:
        points = rate_points(codec)
        results[codec] = tuple(
            encode_baseline(cut_clip, codec, quality, workdir, preset=TEST_PRESETS[codec])
            for quality in (points[1], points[-1])
        )
    return results


def annexb_nal_types(data: bytes, codec: str) -> list[int]:
    """NAL unit types of an Annex B stream, in order."""
    types = []
    for match in re.finditer(b"\x00\x00\x01", data):
        header = data[match.end() : match.end() + 2]
        if codec == "x264":
            types.append(header[0] & 0x1F)
        elif codec == "x265":
            types.append((header[0] >> 1) & 0x3F)
        else:
            types.append(header[1] >> 3)
    return types


def intra_frames(stream: Path, codec: str) -> int:
    """Intra pictures in a stream: VVC's IRAP NAL units, else the decoder's picture types."""
    if codec == "vvenc":
        return sum(kind in VVC_IRAP_TYPES for kind in annexb_nal_types(stream.read_bytes(), codec))
    log = run_ffmpeg(["-i", str(stream), "-vf", "showinfo", "-f", "null", "-"], "showinfo").stderr.decode()
    return len(re.findall(r"\btype:I\b", log))


@pytest.mark.parametrize("codec", list(CODECS))
def test_each_codec_decodes_to_the_clip_frame_count_and_size(codec: str, sweeps: Sweeps) -> None:
    for result in sweeps[codec]:
        frames = read_frames(result.decoded)
        assert (result.frames, result.width, result.height) == (FRAMES, 176, 144)
        assert len(frames) == FRAMES
        assert {(frame.width, frame.height) for frame in frames} == {(176, 144)}


@pytest.mark.parametrize("codec", list(CODECS))
def test_a_lower_quality_value_gives_more_bytes_and_higher_psnr(
    codec: str, cut_clip: Path, sweeps: Sweeps
) -> None:
    source = read_frames(cut_clip)
    better, floor = sweeps[codec]
    assert better.quality < floor.quality
    assert better.stream_bytes > floor.stream_bytes > 0
    assert psnr_y(source, read_frames(better.decoded)) > psnr_y(source, read_frames(floor.decoded))


@pytest.mark.parametrize("codec", list(CODECS))
def test_the_only_intra_frame_is_the_first_even_across_a_scene_cut(codec: str, sweeps: Sweeps) -> None:
    assert intra_frames(sweeps[codec][0].stream, codec) == 1


@pytest.mark.parametrize("codec", ["x264", "x265", "vvenc"])
def test_annexb_streams_carry_no_sei_or_access_unit_delimiters(codec: str, sweeps: Sweeps) -> None:
    stripped = {"x264": {6, 9}, "x265": {35, 39, 40}, "vvenc": {20, 23, 24}}[codec]
    stream = sweeps[codec][0].stream
    types = annexb_nal_types(stream.read_bytes(), codec)
    assert types and not stripped & set(types)
    assert sweeps[codec][0].stream_bytes == stream.stat().st_size


def test_bpp_counts_the_elementary_stream_over_all_pixels(sweeps: Sweeps) -> None:
    result = sweeps["x265"][0]
    assert result.bpp == pytest.approx(8 * result.stream_bytes / (176 * 144 * FRAMES))
    assert bits_per_pixel(1000, 100, 10, 8) == pytest.approx(1.0)


def test_av1_bytes_are_the_ivf_payloads(sweeps: Sweeps) -> None:
    result = sweeps["svtav1"][0]
    data = result.stream.read_bytes()
    frames = struct.unpack_from("<I", data, 24)[0]  # the IVF header's frame count
    assert result.stream_bytes == len(data) - 32 - 12 * frames


def test_ivf_payload_bytes_skips_the_file_and_frame_headers() -> None:
    header = b"DKIF" + struct.pack("<HH4sHHIIII", 0, 32, b"AV01", 176, 144, 30, 1, 2, 0)
    frames = struct.pack("<IQ", 5, 0) + b"a" * 5 + struct.pack("<IQ", 7, 1) + b"b" * 7
    assert ivf_payload_bytes(header + frames) == 12
    with pytest.raises(StreamError, match="ends inside a frame"):
        ivf_payload_bytes(header + frames[:-1])


def test_x264_at_crf_0_round_trips_the_clip_bit_exactly(cut_clip: Path, tmp_path: Path) -> None:
    # Lossless coding proves the pipeline adds no colour conversion, range change or frame shift.
    result = encode_baseline(cut_clip, "x264", 0, tmp_path, preset="ultrafast")
    decoded, source = read_frames(result.decoded), read_frames(cut_clip)
    assert all(a.to_bytes() == b.to_bytes() for a, b in zip(decoded, source, strict=True))


@pytest.mark.parametrize("codec", list(CODECS))
def test_rate_points_sweep_from_good_quality_down_to_the_codec_floor(codec: str) -> None:
    points = rate_points(codec)
    assert points == sorted(set(points))
    assert points[-1] == CODECS[codec].quality_range[1]


def test_unknown_codecs_and_out_of_range_qualities_are_refused(cut_clip: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="choose from x264, x265, vvenc, svtav1"):
        encode_baseline(cut_clip, "mpeg2", 10, tmp_path)
    with pytest.raises(InputError, match="crf values 0..51, got 52"):
        encode_baseline(cut_clip, "x265", 52, tmp_path)
    assert not any(tmp_path.iterdir())
