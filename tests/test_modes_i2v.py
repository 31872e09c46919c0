"""I2V mode: an intra-coded first anchor, GOPs chained on the decoded last frame, overlapping by one frame."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import gvcodec
from gvcodec.errors import InputError, StreamError
from gvcodec.combinatorial import choice_bits
from gvcodec.gop.trajectory import tail_atom_counts
from gvcodec.modes.i2v import MODE
from tests.helpers import SMALL, read_frames, run_cli, small_clip

OPTIONS = {"codebook": 256, "atoms": 8, "steps": 6, "tail_steps": 2, "gop": 5, "quiet": True, "mode": "i2v"}


@pytest.fixture(scope="module")
def i2v_stream(tmp_path_factory: pytest.TempPathFactory, tiny_nano_folder: Path) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("i2v")
    clip, stream, recon = small_clip(out / "c.y4m", 7), out / "s.gvc", out / "r.y4m"
    run_cli("enc", str(clip), "-o", str(stream), "--mode", "i2v", "--gop", "5", "--model", str(tiny_nano_folder),
            "--recon", str(recon), "--tail-frames", "1", "--tail-atoms", "16", *SMALL)
    return {"clip": clip, "stream": stream, "recon": recon, "dir": out}


def test_gops_overlap_by_one_frame_so_later_gops_add_one_frame_less() -> None:
    assert MODE.gop_frame_ranges(70, 33) == [(0, 33), (33, 32), (65, 5)]
    assert MODE.gop_frame_ranges(3, 33) == [(0, 3)]
    assert [MODE.overlap(g) for g in range(3)] == [0, 1, 1]


def test_only_gop_zero_codes_an_anchor_and_it_is_the_first_frame() -> None:
    assert MODE.anchor_roles(0, 33) == ("first",)
    assert MODE.anchor_roles(1, 33) == ()


def test_the_next_gop_starts_on_the_last_decoded_frame() -> None:
    assert MODE.condition_frames({"first": "anchor"}, None) == ("anchor", None)
    assert MODE.condition_frames({}, "carried") == ("carried", None)
    assert MODE.carry(["a", "b", "c"], None) == "c"


@pytest.mark.slow
def test_decoder_output_is_byte_identical_to_encoder_recon(i2v_stream: dict[str, Path], tiny_nano_folder: Path) -> None:
    decoded = i2v_stream["dir"] / "d.y4m"
    run_cli("dec", str(i2v_stream["stream"]), "-o", str(decoded), "--model", str(tiny_nano_folder), "-q")
    assert decoded.read_bytes() == i2v_stream["recon"].read_bytes()
    assert len(read_frames(decoded)) == 7


@pytest.mark.slow
def test_info_shows_one_anchor_and_sections_sum_to_the_file_size(i2v_stream: dict[str, Path]) -> None:
    report = json.loads(run_cli("info", str(i2v_stream["stream"]), "--json").stdout)
    size = i2v_stream["stream"].stat().st_size
    assert report["header"]["mode"] == "i2v"
    assert [g["anchors"] for g in report["gops"]] == [1, 0]
    assert [(g["first_frame"], g["frames"]) for g in report["gops"]] == [(0, 5), (5, 2)]
    assert report["header_bytes"] + sum(g["bytes"] for g in report["gops"]) == report["total_bytes"] == size
    assert report["gops"][0]["sections"]["anchors"] > 0
    for gop in report["gops"]:
        assert sum(gop["sections"].values()) == gop["bytes"]


@pytest.mark.slow
def test_the_first_output_frame_resembles_the_source(i2v_stream: dict[str, Path]) -> None:
    import numpy as np

    source, recon = read_frames(i2v_stream["clip"])[0], read_frames(i2v_stream["recon"])[0]
    error = np.abs(source.y.astype(np.int16) - recon.y.astype(np.int16)).mean()
    unrelated = np.abs(source.y.astype(np.int16) - 128).mean()
    assert error < unrelated


def test_a_text_to_video_model_refuses_i2v_naming_the_fix(tiny_t2v_folder: Path) -> None:
    with pytest.raises(InputError, match="cannot condition on mode 'i2v'"):
        gvcodec.Encoder(64, 48, 25, model=str(tiny_t2v_folder), **OPTIONS)


def test_a_chained_gop_decoded_out_of_order_is_refused(tiny_nano_folder: Path, tmp_path: Path) -> None:
    frames = read_frames(small_clip(tmp_path / "c.y4m", 6))
    encoder = gvcodec.Encoder(64, 48, 25, model=str(tiny_nano_folder), **OPTIONS)
    packets = [p for frame in frames for p in encoder.encode(frame)] + encoder.encode(None)
    assert [p.duration for p in packets] == [5, 1]
    decoder = gvcodec.Decoder(encoder.header, model=str(tiny_nano_folder), quiet=True)
    with pytest.raises(StreamError, match="GOP 0 is due, got GOP 1"):
        decoder.decode(packets[1])


@pytest.mark.slow
def test_tail_latent_frames_get_more_atoms_at_every_step(i2v_stream: dict[str, Path]) -> None:
    report = json.loads(run_cli("info", str(i2v_stream["stream"]), "--json").stdout)
    for gop in report["gops"]:
        assert gop["latent_frames"] == 2
        assert gop["codebook_bits_per_step_frame"] == [choice_bits(256, 8), choice_bits(256, 16)] * gop["coded_steps"]


@pytest.mark.slow
def test_every_gop_carries_a_tail_residual(i2v_stream: dict[str, Path]) -> None:
    report = json.loads(run_cli("info", str(i2v_stream["stream"]), "--json").stdout)
    assert all(gop["sections"]["residual"] > 0 for gop in report["gops"])


def test_tail_atom_counts_are_step_major() -> None:
    from gvcodec.gop.trajectory import CodingParams
    from gvcodec.sampler import SamplerSettings

    params = CodingParams(SamplerSettings(num_steps=4, tail_steps=2, shift=3.0, g_scale=3.0), 2, 0, 256, 8)
    assert tail_atom_counts(params, 3, 2, 20) == (8, 20, 20, 8, 20, 20)
    assert tail_atom_counts(params, 3, 0, 20) == (8,) * 6


def test_the_tail_residual_brings_the_last_frame_closer_to_the_source(tmp_path: Path) -> None:
    """A quality claim, so the trained nano model (a random VAE's decode need not move towards the source)."""
    import numpy as np

    from gvcodec.backbones import load_backbone

    frames = read_frames(small_clip(tmp_path / "c.y4m", 5))
    backbone = load_backbone("nano", "cpu", "float32")
    errors = []
    for tail_frames in (0, 1):
        encoder = gvcodec.Encoder(
            64, 48, 25, backbone=backbone, keep_recon=True, tail_frames=tail_frames, residual_step=0.05, **OPTIONS
        )
        for frame in frames:
            encoder.encode(frame)
        last = encoder.take_recon()[-1]
        errors.append(float(np.abs(last.y.astype(np.int16) - frames[-1].y.astype(np.int16)).mean()))
    assert errors[1] < errors[0]


@pytest.mark.slow
def test_player_steps_back_in_a_chained_stream_by_decoding_again_from_the_start(
    i2v_stream: dict[str, Path], tiny_nano_folder: Path
) -> None:
    from gvcodec.cli.player.gop_store import GopStore

    recon = read_frames(i2v_stream["recon"])
    with open(i2v_stream["stream"], "rb") as stream:
        store = GopStore.open(stream, str(tiny_nano_folder), "cpu", "float32", quiet=True)
        try:
            second = store.request(1).result()
            first = store.request(0).result()
            again = store.request(1).result()
        finally:
            store.close()
    assert [f.to_bytes() for f in first.frames] == [f.to_bytes() for f in recon[: len(first.frames)]]
    assert [f.to_bytes() for f in second.frames] == [f.to_bytes() for f in again.frames]
    assert [f.to_bytes() for f in second.frames] == [
        f.to_bytes() for f in recon[second.first_frame : second.first_frame + len(second.frames)]
    ]
