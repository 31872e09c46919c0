"""FLF2V mode: GOPs conditioned on first and last anchors, sharing the boundary anchor with the next GOP."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import gvcodec
from container import decode_packet
from gvcodec.modes.flf2v import MODE
from tests.helpers import SMALL, read_frames, run_cli, small_clip

OPTIONS = {"codebook": 256, "atoms": 8, "steps": 6, "tail_steps": 2, "gop": 5, "quiet": True, "mode": "flf2v"}


@pytest.fixture(scope="module")
def flf2v_stream(tmp_path_factory: pytest.TempPathFactory, tiny_nano_folder: Path) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("flf2v")
    clip, stream, recon = small_clip(out / "c.y4m", 7), out / "s.gvc", out / "r.y4m"
    run_cli("enc", str(clip), "-o", str(stream), "--mode", "flf2v", "--gop", "5", "--model", str(tiny_nano_folder),
            "--recon", str(recon), "--anchor-codec", "libx265", "--anchor-q", "30", *SMALL)
    return {"clip": clip, "stream": stream, "recon": recon, "dir": out}


def test_gop_g_spans_frames_32g_to_32g_plus_32() -> None:
    assert MODE.gop_frame_ranges(65, 33) == [(0, 33), (33, 32)]
    assert MODE.gop_frame_ranges(70, 33) == [(0, 33), (33, 32), (65, 5)]


def test_gop_zero_codes_both_anchors_and_later_gops_only_the_last() -> None:
    assert MODE.anchor_roles(0, 33) == ("first", "last")
    assert MODE.anchor_roles(1, 33) == ("last",)
    assert MODE.anchor_roles(0, 1) == ("first",)


def test_a_later_gop_starts_on_the_previous_last_anchor() -> None:
    assert MODE.condition_frames({"first": "a", "last": "b"}, None) == ("a", "b")
    assert MODE.carry(["outputs"], "b") == "b"
    assert MODE.condition_frames({"last": "c"}, "b") == ("b", "c")
    assert MODE.condition_frames({"first": "a"}, None) == ("a", "a")


@pytest.mark.slow
def test_decoder_output_is_byte_identical_to_encoder_recon(flf2v_stream: dict[str, Path], tiny_nano_folder: Path) -> None:
    decoded = flf2v_stream["dir"] / "d.y4m"
    run_cli("dec", str(flf2v_stream["stream"]), "-o", str(decoded), "--model", str(tiny_nano_folder), "-q")
    assert decoded.read_bytes() == flf2v_stream["recon"].read_bytes()


@pytest.mark.slow
def test_n_gops_carry_n_plus_one_anchors_and_no_frame_is_output_twice(flf2v_stream: dict[str, Path]) -> None:
    report = json.loads(run_cli("info", str(flf2v_stream["stream"]), "--json").stdout)
    assert report["header"]["mode"] == "flf2v"
    assert sum(g["anchors"] for g in report["gops"]) == len(report["gops"]) + 1 == 3
    assert [(g["first_frame"], g["frames"]) for g in report["gops"]] == [(0, 5), (5, 2)]
    assert len(read_frames(flf2v_stream["recon"])) == report["frames"] == 7


@pytest.mark.slow
def test_sections_sum_to_the_file_size_and_anchors_are_counted(flf2v_stream: dict[str, Path]) -> None:
    report = json.loads(run_cli("info", str(flf2v_stream["stream"]), "--json").stdout)
    size = flf2v_stream["stream"].stat().st_size
    assert report["header_bytes"] + sum(g["bytes"] for g in report["gops"]) == report["total_bytes"] == size
    for gop in report["gops"]:
        assert sum(gop["sections"].values()) == gop["bytes"]
        assert gop["sections"]["anchors"] > 0
        assert gop["sections"]["residual"] == 0


@pytest.mark.parametrize(("mode", "frames", "anchors"), [("flf2v", 3, [2]), ("flf2v", 1, [1]), ("i2v", 1, [1])])
def test_a_clip_shorter_than_one_gop_round_trips(
    tiny_nano_folder: Path, tmp_path: Path, mode: str, frames: int, anchors: list[int]
) -> None:
    source = read_frames(small_clip(tmp_path / "c.y4m", frames))
    encoder = gvcodec.Encoder(64, 48, 25, model=str(tiny_nano_folder), keep_recon=True, **{**OPTIONS, "mode": mode})
    packets = [p for frame in source for p in encoder.encode(frame)] + encoder.encode(None)
    recon = encoder.take_recon()
    decoder = gvcodec.Decoder(encoder.header, model=str(tiny_nano_folder), quiet=True)
    decoded = [f for p in packets for f in decoder.decode_yuv(p)]
    assert [len(decode_packet(p.data).anchors) for p in packets] == anchors
    assert [f.to_bytes() for f in decoded] == [f.to_bytes() for f in recon]
    assert len(decoded) == frames
