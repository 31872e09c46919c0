"""The design card's pipelines, run as a user types them: a real ffmpeg and gvc-enc / gvc-dec in a shell.

    ffmpeg -i x.mp4 -f yuv4mpegpipe - | gvc-enc > x.gvc
    ffmpeg -i x.mp4 -f rawvideo -pix_fmt yuv420p - | gvc-enc -s WxH -r R > x.gvc
    cat x.mp4 | gvc-enc > x.gvc
    gvc-dec < x.gvc > x.y4m

Each stream's packets must equal those of ``gvc-enc x.mp4 -o x.gvc`` (the same decoded frames in).
"""
from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import pytest

from container import GopPacket, StreamReader
from tests.helpers import REPO, SMALL

pytestmark = pytest.mark.slow  # several encodes through the command lines

CLIP = REPO / "examples" / "carphone_176x144_17f.y4m"
FFMPEG = shlex.quote(imageio_ffmpeg.get_ffmpeg_exe())


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """``command`` in ``sh``; its stderr is gvc-enc's / gvc-dec's (ffmpeg's goes to /dev/null)."""
    return subprocess.run(command, shell=True, cwd=cwd, capture_output=True, timeout=600)


def packets_of(stream: Path) -> list[GopPacket]:
    with stream.open("rb") as source:
        return [record.packet for record in StreamReader(source)]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, tiny_nano_folder: Path) -> dict:
    folder = tmp_path_factory.mktemp("pipes")
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(CLIP), "-frames:v", "9", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", "-y", str(folder / "x.mp4")],
        check=True,
    )
    options = " ".join([*SMALL, "--gop", "5", "--model", shlex.quote(str(tiny_nano_folder))])
    enc = f"{shlex.quote(sys.executable)} -m gvcodec.cli.enc {options}"
    dec = f"{shlex.quote(sys.executable)} -m gvcodec.cli.dec -q --model {shlex.quote(str(tiny_nano_folder))}"
    reference = shell(f"{enc} x.mp4 -o reference.gvc", folder)
    assert reference.returncode == 0, reference.stderr.decode()
    return {"folder": folder, "enc": enc, "dec": dec, "reference": packets_of(folder / "reference.gvc")}


@pytest.mark.parametrize(
    "pipeline",
    [
        "{ffmpeg} -v error -i x.mp4 -f yuv4mpegpipe - | {enc} > out.gvc",
        "{ffmpeg} -v error -i x.mp4 -f rawvideo -pix_fmt yuv420p - | {enc} -s 176x144 -r 30000/1001 > out.gvc",
        "cat x.mp4 | {enc} > out.gvc",
        "{enc} - -o out.gvc < x.mp4",
    ],
    ids=["y4m pipe", "raw pipe", "mp4 on stdin", "explicit dash"],
)
def test_a_design_card_pipeline_codes_the_same_packets_as_the_file(work: dict, pipeline: str) -> None:
    folder = work["folder"]
    (folder / "out.gvc").unlink(missing_ok=True)
    result = shell(pipeline.format(ffmpeg=FFMPEG, enc=work["enc"]), folder)
    assert result.returncode == 0, result.stderr.decode()
    assert packets_of(folder / "out.gvc") == work["reference"]


def test_raw_pipe_without_size_is_one_line_saying_what_to_add(work: dict) -> None:
    result = shell(f"{FFMPEG} -v quiet -i x.mp4 -f rawvideo - | {work['enc']} > none.gvc", work["folder"])
    assert result.returncode == 1
    (line,) = result.stderr.decode().strip().splitlines()
    assert line.startswith("gvc-enc: error: stdin has no y4m header") and "add -s WxH -r FPS" in line
    assert (work["folder"] / "none.gvc").read_bytes() == b""


def test_wrong_size_on_a_raw_pipe_is_an_error_keeping_the_complete_frames(work: dict) -> None:
    """176x144 frames read as 170x144: 9 frames of 38016 bytes hold 9 whole 36720-byte frames and a partial one."""
    result = shell(
        f"{FFMPEG} -v error -i x.mp4 -f rawvideo -pix_fmt yuv420p - | {work['enc']} -s 170x144 -r 30 > wrong.gvc",
        work["folder"],
    )
    assert result.returncode == 1
    last = result.stderr.decode().strip().splitlines()[-1]
    assert last.startswith("gvc-enc: error: stdin ends inside frame 10 (11664 of 36720 bytes")
    assert "check -s WxH" in last and "the 9 complete frames before it were encoded and kept in stdout" in last


def test_gvc_dec_reads_stdin_and_writes_stdout_by_default(work: dict) -> None:
    folder = work["folder"]
    piped = shell(f"{work['dec']} < reference.gvc > piped.y4m", folder)
    assert piped.returncode == 0, piped.stderr.decode()
    named = shell(f"{work['dec']} reference.gvc -o named.y4m", folder)
    assert named.returncode == 0, named.stderr.decode()
    assert (folder / "piped.y4m").read_bytes() == (folder / "named.y4m").read_bytes()
    assert (folder / "piped.y4m").read_bytes().count(b"FRAME\n") == 9
