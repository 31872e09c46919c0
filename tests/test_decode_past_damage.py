"""gvc-dec past damage: ``--ignore-errors`` conceals each GOP it cannot decode with the last good frame (one
warning per GOP, a summary, exit 0); ``--keep-partial`` keeps the frames decoded before a failure in the file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gvcodec.cli import dec
from gvcodec.testing.stream_mutations import flipped, split
from tests.helpers import read_frames
from tests.test_stream_errors import GOLDEN

T2V = GOLDEN / "t2v_generator1.gvc"
I2V = GOLDEN / "i2v_generator1.gvc"


def same(first, second) -> bool:
    return all(np.array_equal(getattr(first, plane), getattr(second, plane)) for plane in "yuv")


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], one_thread: None, isolated_cache: None):
    """gvc-dec on a stream's bytes: its exit status, the frames written (none when no file) and its stderr lines."""

    def run_decoder(stream: bytes, model: Path, *flags: str) -> tuple[int, list, list[str]]:
        source, output = tmp_path / "in.gvc", tmp_path / "out.y4m"
        source.write_bytes(stream)
        output.unlink(missing_ok=True)
        code = dec.main([str(source), "-o", str(output), "--model", str(model), "-q", *flags])
        frames = read_frames(output) if output.exists() else []
        return code, frames, capsys.readouterr().err.splitlines()

    return run_decoder


def test_ignore_errors_repeats_the_last_good_frame_over_a_damaged_gop_and_exits_0(run, tiny_nano_folder: Path) -> None:
    stream = I2V.read_bytes()
    _, clean, _ = run(stream, tiny_nano_folder)
    header, packets = split(stream)
    damaged = flipped(stream, len(header) + len(packets[0]) + 30, 2)
    code, frames, err = run(damaged, tiny_nano_folder, "--ignore-errors")
    assert code == 0
    assert len(frames) == 7
    assert all(same(frame, clean[index]) for index, frame in enumerate(frames[:5]))
    assert all(same(frame, clean[4]) for frame in frames[5:])
    warnings = [line for line in err if "warning" in line]
    assert len(warnings) == 2
    assert "GOP 1 (frames 5-6) not decoded" in warnings[0] and "damaged: its body has CRC-32" in warnings[0]
    assert "1 GOPs not decoded; 2 of the 7 frames written repeat the last good frame" in warnings[1]


def test_ignore_errors_decodes_the_gops_after_a_missing_one_of_an_unchained_mode(run, tiny_t2v_folder: Path) -> None:
    stream = T2V.read_bytes()
    _, clean, _ = run(stream, tiny_t2v_folder)
    header, packets = split(stream)
    code, frames, err = run(header + packets[1], tiny_t2v_folder, "--ignore-errors")
    assert code == 0
    assert len(frames) == 7
    assert all(np.all(frame.y == 128) for frame in frames[:5])  # no good frame before it: mid-grey
    assert all(same(frame, clean[5 + index]) for index, frame in enumerate(frames[5:]))
    assert any("GOP 0 (frames 0-4) not decoded, the last good frame repeated: its packet is missing" in line for line in err)


def test_ignore_errors_conceals_the_frames_a_cut_stream_lacks_by_the_gop_plan(run, tiny_nano_folder: Path) -> None:
    header, packets = split(I2V.read_bytes())
    code, frames, err = run(header + packets[0], tiny_nano_folder, "--ignore-errors")
    assert code == 0
    assert len(frames) == 7
    assert all(same(frame, frames[4]) for frame in frames[5:])
    assert any("GOP 1 (frames 5-6) not decoded" in line and "truncated stream" in line for line in err)


def test_without_ignore_errors_a_damaged_gop_fails_and_leaves_no_file(run, tiny_nano_folder: Path) -> None:
    stream = I2V.read_bytes()
    header, packets = split(stream)
    code, frames, err = run(flipped(stream, len(header) + len(packets[0]) + 30, 2), tiny_nano_folder)
    assert code == 1
    assert frames == []
    assert len(err) == 1 and err[0].startswith("gvc-dec: error: ")


def test_keep_partial_keeps_the_gops_decoded_before_the_failure_and_says_so(run, tiny_nano_folder: Path) -> None:
    stream = I2V.read_bytes()
    _, clean, _ = run(stream, tiny_nano_folder)
    header, packets = split(stream)
    code, frames, err = run(header + packets[0], tiny_nano_folder, "--keep-partial")
    assert code == 1
    assert len(frames) == 5 and all(same(frame, clean[index]) for index, frame in enumerate(frames))
    assert len(err) == 2
    assert err[0].startswith("gvc-dec: kept the 5 frames decoded before the failure in ")
    assert err[1].startswith("gvc-dec: error: truncated stream")


def test_keep_partial_keeps_no_file_when_no_frame_was_decoded(run, tiny_nano_folder: Path) -> None:
    header, packets = split(I2V.read_bytes())
    code, frames, err = run(header + packets[1], tiny_nano_folder, "--keep-partial")
    assert code == 1
    assert frames == []
    assert len(err) == 1 and "a packet is missing" in err[0]
