"""libgvc and its C examples, built for real and run against a real ffmpeg, a real clip and a tiny model.

The library and both examples are compiled once per module (``ffmpeg_bridge/build.py``); FFmpeg's
development packages, pkg-config and a C compiler must be installed (``.ci/run`` installs them).
"""
from __future__ import annotations

import ctypes
import io
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from container import StreamReader
from ffmpeg_bridge.build import api_declarations
from ffmpeg_bridge.decoder_session import DecoderSession
from ffmpeg_bridge.encoder_session import EncoderSession
from ffmpeg_bridge.planes import copy_plane
from ffmpeg_bridge.status import Status, status_of
from gvcodec.codec import Encoder
from gvcodec.errors import GvcError, InputError, ModelError, StreamError
from gvcodec.io.frames import Yuv420Frame, yuv420_frame_bytes
from tests.helpers import REPO, eval_clip

pytestmark = pytest.mark.slow  # end to end through the command lines / a compiled C library

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
HEADER = REPO / "ffmpeg_bridge" / "gvc.h"
WIDTH, HEIGHT, FRAMES, GOP = 96, 64, 10, 5
RATE = "30000/1001"
SMALL = ["--codebook", "256", "--atoms", "8", "--steps", "6", "--tail-steps", "2", "--gop", str(GOP)]
FRAME_BYTES = yuv420_frame_bytes(WIDTH, HEIGHT)


def run(command: list[str | Path], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], input=stdin, capture_output=True, timeout=600)


def checked(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    if result.returncode != 0:
        raise AssertionError(f"{result.args[0]} failed ({result.returncode}):\n{result.stderr.decode(errors='replace')}")
    return result


def gvc_cli(name: str, *args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return checked(run([sys.executable, "-m", f"gvcodec.cli.{name}", *args, "-q"], stdin=stdin))


def api_text() -> str:
    return api_declarations(HEADER.read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("libgvc")
    checked(run([sys.executable, REPO / "ffmpeg_bridge" / "build.py", out, "--examples"]))
    return out


@pytest.fixture(scope="module")
def source_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10 frames of a real clip, cropped to 96x64, as H.264 in MP4: an input only FFmpeg's libraries read."""
    path = tmp_path_factory.mktemp("source") / "carphone.mp4"
    checked(run([FFMPEG, "-v", "error", "-i", eval_clip("carphone_176x144.y4m"), "-vf", f"crop={WIDTH}:{HEIGHT}:40:30",
                 "-frames:v", str(FRAMES), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", path]))
    return path


@pytest.fixture(scope="module")
def encode_any(built: Path, source_mp4: Path, tiny_t2v_folder: Path) -> subprocess.CompletedProcess:
    """The C example 1 run on the mp4 through libgvc, writing carphone.gvc beside it."""
    return checked(run([built / "gvc_encode_any", source_mp4, source_mp4.with_name("carphone.gvc"),
                        "--model", tiny_t2v_folder, *SMALL]))


@pytest.fixture(scope="module")
def stream(encode_any: subprocess.CompletedProcess, source_mp4: Path) -> Path:
    """The mp4 encoded by the C example 1 through libgvc."""
    return source_mp4.with_name("carphone.gvc")


def program_lines(messages: bytes, program: str) -> list[str]:
    """The lines a C example wrote on stderr itself (Python's progress bars, split at carriage returns, dropped)."""
    return [line for line in re.split(r"[\r\n]+", messages.decode(errors="replace")) if line.startswith(f"{program}: ")]


@pytest.fixture(scope="module")
def gvc_dec_output(stream: Path, tiny_t2v_folder: Path) -> bytes:
    path = stream.with_name("gvc_dec.yuv")
    gvc_cli("dec", stream, "-o", path, "--model", tiny_t2v_folder)
    return path.read_bytes()


def test_library_exports_every_function_declared_in_gvc_h(built: Path) -> None:
    declared = re.findall(r"^[a-z][\w\s\*]*?\b(gvc_\w+)\(", api_text(), flags=re.MULTILINE)
    library = ctypes.CDLL(str(built / "libgvc.so"))
    assert len(declared) == 14
    assert [name for name in declared if not hasattr(library, name)] == []


def test_status_codes_and_their_texts_agree_with_gvc_h(built: Path) -> None:
    declared = {name: int(value) for name, value in re.findall(r"\bGVC_(\w+) = (-?\d+)", api_text())}
    assert declared == {status.name: status.value for status in Status}
    strerror = ctypes.CDLL(str(built / "libgvc.so")).gvc_strerror
    strerror.restype = ctypes.c_char_p
    texts = {strerror(code) for code in declared.values()}
    assert len(texts) == len(declared) and all(texts)
    assert strerror(12345) == b"unknown libgvc status code"


def test_encode_any_writes_the_stream_gvc_enc_writes_from_an_ffmpeg_pipe(
    stream: Path, source_mp4: Path, tiny_t2v_folder: Path
) -> None:
    raw = checked(run([FFMPEG, "-v", "error", "-i", source_mp4, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])).stdout
    reference = gvc_cli("enc", "-", "-s", f"{WIDTH}x{HEIGHT}", "-r", RATE, "-o", "-", "--model", tiny_t2v_folder, *SMALL,
                        stdin=raw).stdout
    assert stream.read_bytes() == reference


def test_encode_any_reports_the_model_loading_and_each_gop_on_stderr(
    encode_any: subprocess.CompletedProcess, stream: Path
) -> None:
    lines = program_lines(encode_any.stderr, "gvc_encode_any")
    assert lines[0] == f"gvc_encode_any: {WIDTH}x{HEIGHT} {RATE} fps, loading the model"
    assert re.fullmatch(r"gvc_encode_any: model loaded, \d+\.\d s", lines[1])
    gops = [re.fullmatch(r"gvc_encode_any: GOP (\d+) done, (\d+) frames read, (\d+) bytes written, \d+\.\d s", line)
            for line in lines[2:-1]]
    assert all(gops), lines
    assert [(int(gop[1]), int(gop[2])) for gop in gops] == [(1, GOP), (2, FRAMES)]
    assert int(gops[-1][3]) == stream.stat().st_size
    assert re.fullmatch(rf"gvc_encode_any: {FRAMES} frames {WIDTH}x{HEIGHT}, \d+ bytes, \d+\.\d s", lines[-1])


def test_decode_raw_reports_the_frames_written_on_stderr(built: Path, stream: Path, tiny_t2v_folder: Path) -> None:
    result = checked(run([built / "gvc_decode_raw", stream, "--model", tiny_t2v_folder]))
    lines = program_lines(result.stderr, "gvc_decode_raw")
    assert lines[0] == f"gvc_decode_raw: {WIDTH}x{HEIGHT} {RATE} fps"
    written = [re.fullmatch(r"gvc_decode_raw: (\d+)(/\d+)? frames written, \d+\.\d s", line) for line in lines[1:-1]]
    assert written and all(written), lines
    counts = [int(line[1]) for line in written]
    assert counts == sorted(set(counts)) and counts[-1] == FRAMES
    assert re.fullmatch(rf"gvc_decode_raw: {FRAMES} frames, \d+\.\d s", lines[-1])


def test_decode_raw_piped_into_ffmpeg_matches_gvc_dec_byte_for_byte(
    built: Path, stream: Path, tiny_t2v_folder: Path, gvc_dec_output: bytes, tmp_path: Path
) -> None:
    raw, crc = tmp_path / "ffmpeg.yuv", tmp_path / "frames.crc"
    # Read from a pipe, fed 7 bytes at a time: packets arrive split at every possible place.
    decoder = subprocess.Popen([built / "gvc_decode_raw", "-", "--chunk", "7", "--model", tiny_t2v_folder],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ffmpeg = subprocess.Popen([FFMPEG, "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{WIDTH}x{HEIGHT}",
                               "-r", RATE, "-i", "-", "-f", "rawvideo", "-y", raw, "-f", "framecrc", "-y", crc],
                              stdin=decoder.stdout)
    decoder.stdout.close()
    _, messages = decoder.communicate(stream.read_bytes(), timeout=600)
    assert decoder.returncode == 0, messages.decode(errors="replace")
    assert ffmpeg.wait(timeout=60) == 0
    assert f"{WIDTH}x{HEIGHT} {RATE} fps".encode() in messages
    frame_lines = [line.split(",") for line in crc.read_text().splitlines() if not line.startswith("#")]
    assert [int(fields[4]) for fields in frame_lines] == [FRAME_BYTES] * FRAMES
    assert raw.read_bytes() == gvc_dec_output


def test_damaged_packet_fails_after_writing_the_gops_before_it(
    built: Path, stream: Path, tiny_t2v_folder: Path, gvc_dec_output: bytes, tmp_path: Path
) -> None:
    data = bytearray(stream.read_bytes())
    data[-6] ^= 0xFF  # inside the last GOP packet's body
    result = run([built / "gvc_decode_raw", "-", "--model", tiny_t2v_folder], stdin=bytes(data))
    assert result.returncode == 1
    assert b"GOP packet 1" in result.stderr and b"CRC" in result.stderr
    assert result.stdout == gvc_dec_output[: GOP * FRAME_BYTES]


def test_damaged_header_is_reported_before_any_output(built: Path, stream: Path) -> None:
    data = bytearray(stream.read_bytes())
    data[30] ^= 0xFF
    result = run([built / "gvc_decode_raw", "-"], stdin=bytes(data))
    assert result.returncode == 1 and result.stdout == b""
    assert b"the stream header is damaged" in result.stderr


def test_missing_model_folder_is_a_model_error(built: Path, stream: Path, tmp_path: Path) -> None:
    result = run([built / "gvc_decode_raw", stream, "--model", tmp_path / "absent"])
    assert result.returncode == 1 and result.stdout == b""
    assert b"does not exist" in result.stderr and b"(model missing" in result.stderr


def test_invalid_encoder_option_is_reported_and_leaves_no_output(
    built: Path, source_mp4: Path, tiny_t2v_folder: Path, tmp_path: Path
) -> None:
    output = tmp_path / "x.gvc"
    result = run([built / "gvc_encode_any", source_mp4, output, "--model", tiny_t2v_folder, "--gop", "6"])
    assert result.returncode == 1
    assert b"gvc_encoder_open failed: --gop must be 4k + 1" in result.stderr
    assert not output.exists()


def test_decoder_session_wants_bytes_until_the_header_is_whole(stream: Path, tiny_t2v_folder: Path) -> None:
    header_bytes = StreamReader(io.BytesIO(stream.read_bytes())).header_size
    session = DecoderSession(model=str(tiny_t2v_folder))
    try:
        session.feed(stream.read_bytes()[: header_bytes - 1])
        assert session.header() is Status.EAGAIN
        assert session.receive() is Status.EAGAIN
        session.feed(stream.read_bytes()[header_bytes - 1 : header_bytes])
        header = session.header()
        assert not isinstance(header, Status) and (header.width, header.height) == (WIDTH, HEIGHT)
        assert session.receive() is Status.EAGAIN
    finally:
        session.close()


def test_decoder_session_gives_every_frame_then_again_then_eof_after_flush(
    stream: Path, tiny_t2v_folder: Path, gvc_dec_output: bytes
) -> None:
    session = DecoderSession(model=str(tiny_t2v_folder))
    try:
        session.feed(stream.read_bytes())
        decoded = []
        while not isinstance(item := session.receive(), Status):
            decoded.append(item)
        assert item is Status.EAGAIN
        session.flush()
        assert session.receive() is Status.EOF
        with pytest.raises(InputError, match="after the decoder was flushed"):
            session.feed(b"\0")
    finally:
        session.close()
    assert [frame.pts for frame in decoded] == list(range(FRAMES))
    assert b"".join(frame.frame.to_bytes() for frame in decoded) == gvc_dec_output


def test_decoder_session_raises_the_stream_error_of_bytes_that_are_no_stream() -> None:
    session = DecoderSession(model="absent-model-never-loaded")
    session.feed(b"YUV4MPEG2 W96 H64 F30:1\n")
    with pytest.raises(StreamError, match="not a gvcodec stream"):
        session.receive()
    session.close()


def test_encoder_session_hands_out_the_header_first_and_eof_after_flush(tiny_t2v_folder: Path) -> None:
    encoder = Encoder(WIDTH, HEIGHT, Fraction(30000, 1001), model=str(tiny_t2v_folder), quiet=True,
                      codebook=256, atoms=8, steps=6, tail_steps=2, gop=GOP)
    session = EncoderSession(encoder)
    assert session.receive() == encoder.extradata
    assert session.receive() is Status.EAGAIN
    session.flush()
    assert session.receive() is Status.EOF
    grey = Yuv420Frame.from_bytes(bytes([128]) * FRAME_BYTES, WIDTH, HEIGHT)
    with pytest.raises(InputError, match="after the encoder was flushed"):
        session.encode(grey)


def test_copy_plane_drops_row_padding_and_reads_nothing_past_the_last_row() -> None:
    rows = np.arange(3 * 8, dtype=np.uint8).reshape(3, 8)
    buffer = rows.tobytes()[: 2 * 8 + 5]  # the last row's padding is absent
    plane = copy_plane(buffer, 5, 3, 8, "Y")
    assert plane.flags.c_contiguous and np.array_equal(plane, rows[:, :5])


def test_copy_plane_refuses_a_stride_shorter_than_a_row() -> None:
    with pytest.raises(InputError, match="stride is 4 bytes, less than its width 5"):
        copy_plane(bytes(40), 5, 3, 4, "U")


@pytest.mark.parametrize(
    ("error", "status"),
    [(InputError("x"), Status.EINVAL), (ModelError("x"), Status.EMODEL), (StreamError("x"), Status.ESTREAM),
     (MemoryError(), Status.ENOMEM), (GvcError("x"), Status.EINTERNAL), (KeyError("x"), Status.EINTERNAL)],
)
def test_python_errors_map_to_their_c_status(error: BaseException, status: Status) -> None:
    assert status_of(error) is status
