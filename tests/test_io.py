"""Video input/output: y4m, raw yuv420p, PyAV files, stdin/stdout, on real clips and a real ffmpeg."""
from __future__ import annotations

import io
import subprocess
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from gvcodec.errors import InputError, TruncatedInputError
from gvcodec.io.frames import VideoInfo, Yuv420Frame, full_range_to_limited
from gvcodec.io.open import open_input, open_output, parse_fps, parse_size
from gvcodec.io.pyav_io import PyAVReader, PyAVWriter, av_frame_to_yuv420, yuv420_to_av_frame
from gvcodec.io.raw import RawYuv420Reader
from gvcodec.io.y4m import Y4MReader, Y4MWriter
from tests.helpers import REPO, SHARED, eval_clip, read_frames

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str | Path, stdin: bytes | None = None) -> bytes:
    """Run the real ffmpeg binary; return its stdout."""
    command = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *map(str, args)]
    return subprocess.run(command, input=stdin, stdout=subprocess.PIPE, check=True).stdout


def read_all(source) -> list[Yuv420Frame]:
    with source:
        return list(source)


def assert_same_frames(got: list[Yuv420Frame], expected: list[Yuv420Frame]) -> None:
    assert len(got) == len(expected)
    for index, (a, b) in enumerate(zip(got, expected)):
        assert a.to_bytes() == b.to_bytes(), f"frame {index} differs"


def first_frames(path: Path, count: int) -> list[Yuv420Frame]:
    with open_input(str(path)) as source:
        return [frame for _, frame in zip(range(count), source)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse)) if mse else float("inf")


# --- y4m -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("clip", sorted((SHARED / "testvideos").glob("*.y4m")), ids=lambda p: p.name)
def test_y4m_read_then_write_is_byte_identical_to_the_eval_clip(clip: Path) -> None:
    out = io.BytesIO()
    with open_input(str(clip)) as source:
        info = source.info
        writer = Y4MWriter(out, info.width, info.height, info.fps)
        count = 0
        for frame in source:
            writer.write(frame)
            count += 1
        writer.close()
    assert out.getvalue() == clip.read_bytes()
    assert info.frame_count == count > 0


def test_y4m_reader_streams_from_an_ffmpeg_pipe_with_unknown_length() -> None:
    process = subprocess.Popen(
        [FFMPEG, "-loglevel", "error", "-i", str(eval_clip("foreman_352x288.y4m")), "-frames:v", "7", "-f", "yuv4mpegpipe",
         "-pix_fmt", "yuv420p", "-"],
        stdout=subprocess.PIPE,
    )
    with Y4MReader(process.stdout, owns_stream=True) as reader:
        assert reader.info.frame_count is None
        assert (reader.info.width, reader.info.height, reader.info.fps) == (352, 288, Fraction(30000, 1001))
        frames = list(reader)
    assert process.wait() == 0
    assert_same_frames(frames, first_frames(eval_clip("foreman_352x288.y4m"), 7))


def test_stdin_y4m_through_cat_pipe_is_detected_by_its_magic() -> None:
    process = subprocess.Popen(["cat", str(eval_clip("carphone_176x144.y4m"))], stdout=subprocess.PIPE)
    frames = read_all(open_input("-", stdin=process.stdout))
    process.stdout.close()
    assert process.wait() == 0
    assert_same_frames(frames, read_all(open_input(str(eval_clip("carphone_176x144.y4m")))))


def test_stdin_sniffing_loses_no_bytes_on_an_unbuffered_pipe() -> None:
    # bufsize=0 gives a raw FileIO without peek(), so the sniffed bytes must be replayed.
    process = subprocess.Popen(["cat", str(eval_clip("carphone_176x144.y4m"))], stdout=subprocess.PIPE, bufsize=0)
    assert not hasattr(process.stdout, "peek")
    frames = read_all(open_input("-", stdin=process.stdout))
    process.stdout.close()
    assert process.wait() == 0
    assert_same_frames(frames, read_all(open_input(str(eval_clip("carphone_176x144.y4m")))))


def test_y4m_444_is_refused_with_a_clear_input_error(tmp_path: Path) -> None:
    clip = tmp_path / "c444.y4m"
    ffmpeg("-i", eval_clip("carphone_176x144.y4m"), "-frames:v", "2", "-pix_fmt", "yuv444p", clip)
    with pytest.raises(InputError, match=r"C444.*not supported.*4:2:0"):
        open_input(str(clip))


def test_y4m_10_bit_is_refused_with_a_clear_input_error(tmp_path: Path) -> None:
    clip = tmp_path / "c420p10.y4m"
    ffmpeg("-i", eval_clip("carphone_176x144.y4m"), "-frames:v", "2", "-pix_fmt", "yuv420p10le", "-strict", "-1", clip)
    with pytest.raises(InputError, match=r"C420p10.*not supported"):
        open_input(str(clip))


def test_y4m_full_range_input_is_handed_out_in_limited_range() -> None:
    source = eval_clip("videocall_448x256.y4m").read_bytes()
    header_end = source.index(b"\n")
    full = source[:header_end].replace(b"XCOLORRANGE=LIMITED", b"XCOLORRANGE=FULL") + source[header_end:]
    with Y4MReader(io.BytesIO(full)) as reader:
        assert reader.colour_range == "FULL"
        frame = next(iter(reader))
    raw = first_frames(eval_clip("videocall_448x256.y4m"), 1)[0]
    assert frame.to_bytes() == full_range_to_limited(raw).to_bytes()
    assert frame.y.min() >= 16 and frame.y.max() <= 235


def test_full_range_to_limited_maps_the_range_ends() -> None:
    frame = Yuv420Frame(
        y=np.array([[0, 255]], dtype=np.uint8),
        u=np.array([[0]], dtype=np.uint8),
        v=np.array([[255]], dtype=np.uint8),
    )
    limited = full_range_to_limited(frame)
    assert limited.y.tolist() == [[16, 235]]
    assert limited.u.tolist() == [[16]] and limited.v.tolist() == [[240]]
    mid = Yuv420Frame(y=np.array([[128]], np.uint8), u=np.array([[128]], np.uint8), v=np.array([[128]], np.uint8))
    assert full_range_to_limited(mid).to_bytes() == bytes([126, 128, 128])


def test_y4m_truncated_frame_raises_truncated_input_error_after_the_complete_frames() -> None:
    data = eval_clip("carphone_176x144.y4m").read_bytes()[:-100]
    reader = Y4MReader(io.BytesIO(data))
    frames = []
    with pytest.raises(TruncatedInputError, match="ends inside frame") as raised:
        for frame in reader:
            frames.append(frame)
    assert raised.value.complete_frames == len(frames) > 0


@pytest.mark.parametrize(
    ("frame_line", "count"), [(b"FRAME\n", 2), (b"FRAME Ip\n", None)], ids=["bare FRAME lines", "FRAME parameters"]
)
def test_a_y4m_file_cut_inside_a_frame_counts_its_complete_frames_when_frame_lines_are_bare(
    tmp_path: Path, frame_line: bytes, count: int | None
) -> None:
    clip = tmp_path / "cut.y4m"
    clip.write_bytes(b"YUV4MPEG2 W4 H2 F25:1\n" + (frame_line + bytes(12)) * 2 + frame_line + bytes(5))
    with clip.open("rb") as stream:
        assert Y4MReader(stream).info.frame_count == count


def test_a_matroska_stream_on_stdin_is_decoded_through_pyav(tmp_path: Path) -> None:
    source = REPO / "examples" / "carphone_176x144_17f.y4m"
    mkv = tmp_path / "x.mkv"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(source), "-frames:v", "3", "-c:v", "ffv1",
                    "-y", str(mkv)], check=True)
    with open_input("-", stdin=io.BufferedReader(io.BytesIO(mkv.read_bytes()))) as piped:
        frames = [frame.to_bytes() for frame in piped]
    assert piped.name == "stdin (Matroska/WebM)"
    assert frames == [frame.to_bytes() for frame in read_frames(source)[:3]]


def test_y4m_without_magic_raises_input_error() -> None:
    with pytest.raises(InputError, match="not a y4m"):
        Y4MReader(io.BytesIO(b"RIFF1234\n" + bytes(100)))


# --- raw yuv420p -----------------------------------------------------------------------------------

def test_raw_yuv420p_made_by_ffmpeg_is_read_with_size_and_fps(tmp_path: Path) -> None:
    raw = tmp_path / "foreman.yuv"
    ffmpeg("-i", eval_clip("foreman_352x288.y4m"), "-frames:v", "6", "-f", "rawvideo", "-pix_fmt", "yuv420p", raw)
    source = open_input(str(raw), size=parse_size("352x288"), fps=parse_fps("29.97"))
    assert source.info == VideoInfo(352, 288, Fraction(30000, 1001), 6)
    assert_same_frames(read_all(source), first_frames(eval_clip("foreman_352x288.y4m"), 6))


def test_raw_yuv420p_from_an_ffmpeg_pipe_on_stdin() -> None:
    process = subprocess.Popen(
        [FFMPEG, "-loglevel", "error", "-i", str(eval_clip("foreman_352x288.y4m")), "-frames:v", "5", "-f", "rawvideo",
         "-pix_fmt", "yuv420p", "-"],
        stdout=subprocess.PIPE,
    )
    source = open_input("-", size=(352, 288), fps=Fraction(30000, 1001), stdin=process.stdout)
    assert source.info.frame_count is None
    frames = read_all(source)
    process.stdout.close()
    assert process.wait() == 0
    assert_same_frames(frames, first_frames(eval_clip("foreman_352x288.y4m"), 5))


def test_raw_stdin_without_size_raises_input_error() -> None:
    raw = first_frames(eval_clip("carphone_176x144.y4m"), 1)[0].to_bytes()
    with pytest.raises(InputError, match=r"-s WxH"):
        open_input("-", stdin=io.BytesIO(raw))
    with pytest.raises(InputError, match=r"-r FPS"):
        open_input("-", size=(176, 144), stdin=io.BytesIO(raw))


def test_raw_file_without_size_raises_input_error(tmp_path: Path) -> None:
    raw = tmp_path / "x.yuv"
    raw.write_bytes(first_frames(eval_clip("carphone_176x144.y4m"), 1)[0].to_bytes())
    with pytest.raises(InputError, match=r"-s WxH"):
        open_input(str(raw), fps=Fraction(30))


def test_raw_partial_last_frame_on_a_pipe_raises_input_error() -> None:
    frames = first_frames(eval_clip("carphone_176x144.y4m"), 2)
    data = frames[0].to_bytes() + frames[1].to_bytes()[:1000]
    reader = RawYuv420Reader(io.BytesIO(data), 176, 144, Fraction(30))
    assert next(reader).to_bytes() == frames[0].to_bytes()
    with pytest.raises(InputError, match="ends inside frame 2"):
        next(reader)


def test_raw_file_with_wrong_size_is_refused_at_open(tmp_path: Path) -> None:
    raw = tmp_path / "x.yuv"
    raw.write_bytes(first_frames(eval_clip("carphone_176x144.y4m"), 3)[0].to_bytes() * 3)
    with pytest.raises(InputError, match="check the size"):
        open_input(str(raw), size=(352, 288), fps=Fraction(30))


# --- PyAV ------------------------------------------------------------------------------------------

def test_pyav_reader_reads_ffmpeg_mp4_with_right_count_size_and_pixels(tmp_path: Path) -> None:
    clip = tmp_path / "foreman.mp4"
    ffmpeg("-i", eval_clip("foreman_352x288.y4m"), "-frames:v", "9", "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p", clip)
    source = open_input(str(clip))
    assert isinstance(source, PyAVReader)
    assert source.info == VideoInfo(352, 288, Fraction(30000, 1001), 9)
    # Lossless H.264 of untagged BT.601 yuv420p must come back bit-exact (no needless swscale pass).
    assert_same_frames(read_all(source), first_frames(eval_clip("foreman_352x288.y4m"), 9))


def test_pyav_reader_converts_full_range_input_to_limited(tmp_path: Path) -> None:
    clip = tmp_path / "full.mkv"
    ffmpeg("-i", eval_clip("videocall_448x256.y4m"), "-frames:v", "3", "-vf", "scale=in_range=tv:out_range=pc",
           "-c:v", "ffv1", "-pix_fmt", "yuvj420p", clip)
    frames = read_all(open_input(str(clip)))
    reference = first_frames(eval_clip("videocall_448x256.y4m"), 3)
    assert len(frames) == 3
    for got, expected in zip(frames, reference):
        assert np.abs(got.y.astype(int) - expected.y).max() <= 1
        assert np.abs(got.u.astype(int) - expected.u).max() <= 2


def test_pyav_reader_missing_file_raises_input_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(InputError, match="nope.mp4.*does not exist"):
        open_input(str(missing))


def test_pyav_reader_refuses_a_file_that_is_not_video(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(InputError, match="junk.mp4"):
        open_input(str(junk))


def decoded_frame_count(path: Path, width: int, height: int) -> tuple[int, bytes]:
    raw = ffmpeg("-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
    frame_bytes = VideoInfo(width, height, Fraction(1), None).frame_bytes
    assert len(raw) % frame_bytes == 0
    return len(raw) // frame_bytes, raw


def test_pyav_writer_mkv_is_lossless_and_ffmpeg_decodes_every_frame(tmp_path: Path) -> None:
    frames = first_frames(eval_clip("foreman_352x288.y4m"), 7)
    target = tmp_path / "out.mkv"
    with open_output(str(target), VideoInfo(352, 288, Fraction(30000, 1001), 7)) as sink:
        for frame in frames:
            sink.write(frame)
    count, raw = decoded_frame_count(target, 352, 288)
    assert count == 7
    assert raw == b"".join(frame.to_bytes() for frame in frames)


def test_pyav_writer_mp4_decodes_with_ffmpeg_to_the_right_frames(tmp_path: Path) -> None:
    frames = first_frames(eval_clip("foreman_352x288.y4m"), 7)
    target = tmp_path / "out.mp4"
    with open_output(str(target), VideoInfo(352, 288, Fraction(30000, 1001), 7)) as sink:
        for frame in frames:
            sink.write(frame)
    count, raw = decoded_frame_count(target, 352, 288)
    assert count == 7
    expected = np.frombuffer(b"".join(frame.to_bytes() for frame in frames), np.uint8)
    assert psnr(np.frombuffer(raw, np.uint8), expected) > 40
    with PyAVReader(target) as reader:
        assert reader.info.fps == Fraction(30000, 1001)


def test_pyav_writer_refuses_odd_size_mp4(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="even width and height"):
        PyAVWriter(tmp_path / "odd.mp4", 175, 143, Fraction(30))


def test_unsupported_output_type_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"out.avi.*\.mkv"):
        open_output(str(tmp_path / "out.avi"), VideoInfo(176, 144, Fraction(30), None))


# --- odd sizes -------------------------------------------------------------------------------------

@pytest.fixture
def odd_clip(tmp_path: Path) -> Path:
    clip = tmp_path / "odd_175x143.y4m"
    ffmpeg("-i", eval_clip("carphone_176x144.y4m"), "-frames:v", "5", "-vf", "crop=175:143:0:0:exact=1", "-pix_fmt", "yuv420p", clip)
    return clip


def test_odd_size_y4m_round_trips_byte_identical(odd_clip: Path, tmp_path: Path) -> None:
    source = open_input(str(odd_clip))
    assert (source.info.width, source.info.height, source.info.frame_count) == (175, 143, 5)
    frames = read_all(source)
    assert frames[0].u.shape == (72, 88)
    target = tmp_path / "copy.y4m"
    with open_output(str(target), source.info) as sink:
        for frame in frames:
            sink.write(frame)
    assert target.read_bytes() == odd_clip.read_bytes()


def test_odd_size_round_trips_through_raw_and_mkv(odd_clip: Path, tmp_path: Path) -> None:
    frames = read_all(open_input(str(odd_clip)))
    info = VideoInfo(175, 143, Fraction(30000, 1001), None)
    for name in ("odd.yuv", "odd.mkv"):
        with open_output(str(tmp_path / name), info) as sink:
            for frame in frames:
                sink.write(frame)
        back = read_all(open_input(str(tmp_path / name), size=(175, 143), fps=info.fps))
        assert_same_frames(back, frames)
    ffmpeg_raw = ffmpeg("-i", odd_clip, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
    assert (tmp_path / "odd.yuv").read_bytes() == ffmpeg_raw


# --- outputs ---------------------------------------------------------------------------------------

def test_stdout_output_is_y4m_readable_back() -> None:
    frames = first_frames(eval_clip("carphone_176x144.y4m"), 3)
    out = io.BytesIO()
    with open_output("-", VideoInfo(176, 144, Fraction(30000, 1001), None), stdout=out) as sink:
        for frame in frames:
            sink.write(frame)
    out.seek(0)
    assert_same_frames(read_all(open_input("-", stdin=out)), frames)


def test_output_file_appears_only_when_closed(tmp_path: Path) -> None:
    target = tmp_path / "out.y4m"
    sink = open_output(str(target), VideoInfo(176, 144, Fraction(30), None))
    sink.write(first_frames(eval_clip("carphone_176x144.y4m"), 1)[0])
    assert not target.exists()
    sink.close()
    assert target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out.y4m"]


@pytest.mark.parametrize("name", ["out.y4m", "out.mkv", "out.yuv"])
def test_failed_output_leaves_no_file_behind(tmp_path: Path, name: str) -> None:
    frames = first_frames(eval_clip("carphone_176x144.y4m"), 2)
    with pytest.raises(InputError, match="frame is 175x143"):
        with open_output(str(tmp_path / name), VideoInfo(176, 144, Fraction(30), None)) as sink:
            sink.write(frames[0])
            sink.write(Yuv420Frame.from_bytes(bytes(175 * 143 + 2 * 88 * 72), 175, 143))
    assert list(tmp_path.iterdir()) == []


def test_output_into_a_missing_folder_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        open_output(str(tmp_path / "no" / "out.y4m"), VideoInfo(176, 144, Fraction(30), None))


# --- frames and option parsing ---------------------------------------------------------------------

def test_frame_bytes_round_trip_and_shape_checks() -> None:
    frame = first_frames(eval_clip("carphone_176x144.y4m"), 1)[0]
    assert Yuv420Frame.from_bytes(frame.to_bytes(), 176, 144).to_bytes() == frame.to_bytes()
    with pytest.raises(InputError, match="38016 bytes"):
        Yuv420Frame.from_bytes(frame.to_bytes()[:-1], 176, 144)
    with pytest.raises(InputError, match="chroma"):
        Yuv420Frame(y=frame.y, u=frame.u[:-1], v=frame.v)


@pytest.mark.parametrize(
    ("text", "rate"),
    [("30000/1001", Fraction(30000, 1001)), ("30000:1001", Fraction(30000, 1001)), ("25", Fraction(25)),
     ("25.0", Fraction(25)), ("29.97", Fraction(30000, 1001)), ("23.976", Fraction(24000, 1001)),
     ("59.94", Fraction(60000, 1001)), ("12.5", Fraction(25, 2))],
)
def test_parse_fps(text: str, rate: Fraction) -> None:
    assert parse_fps(text) == rate


@pytest.mark.parametrize("text", ["", "abc", "0", "-25", "30/0", "1/2/3"])
def test_parse_fps_rejects_nonsense(text: str) -> None:
    with pytest.raises(InputError):
        parse_fps(text)


def test_parse_size() -> None:
    assert parse_size("352x288") == (352, 288)
    assert parse_size("175X143") == (175, 143)
    for bad in ("352", "0x288", "352x", "a x b"):
        with pytest.raises(InputError, match="WIDTHxHEIGHT"):
            parse_size(bad)


def test_av_frame_conversion_round_trips_an_odd_size_frame(odd_clip: Path) -> None:
    frame = read_all(open_input(str(odd_clip)))[0]
    av_frame = yuv420_to_av_frame(frame)
    assert (av_frame.width, av_frame.height, av_frame.format.name) == (175, 143, "yuv420p")
    assert av_frame_to_yuv420(av_frame).to_bytes() == frame.to_bytes()
