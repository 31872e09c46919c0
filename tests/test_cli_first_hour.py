"""A new user's first hour with the command lines: checks before any heavy import, one-line errors for bad
input, --version, the truncated-input decision, readable progress in logs, the README's Python snippet.

The pipelines of the design card (through a real ffmpeg and a shell) are in test_cli_pipes.py.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from container import StreamReader
from gvcodec.cli import bench, dec, enc, info, play
from gvcodec.codebook import generator_list
from gvcodec.options import GENERATOR_HELP
from tests.helpers import REPO, SMALL, run_cli

CLIP = REPO / "examples" / "carphone_176x144_17f.y4m"
FRAME_BYTES = 176 * 144 * 3 // 2
HEADER = b"YUV4MPEG2 W176 H144 F30000:1001 Ip A1:1 C420jpeg\n"

# Runs gvc-enc's main on each argument list in one fresh interpreter; reports exit codes, stderr and
# whether torch / diffusers were imported by then.
_PROBE = """
import contextlib, io, json, sys
from gvcodec.cli import enc
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = enc.main(argv)
        except SystemExit as exit_:
            code = exit_.code
    heavy = sorted(name for name in ("torch", "diffusers") if name in sys.modules)
    results.append({"code": code, "err": err.getvalue(), "heavy": heavy})
print(json.dumps(results))
"""


def probe_enc(cases: list[list[str]]) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(cases)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(result.stdout)


def test_help_imports_neither_torch_nor_diffusers() -> None:
    (result,) = probe_enc([["--help"]])
    assert result["code"] == 0
    assert result["heavy"] == []


@pytest.mark.parametrize("main", [enc.main, dec.main, info.main, play.main, bench.main])
def test_every_command_line_has_a_version_from_the_package_metadata(main, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.metadata

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip().endswith(f"{importlib.metadata.version('gvcodec')} (gvcodec)")


def test_bad_options_are_refused_before_torch_is_imported(tmp_path: Path) -> None:
    wide = tmp_path / "wide.yuv"
    wide.write_bytes(bytes(9000 * 2 * 3 // 2))
    output = tmp_path / "out.gvc"
    cases = [
        ["--shift", "0"], ["--shift", "nan"], ["--shift", "1e-20"], ["--g-scale", "-1"], ["--steps", "70000"],
        ["--gop", "70001"], ["--frames", "-3"], ["--frames", "0"], ["--residual-step", "inf"],
        ["--atoms", "300", "--codebook", "256"], ["--tail-steps", "20"], ["--anchor-q", "64"], ["--gop", "10"],
        ["--mode", "i2v", "--gop", "1"], ["--dtype", "float16"],
    ]
    argvs = [[str(CLIP), "-o", str(output), *case] for case in cases]
    argvs.append([str(wide), "-s", "9000x2", "-r", "30", "-o", str(output)])
    for argv, result in zip(argvs, probe_enc(argvs)):
        assert result["code"] not in (0, None), argv
        assert "Traceback" not in result["err"], argv
        assert result["err"].strip().splitlines()[-1].startswith("gvc-enc: error: "), argv
        assert result["heavy"] == [], f"{argv} imported {result['heavy']} before refusing"
    assert not output.exists()


def malformed_inputs() -> dict[str, bytes]:
    frame = bytes(FRAME_BYTES)
    return {
        "no width": b"YUV4MPEG2 H144 F30:1\nFRAME\n" + frame,
        "zero width": b"YUV4MPEG2 W0 H144 F30:1\nFRAME\n" + frame,
        "absurd size": b"YUV4MPEG2 W65535 H65535 F30:1\nFRAME\n" + frame,
        "C444": b"YUV4MPEG2 W176 H144 F30:1 C444\nFRAME\n" + frame,
        "10-bit": b"YUV4MPEG2 W176 H144 F30:1 C420p10\nFRAME\n" + frame,
        "interlaced": b"YUV4MPEG2 W176 H144 F30:1 It\nFRAME\n" + frame,
        "no FRAME marker": HEADER + b"FRAMX\n" + frame,
        "header only": HEADER,
        "empty": b"",
    }


@pytest.mark.parametrize("kind", list(malformed_inputs()))
def test_malformed_y4m_is_one_line_error_before_torch_and_leaves_no_output(kind: str, tmp_path: Path) -> None:
    clip, output = tmp_path / "in.y4m", tmp_path / "out.gvc"
    clip.write_bytes(malformed_inputs()[kind])
    (result,) = probe_enc([[str(clip), "-o", str(output)]])
    assert result["code"] == 1
    assert len(result["err"].strip().splitlines()) == 1
    assert result["err"].startswith("gvc-enc: error: ")
    assert result["heavy"] == []
    assert not output.exists()


def test_raw_file_that_is_not_whole_frames_is_refused_before_torch(tmp_path: Path) -> None:
    raw, output = tmp_path / "in.yuv", tmp_path / "out.gvc"
    raw.write_bytes(bytes(FRAME_BYTES * 3))
    (result,) = probe_enc([[str(raw), "-s", "170x144", "-r", "30", "-o", str(output)]])
    assert result["code"] == 1
    assert "not a whole number of 170x144 yuv420p frames" in result["err"]
    assert result["heavy"] == []
    assert not output.exists()


def test_raw_stdin_without_size_says_exactly_what_to_add() -> None:
    result = run_cli("enc", "-o", "-", stdin=bytes(FRAME_BYTES), check=False)
    assert result.returncode == 1
    (line,) = result.stderr.decode().strip().splitlines()
    assert line.startswith("gvc-enc: error: ") and "add -s WxH -r FPS" in line and "yuv4mpegpipe" in line
    assert result.stdout == b""


def test_a_terminal_is_refused_as_the_stream_output() -> None:
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "gvcodec.cli.enc", str(CLIP)], stdout=terminal, stderr=subprocess.PIPE, timeout=60
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 1
    assert result.stderr.decode().startswith("gvc-enc: error: refusing to write a .gvc stream to the terminal")


def test_no_input_from_a_terminal_is_one_line_not_a_wait() -> None:
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "gvcodec.cli.enc", "-o", "x.gvc"], stdin=terminal, capture_output=True, timeout=60
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 1
    assert result.stderr.decode() == "gvc-enc: error: no input: give a video file as an argument, or pipe it into stdin\n"


def test_gop_1_is_warned_about_in_one_line(tmp_path: Path) -> None:
    (result,) = probe_enc([[str(tmp_path / "missing.y4m"), "-o", str(tmp_path / "out.gvc"), "--gop", "1"]])
    warning, error = result["err"].strip().splitlines()
    assert warning == enc.GOP_1_WARNING
    assert error.startswith("gvc-enc: error: input file")


def test_the_generator_help_names_every_generator() -> None:
    assert GENERATOR_HELP == generator_list()


@pytest.mark.slow
def test_truncated_y4m_keeps_its_complete_frames_and_exits_1(
    tmp_path: Path, tiny_nano_folder: Path, isolated_cache: None
) -> None:
    clip, output = tmp_path / "cut.y4m", tmp_path / "cut.gvc"
    whole = HEADER + b"".join(b"FRAME\n" + bytes([16 + 8 * i]) * FRAME_BYTES for i in range(7))
    clip.write_bytes(whole[: -FRAME_BYTES // 2])
    result = run_cli("enc", str(clip), "-o", str(output), "--model", str(tiny_nano_folder), *SMALL, "--gop", "5",
                     check=False)
    assert result.returncode == 1
    last = result.stderr.decode().strip().splitlines()[-1]
    assert re.fullmatch(
        r"gvc-enc: error: .*cut\.y4m ends inside frame 7 \(\d+ of 38016 bytes\); the 6 complete frames "
        r"before it were encoded and kept in '.*cut\.gvc'", last
    ), last
    with output.open("rb") as stream:
        reader = StreamReader(stream)
        assert reader.header.frame_count == 6
        assert sum(record.packet.frame_count for record in reader) == 6
    decoded = run_cli("dec", str(output), "--model", str(tiny_nano_folder), "-q")
    assert decoded.stdout.count(b"FRAME\n") == 6


@pytest.mark.slow
def test_progress_in_a_log_is_one_line_per_stage_without_duplicates(
    tmp_path: Path, tiny_nano_folder: Path, isolated_cache: None
) -> None:
    small = [arg for arg in SMALL if arg != "-q"]
    result = run_cli("enc", str(CLIP), "-o", str(tmp_path / "x.gvc"), "--model", str(tiny_nano_folder), *small,
                     "--gop", "5", "--frames", "9")
    lines = result.stderr.decode().splitlines()
    assert len(lines) == len(set(lines)), lines
    assert not any("\r" in line or "it/s" in line for line in lines)
    assert re.fullmatch(r"gvc-enc: loading model .*: \d+\.\d s", lines[0])
    assert [line.split(":")[0] for line in lines[1:-1]] == ["encode GOP 0"] * 2 + ["encode GOP 1"] * 2
    assert re.fullmatch(r"encode GOP 1: 6/6 steps, \d+\.\d s", lines[-2])
    assert lines[-1].startswith("gvc-enc: 9 frames 176x144")


@pytest.mark.slow
def test_progress_on_a_terminal_shows_each_stage_with_elapsed_time(
    tmp_path: Path, tiny_nano_folder: Path, isolated_cache: None
) -> None:
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    small = [arg for arg in SMALL if arg != "-q"]
    process = subprocess.Popen(
        [sys.executable, "-m", "gvcodec.cli.enc", str(CLIP), "-o", str(tmp_path / "x.gvc"), "--model",
         str(tiny_nano_folder), *small, "--gop", "5", "--frames", "9", "--recon", str(tmp_path / "r.y4m")],
        stderr=terminal, stdout=subprocess.DEVNULL,
    )
    os.close(terminal)
    shown = b""
    with contextlib.suppress(OSError):  # the terminal's reading end reports EIO once the program has exited
        while chunk := os.read(controller, 4096):
            shown += chunk
    os.close(controller)
    assert process.wait(timeout=600) == 0
    text = shown.decode(errors="replace")
    assert re.search(r"gvc-enc: loading model .*: 00:0\d", text)
    for stage in ("encode GOP 0: VAE encode: 00:", "encode GOP 1:", "/6 [", "GOP 1: VAE decode: 00:", "9/9 ["):
        assert stage in text, stage
    assert text.rstrip().splitlines()[-1].startswith("gvc-enc: 9 frames 176x144")
