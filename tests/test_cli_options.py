"""Every option out of range is a one-line ``gvc-...: error:`` with a non-zero exit, never a traceback.

The cases are generated from the option specs (:mod:`gvcodec.options`), so a new option is tested too.
"""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from gvcodec.cli import bench, dec, enc
from gvcodec.options import EncoderOptions, flag_of, option_type, spec_of
from tests.helpers import REPO

CLIP = REPO / "examples" / "carphone_176x144_17f.y4m"
SMALL = ["--codebook", "256", "--atoms", "8", "--steps", "6", "--tail-steps", "2", "--gop", "5", "-q"]


def out_of_range_values() -> list[tuple[str, str]]:
    """``(flag, value)`` just outside each option's spec: past its bounds, not among its choices, not finite."""
    cases = []
    for option_field in fields(EncoderOptions):
        flag, spec, kind = flag_of(option_field), spec_of(option_field), option_type(option_field.name)
        if flag is None or kind is bool:
            continue
        if spec.choices is not None:
            cases.append((flag, "99" if kind is int else "bogus"))
        if spec.high is not None:
            cases.append((flag, str(int(spec.high) + 1)))
        if spec.low is not None:
            cases.append((flag, str(kind(spec.low) - (1 if kind is int else 0.5))))
        if spec.above is not None:
            cases.append((flag, str(spec.above)))
        if kind is float:
            cases.append((flag, "nan"))
        if kind is int:
            cases.append((flag, "1.5"))
    return cases


def run_enc(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = enc.main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    return code, capsys.readouterr().err


def assert_one_line_error(code: int, err: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("gvc-enc: error: ")


def test_every_option_has_an_out_of_range_case() -> None:
    covered = {flag for flag, _ in out_of_range_values()}
    free_text = {"--model", "--device", "--prompt"}
    flags = {flag_of(f) for f in fields(EncoderOptions) if flag_of(f) and option_type(f.name) is not bool}
    assert flags - free_text <= covered


@pytest.mark.parametrize(("flag", "value"), out_of_range_values())
def test_an_out_of_range_option_is_a_one_line_error(
    flag: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], tiny_nano_folder: Path,
    isolated_cache: None,
) -> None:
    output = tmp_path / "out.gvc"
    code, err = run_enc([str(CLIP), "-o", str(output), "--model", str(tiny_nano_folder), *SMALL, flag, value], capsys)
    assert_one_line_error(code, err)
    assert not output.exists()


@pytest.mark.parametrize(
    "arguments",
    [
        ["--atoms", "300"],
        ["--tail-atoms", "300"],
        ["--tail-steps", "6"],
        ["--gop", "6"],
        ["--mode", "i2v", "--gop", "1"],
        ["--anchor-q", "64"],
        ["--anchor-codec", "libx265", "--anchor-q", "52"],
        ["--device", "cuda:7"],
        ["--device", "tpu"],
        ["--frames", "-1"],
        ["--target-bpp", "1000"],
    ],
    ids=lambda arguments: " ".join(arguments),
)
def test_options_that_disagree_with_each_other_or_the_model_are_a_one_line_error(
    arguments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], tiny_nano_folder: Path,
    isolated_cache: None,
) -> None:
    output = tmp_path / "out.gvc"
    code, err = run_enc([str(CLIP), "-o", str(output), "--model", str(tiny_nano_folder), *SMALL, *arguments], capsys)
    assert_one_line_error(code, err)
    assert not output.exists()


def test_a_picture_wider_than_the_format_allows_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "wide.yuv"
    raw.write_bytes(bytes(70000 * 2 * 3 // 2))
    code, err = run_enc([str(raw), "-s", "70000x2", "-r", "30", "-o", str(tmp_path / "out.gvc"), *SMALL], capsys)
    assert_one_line_error(code, err)
    assert "8192x8192" in err


def test_a_steps_count_past_the_format_limit_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_enc([str(CLIP), "-o", str(tmp_path / "out.gvc"), "--steps", "70000", "-q"], capsys)
    assert_one_line_error(code, err)
    assert "--steps must be in [1, 1000], got 70000" in err


@pytest.mark.parametrize("arguments", [["--frames", "-3"], ["--atoms", "0"], ["--steps", "70000"], ["--codebook", "0"]])
def test_an_out_of_range_bench_option_is_a_one_line_error_before_any_coding(
    arguments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    (clips / "demo.y4m").write_bytes(CLIP.read_bytes())
    code = bench.main([str(clips), "-o", str(tmp_path / "out"), "--codecs", "-q", *arguments])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("gvc-bench: error: ")


@pytest.mark.parametrize("arguments", [["--device", "tpu"], ["--model", "/nonexistent"]])
def test_a_bad_decoder_option_is_a_one_line_error(
    arguments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = REPO / "tests" / "data" / "golden" / "t2v_generator1.gvc"
    code = dec.main([str(stream), "-o", str(tmp_path / "out.y4m"), "-q", *arguments])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("gvc-dec: error: ")
    assert not (tmp_path / "out.y4m").exists()
