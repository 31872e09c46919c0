"""Outputs that cannot be written: a folder that takes no files, a full disk, a file-size limit, SIGTERM.
Each is one line (``gvc-enc: error: cannot write OUT: <reason>``, or ``interrupted``), a non-zero exit,
and no file left behind, finished-looking or partial."""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO, SMALL

CLIP = REPO / "examples" / "carphone_176x144_17f.y4m"
STREAM = REPO / "tests" / "data" / "golden" / "i2v_generator1.gvc"
# A folder no one can create files in, root included (tests may run as root, where chmod stops nothing).
UNWRITABLE = Path("/proc")


def command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", f"gvcodec.cli.{module}", *args]


def encode_args(model: Path, output: str, *extra: str) -> list[str]:
    return command("enc", str(CLIP), "-o", output, "--model", str(model), "--gop", "5", *SMALL, *extra)


def one_error_line(result: subprocess.CompletedProcess, name: str, text: str) -> None:
    """Exit non-zero with one message line, the error (the model loader's progress bars aside), no traceback."""
    err = result.stderr.decode()
    messages = [line for line in err.splitlines() if line.startswith(name)]
    assert result.returncode != 0
    assert "Traceback" not in err and len(messages) == 1, err
    assert messages[0].startswith(f"{name}: error: ") and text in messages[0], err


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.parametrize("where", ["unwritable", "missing"])
@pytest.mark.slow  # through the command lines, with a model load per run
def test_gvc_enc_cannot_write_its_output_in_one_line(tiny_t2v_folder: Path, tmp_path: Path, where: str) -> None:
    output = UNWRITABLE / "out.gvc" if where == "unwritable" else tmp_path / "no" / "out.gvc"
    result = subprocess.run(encode_args(tiny_t2v_folder, str(output), "--frames", "1"), capture_output=True, timeout=600)
    one_error_line(result, "gvc-enc", f"cannot write {output}: ")


@pytest.mark.slow  # through the command lines, with a model load per run
def test_gvc_enc_recon_that_cannot_be_written_is_one_line_and_no_stream_is_left(tiny_t2v_folder: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.gvc"
    recon = UNWRITABLE / "recon.y4m"
    result = subprocess.run(
        encode_args(tiny_t2v_folder, str(output), "--frames", "1", "--recon", str(recon)), capture_output=True, timeout=600
    )
    one_error_line(result, "gvc-enc", f"cannot write {recon}: ")
    assert leftovers(tmp_path) == []


@pytest.mark.slow  # through the command lines, with a model load per run
def test_gvc_dec_cannot_write_its_output_in_one_line(tiny_nano_folder: Path) -> None:
    output = UNWRITABLE / "out.y4m"
    result = subprocess.run(
        command("dec", str(STREAM), "-o", str(output), "--model", str(tiny_nano_folder), "-q"), capture_output=True, timeout=600
    )
    one_error_line(result, "gvc-dec", f"cannot write {output}: ")


@pytest.mark.parametrize("program", ["enc", "dec"])
@pytest.mark.slow  # through the command lines, with a model load per run
def test_a_full_disk_under_stdout_is_one_line(program: str, tiny_t2v_folder: Path, tiny_nano_folder: Path) -> None:
    if program == "enc":
        args = encode_args(tiny_t2v_folder, "-", "--frames", "1")
    else:
        args = command("dec", str(STREAM), "-o", "-", "--model", str(tiny_nano_folder), "-q")
    with open("/dev/full", "wb") as full:
        result = subprocess.run(args, stdout=full, stderr=subprocess.PIPE, timeout=600)
    one_error_line(result, f"gvc-{program}", "cannot write stdout: No space left on device")


def limit_file_size() -> None:
    """In the child: files may not grow past 128 bytes, and going past is an error (EFBIG), not a signal."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (128, 128))


@pytest.mark.parametrize("program", ["enc", "dec"])
@pytest.mark.slow  # through the command lines, with a model load per run
def test_a_write_failing_midway_leaves_no_file(program: str, tiny_t2v_folder: Path, tiny_nano_folder: Path, tmp_path: Path) -> None:
    if program == "enc":
        args = encode_args(tiny_t2v_folder, str(tmp_path / "out.gvc"), "--frames", "6")
    else:
        args = command("dec", str(STREAM), "-o", str(tmp_path / "out.y4m"), "--model", str(tiny_nano_folder), "-q")
    result = subprocess.run(args, capture_output=True, timeout=600, preexec_fn=limit_file_size)
    one_error_line(result, f"gvc-{program}", "File too large")
    assert leftovers(tmp_path) == []


@pytest.mark.slow  # through the command lines, with a model load per run
def test_sigterm_during_an_encode_leaves_no_partial_file(tiny_t2v_folder: Path, tmp_path: Path) -> None:
    process = subprocess.Popen(
        encode_args(tiny_t2v_folder, str(tmp_path / "out.gvc"), "--recon", str(tmp_path / "recon.y4m")),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    while not any(name.endswith(".partial.gvc") for name in leftovers(tmp_path)):
        assert process.poll() is None and time.monotonic() < deadline, "the encoder never started writing"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode != 0
    assert [line for line in err.decode().splitlines() if line.startswith("gvc-enc")] == ["gvc-enc: interrupted"]
    assert "Traceback" not in err.decode()
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder; the /proc cases cover it")
@pytest.mark.slow  # through the command lines, with a model load per run
def test_a_read_only_folder_is_one_line(tiny_nano_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o500)
    output = folder / "out.y4m"
    result = subprocess.run(
        command("dec", str(STREAM), "-o", str(output), "--model", str(tiny_nano_folder), "-q"), capture_output=True, timeout=600
    )
    one_error_line(result, "gvc-dec", f"cannot write {output}: Permission denied")


def test_a_stale_partial_file_is_never_listed_as_an_input(tmp_path: Path) -> None:
    from gvcodec.io.atomic import input_files, partial_path

    clip = tmp_path / "clip.y4m"
    clip.write_bytes(b"")
    partial_path(tmp_path / "other.y4m").write_bytes(b"")
    assert input_files(tmp_path, "*.y4m") == [clip]


def test_the_training_recipe_never_reads_a_stale_partial_file(tmp_path: Path) -> None:
    from gvcodec.io.atomic import partial_path
    from gvcodec.train.data import list_videos

    clip = tmp_path / "clip.y4m"
    clip.write_bytes(b"")
    partial_path(tmp_path / "other.y4m").write_bytes(b"")
    assert list_videos(tmp_path) == [clip]
