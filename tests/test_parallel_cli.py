"""gvc-enc / gvc-dec --workers: the single-process path never loads Ray, a missing Ray is one actionable
line, and Ctrl-C stops the workers and leaves no output file."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import BinaryIO

import pytest

from tests.helpers import REPO, SMALL, run_cli, with_short_choices

CLIP = REPO / "examples" / "carphone_176x144_17f.y4m"
# Ray's C++ core logs to the driver's stderr on its own (e.g. "task_manager.cc: Failed to push error to driver"
# when a run shuts down while a notice is on its way); those lines are Ray's, not the command's.
RAY_CORE_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:,]+ [DIWEF] \d+ \d+\] \w+\.cc:\d+: ")
ENV = {**os.environ, "PYTHONPATH": str(REPO)}

SINGLE_PROCESS = """
import sys
import gvcodec.codec
from gvcodec.cli.enc import main
from gvcodec.io.y4m import Y4MReader
with open(sys.argv[1], "rb") as clip:
    frames = [frame for _, frame in zip(range(3), Y4MReader(clip))]
encoder = gvcodec.codec.Encoder(176, 144, 30, model=sys.argv[2], codebook=64, atoms=4, steps=3, tail_steps=1, quiet=True)
gvcodec.codec.encode_stream(encoder, frames)
assert main([sys.argv[1], "-o", sys.argv[3], "--frames", "2", "--model", sys.argv[2], "-q"]) == 0
print("ray" in sys.modules)
"""

WITHOUT_RAY = """
import sys
sys.modules["ray"] = None  # what an environment without the [ray] extra gives: ImportError
from gvcodec.cli.{command} import main
sys.exit(main(sys.argv[1:]))
"""


def feed(pipe: BinaryIO, data: bytes) -> None:
    """Write ``data`` into ``pipe`` and leave it open; a reader that exits first is no error here."""
    try:
        pipe.write(data)
        pipe.flush()
    except BrokenPipeError:
        pass


def test_the_single_process_path_never_imports_ray(tmp_path: Path, tiny_nano_folder: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SINGLE_PROCESS, str(CLIP), str(tiny_nano_folder), str(tmp_path / "out.gvc")],
        capture_output=True, text=True, env=ENV, timeout=600, check=True,
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("command", ["enc", "dec"])
def test_workers_without_ray_say_in_one_line_how_to_install_it(
    tmp_path: Path, tiny_nano_folder: Path, command: str
) -> None:
    if command == "enc":
        arguments = [str(CLIP), "-o", str(tmp_path / "out.gvc")]
    else:
        stream = tmp_path / "in.gvc"
        run_cli("enc", str(CLIP), "-o", str(stream), "--frames", "1", "--model", str(tiny_nano_folder), *SMALL)
        arguments = [str(stream), "-o", str(tmp_path / "out.y4m")]
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_RAY.format(command=command), *arguments, "--workers", "2", "-q"],
        capture_output=True, text=True, env=ENV, timeout=600,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"gvc-{command}: error: --workers needs Ray, which is not installed: pip install 'gvcodec[ray]' "
        "(or pip install 'ray[default]')"
    ]
    assert not any(path.name.startswith(".out") or path.name.startswith("out") for path in tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_parallel_encode_stops_every_worker_and_leaves_no_output(
    tmp_path: Path, tiny_nano_folder: Path, signum: int
) -> None:
    psutil = pytest.importorskip("psutil")
    pytest.importorskip("ray")
    output = tmp_path / "out.gvc"
    process = subprocess.Popen(
        [sys.executable, "-m", "gvcodec.cli.enc", "-", "-o", str(output), "--model", str(tiny_nano_folder),
         "--gop", "5", "--workers", "2", *SMALL],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
    )
    feeder = threading.Thread(target=feed, args=(process.stdin, CLIP.read_bytes()), daemon=True)
    feeder.start()  # the pipe stays open after the clip: gvc-enc is coding or waiting for more when stopped
    # The partial output appears once the workers have loaded the model; the GOPs are coding soon after.
    deadline = time.monotonic() + 300
    while not any(tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert any(tmp_path.iterdir()), "gvc-enc never started writing"
    time.sleep(2)
    family = psutil.Process(process.pid).children(recursive=True)
    assert len(family) >= 2, "the workers run in processes of their own"
    process.send_signal(signum)
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert process.returncode == 130, stderr.decode(errors="replace")
    assert list(tmp_path.iterdir()) == []
    _, alive = psutil.wait_procs(family, timeout=30)
    assert alive == []


@pytest.mark.slow
def test_gvc_enc_and_gvc_dec_with_two_workers_write_the_single_process_files(
    tmp_path: Path, tiny_nano_folder: Path
) -> None:
    pytest.importorskip("ray")
    common = ["--model", str(tiny_nano_folder), *SMALL]
    run_cli("enc", str(CLIP), "-o", str(tmp_path / "one.gvc"), "--gop", "5", "--mode", "flf2v", *common)
    run_cli("enc", str(CLIP), "-o", str(tmp_path / "two.gvc"), "--gop", "5", "--mode", "flf2v", "--workers", "2", *common)
    assert (tmp_path / "two.gvc").read_bytes() == (tmp_path / "one.gvc").read_bytes()
    run_cli("dec", str(tmp_path / "one.gvc"), "-o", str(tmp_path / "one.y4m"), *common[:2], "-q")
    run_cli("dec", str(tmp_path / "one.gvc"), "-o", str(tmp_path / "two.y4m"), *common[:2], "-q", "--workers", "2")
    assert (tmp_path / "two.y4m").read_bytes() == (tmp_path / "one.y4m").read_bytes()


@pytest.mark.slow
def test_a_gop_failing_in_parallel_gvc_dec_is_one_line_naming_it_and_leaves_no_output(
    tmp_path: Path, tiny_nano_folder: Path
) -> None:
    pytest.importorskip("ray")
    stream = tmp_path / "in.gvc"
    run_cli("enc", str(CLIP), "-o", str(stream), "--frames", "10", "--gop", "5", "--model", str(tiny_nano_folder), *SMALL)
    stream.write_bytes(with_short_choices(stream.read_bytes(), 1))
    result = run_cli("dec", str(stream), "-o", str(tmp_path / "out.y4m"), "--model", str(tiny_nano_folder), "-q",
                     "--workers", "2", check=False)
    assert result.returncode == 1
    lines = [line for line in result.stderr.decode().splitlines() if not RAY_CORE_LINE.match(line)]
    assert len(lines) == 1 and lines[0].startswith("gvc-dec: error: GOP 1: "), lines
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.gvc"]
