"""End to end through the command lines: gvc-enc, gvc-dec, gvc-info on a real clip with a tiny Wan folder."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import SMALL, eval_clip, run_cli

pytestmark = pytest.mark.slow  # end to end through the command lines / a compiled C library


@pytest.fixture(scope="module")
def foreman_stream(tmp_path_factory: pytest.TempPathFactory, tiny_t2v_folder: Path) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("foreman")
    stream, recon = out / "f.gvc", out / "r.y4m"
    run_cli(
        "enc", str(eval_clip("foreman_352x288.y4m")), "-o", str(stream), "--frames", "17", "--gop", "9",
        "--model", str(tiny_t2v_folder), "--recon", str(recon), *SMALL,
    )
    return {"stream": stream, "recon": recon, "dir": out}


def test_decoder_output_is_byte_identical_to_encoder_recon(foreman_stream: dict[str, Path], tiny_t2v_folder: Path) -> None:
    decoded = foreman_stream["dir"] / "d.y4m"
    run_cli("dec", str(foreman_stream["stream"]), "-o", str(decoded), "--model", str(tiny_t2v_folder), "-q")
    assert decoded.read_bytes() == foreman_stream["recon"].read_bytes()


def test_decoding_through_pipes_matches_file_decode(foreman_stream: dict[str, Path], tiny_t2v_folder: Path) -> None:
    piped = run_cli("dec", "-", "-o", "-", "--model", str(tiny_t2v_folder), "-q", stdin=foreman_stream["stream"].read_bytes())
    assert piped.stdout == foreman_stream["recon"].read_bytes()


def test_info_counts_add_up_to_the_file_size(foreman_stream: dict[str, Path]) -> None:
    report = json.loads(run_cli("info", str(foreman_stream["stream"]), "--json").stdout)
    size = foreman_stream["stream"].stat().st_size
    assert report["total_bytes"] == size
    assert report["header_bytes"] + sum(g["bytes"] for g in report["gops"]) == size
    for gop in report["gops"]:
        assert sum(gop["sections"].values()) == gop["bytes"]
    assert [g["frames"] for g in report["gops"]] == [9, 8]
    assert report["frames"] == 17


def test_recon_has_the_source_geometry(foreman_stream: dict[str, Path]) -> None:
    from gvcodec.io.y4m import Y4MReader

    with open(foreman_stream["recon"], "rb") as stream:
        reader = Y4MReader(stream)
        frames = list(reader)
    assert (reader.info.width, reader.info.height) == (352, 288)
    assert len(frames) == 17


def test_decoding_with_another_model_fails_naming_the_mismatch(
    foreman_stream: dict[str, Path], tiny_nano_folder: Path
) -> None:
    result = run_cli("dec", str(foreman_stream["stream"]), "-o", str(foreman_stream["dir"] / "x.y4m"),
                     "--model", str(tiny_nano_folder), "-q", check=False)
    assert result.returncode == 1
    message = result.stderr.decode()
    assert "model mismatch" in message and "fingerprint" in message
    assert not (foreman_stream["dir"] / "x.y4m").exists()


def test_odd_size_raw_input_from_stdin_round_trips(tmp_path: Path, tiny_t2v_folder: Path) -> None:
    import imageio_ffmpeg

    raw = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(eval_clip("carphone_176x144.y4m")),
         "-vf", "crop=170:98:0:0", "-frames:v", "5", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
        capture_output=True, check=True,
    ).stdout
    stream, recon, decoded = tmp_path / "c.gvc", tmp_path / "r.y4m", tmp_path / "d.y4m"
    run_cli("enc", "-", "-s", "170x98", "-r", "30000/1001", "-o", str(stream), "--gop", "5",
            "--model", str(tiny_t2v_folder), "--recon", str(recon), *SMALL, stdin=raw)
    run_cli("dec", str(stream), "-o", str(decoded), "--model", str(tiny_t2v_folder), "-q")
    assert decoded.read_bytes() == recon.read_bytes()
    assert b"W170 H98" in decoded.read_bytes()[:64]


def test_corrupted_stream_is_refused_without_output(foreman_stream: dict[str, Path], tiny_t2v_folder: Path, tmp_path: Path) -> None:
    data = bytearray(foreman_stream["stream"].read_bytes())
    data[-10] ^= 0xFF
    broken = tmp_path / "broken.gvc"
    broken.write_bytes(bytes(data))
    result = run_cli("dec", str(broken), "-o", str(tmp_path / "out.y4m"), "--model", str(tiny_t2v_folder), "-q", check=False)
    assert result.returncode == 1
    assert "CRC" in result.stderr.decode()
    assert not (tmp_path / "out.y4m").exists()
