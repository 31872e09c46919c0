"""What the decoder and the command lines refuse: a GOP past ``--max-memory`` (default: the device's
memory, the estimate in the message) or past the model's rotary table, before any decoding; a cut stream,
as one line and exit 1, with no output file left behind."""
from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path

import pytest

from gvcodec.backbones import load_backbone
from gvcodec.cli import dec, info
from gvcodec.codec import Decoder, read_stream
from gvcodec.errors import StreamLimitError
from tests.test_stream_errors import GOLDEN, crafted_header, split

STREAM = GOLDEN / "i2v_generator1.gvc"


def test_a_stream_whose_gop_needs_more_than_max_memory_is_refused_with_the_estimate(tiny_nano_folder: Path) -> None:
    header, _ = read_stream(io.BytesIO(STREAM.read_bytes()))
    Decoder(header, model=str(tiny_nano_folder), quiet=True, max_memory=1 << 30)
    with pytest.raises(StreamLimitError, match=r"needs at least 0\.0 GiB and 6 model calls; the decoder may use 0\.0 GiB"):
        Decoder(header, model=str(tiny_nano_folder), quiet=True, max_memory=1 << 10)


def test_a_huge_picture_within_the_format_limits_is_refused_by_the_default_budget(tiny_nano_folder: Path) -> None:
    stream = crafted_header(STREAM.read_bytes(), width=8192, height=8192, gop_length=1025)
    header, _ = read_stream(io.BytesIO(stream))
    started = time.perf_counter()
    with pytest.raises(StreamLimitError, match="8192x8192 GOP of 1025 frames needs at least"):
        Decoder(header, model=str(tiny_nano_folder), quiet=True)
    assert time.perf_counter() - started < 5  # the tiny model's load; the check itself computes nothing


def test_gvc_dec_max_memory_refusal_is_one_line_and_writes_nothing(
    tiny_nano_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out.y4m"
    code = dec.main([str(STREAM), "-o", str(output), "--model", str(tiny_nano_folder), "-q", "--max-memory", "1K"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("gvc-dec: error: ") and err.count("\n") == 1 and "--max-memory" in err
    assert not output.exists()


def test_gvc_dec_refuses_a_malformed_max_memory(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        dec.main([str(STREAM), "-o", "-", "--max-memory", "lots"])
    assert "--max-memory must be a positive size" in capsys.readouterr().err


def test_a_stream_past_the_models_rotary_table_is_refused_before_decoding(tiny_nano_folder: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(tiny_nano_folder, tmp_path / "short_rope"))
    config = folder / "transformer" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "rope_max_seq_len": 1}))
    backbone = load_backbone(str(folder))
    stream = crafted_header(STREAM.read_bytes(), fingerprint=backbone.fingerprint)
    header, _ = read_stream(io.BytesIO(stream))
    with pytest.raises(StreamLimitError, match=r"tokens \(frames x rows x columns\); .* positions at most 1 along each"):
        Decoder(header, backbone=backbone, quiet=True)


def test_gvc_dec_on_a_stream_cut_at_a_gop_boundary_fails_in_one_line_and_leaves_no_file(
    tiny_nano_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, packets = split(STREAM.read_bytes())
    cut = tmp_path / "cut.gvc"
    cut.write_bytes(header + packets[0])
    output = tmp_path / "out.y4m"
    code = dec.main([str(cut), "-o", str(output), "--model", str(tiny_nano_folder), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "after 1 GOP packets and 5 frames; its header declares 7 frames" in err
    assert not output.exists()


@pytest.mark.parametrize("cut", [10, 60, -3])
def test_gvc_info_on_a_cut_stream_is_one_line_and_exit_1(cut: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cut.gvc"
    path.write_bytes(STREAM.read_bytes()[:cut])
    assert info.main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gvc-info: error: truncated stream") and err.count("\n") == 1
