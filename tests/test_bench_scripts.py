"""benchmarks/anchor_codecs.py and benchmarks/residual_coding.py on a 64x48 crop of a real clip."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import ModuleType

import imageio_ffmpeg
import numpy as np
import pytest

from gvcodec.errors import InputError, StreamError
from gvcodec.residual import encode_residual
from tests.helpers import eval_clip, load_script

REPO = Path(__file__).resolve().parents[1]
CLIP = "bear_64x48"
WIDTH, HEIGHT = 64, 48


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the first 17 frames of bear_448x256 cropped to 64x48, as ``bear_64x48.y4m``."""
    folder = tmp_path_factory.mktemp("clips")
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(eval_clip("bear_448x256.y4m")),
         "-vf", f"crop={WIDTH}:{HEIGHT}:192:96", "-frames:v", "17", "-pix_fmt", "yuv420p", "-y",
         str(folder / f"{CLIP}.y4m")],
        check=True,
    )
    return folder


@pytest.fixture(scope="module")
def anchor_codecs() -> ModuleType:
    return load_script("anchor_codecs")


@pytest.fixture(scope="module")
def residual_coding() -> ModuleType:
    return load_script("residual_coding")


@pytest.fixture(scope="module")
def anchor_result(anchor_codecs: ModuleType, clips: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("anchors") / "anchors.json"
    argv = ["--folder", str(clips), "--clips", CLIP, "--crf", "libsvtav1=24,40,56", "--crf", "libx265=22,34,46",
            "--json", str(out)]
    assert anchor_codecs.main(argv) == 0
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def residual_result(
    residual_coding: ModuleType, clips: Path, tiny_nano_folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    out = tmp_path_factory.mktemp("residual") / "residual.json"
    argv = ["--model", str(tiny_nano_folder), "--folder", str(clips), "--clips", CLIP,
            "--residual-steps", "0.2", "0.8", "--json", str(out)]
    assert residual_coding.main(argv) == 0
    return json.loads(out.read_text())


def test_anchor_json_records_the_machine_every_point_and_the_bd_rate(anchor_result: dict) -> None:
    keys = ("machine", "date", "torch", "pyav", "command", "sweeps", "points", "bd_rate", "at_default", "average_curves")
    for key in keys:
        assert key in anchor_result
    # Each sweep gains its codec's default CRF (48 for SVT-AV1, 40 for x265).
    assert anchor_result["sweeps"] == {"libsvtav1": [24, 40, 48, 56], "libx265": [22, 34, 40, 46]}
    assert len(anchor_result["points"]) == 8
    for metric in ("psnr_rgb", "psnr_y"):
        rates = anchor_result["bd_rate"][metric]
        assert isinstance(rates[CLIP], float)
        # One clip: its curves are the average curves.
        assert rates["average"] == pytest.approx(rates[CLIP])


def test_anchor_points_have_bytes_bpp_of_two_frames_and_plausible_psnr(anchor_result: dict) -> None:
    for point in anchor_result["points"]:
        assert point["bytes"] > 0
        assert point["bpp"] == pytest.approx(8 * point["bytes"] / (2 * WIDTH * HEIGHT))
        assert 15 < point["psnr_rgb"] < 60 and 15 < point["psnr_y"] < 60


def test_a_lower_crf_costs_more_bytes_and_gives_a_higher_psnr(anchor_result: dict) -> None:
    for codec in ("libsvtav1", "libx265"):
        curve = sorted((p for p in anchor_result["points"] if p["codec"] == codec), key=lambda p: p["crf"])
        assert [p["bytes"] for p in curve] == sorted((p["bytes"] for p in curve), reverse=True)
        assert [p["psnr_rgb"] for p in curve] == sorted((p["psnr_rgb"] for p in curve), reverse=True)


def test_each_codec_is_reported_at_its_default_crf(anchor_result: dict) -> None:
    defaults = anchor_result["at_default"][CLIP]
    assert (defaults["libsvtav1"]["crf"], defaults["libx265"]["crf"]) == (48, 40)


def test_a_crf_outside_the_codec_range_is_refused(anchor_codecs: ModuleType) -> None:
    with pytest.raises(InputError, match=r"\[0, 51\]"):
        anchor_codecs.parse_sweep("libx265=20,60")
    with pytest.raises(InputError, match="CODEC="):
        anchor_codecs.parse_sweep("x265=20")


def test_residual_json_has_the_three_codings_of_the_real_tail(residual_result: dict) -> None:
    for key in ("machine", "date", "torch", "command", "model", "totals", "clips"):
        assert key in residual_result
    assert [row["residual_step"] for row in residual_result["clips"]] == [0.2, 0.8]
    for row in residual_result["clips"]:
        # The tiny nano tail: 16 channels x 2 latent frames x (48 / 8) x (64 / 8).
        assert row["symbols"] == 16 * 2 * 6 * 8
        assert row["gvcodec_bytes"] > 0 and row["int8_zlib_bytes"] > 0 and row["research_bytes"] > 8
        assert row["saving_vs_int8_zlib"] == pytest.approx(1 - row["gvcodec_bytes"] / row["int8_zlib_bytes"])


def test_a_coarser_residual_step_costs_fewer_range_coded_bytes(residual_result: dict) -> None:
    fine, coarse = residual_result["clips"]
    assert coarse["gvcodec_bytes"] < fine["gvcodec_bytes"]
    assert residual_result["totals"][1]["gvcodec_bytes"] == coarse["gvcodec_bytes"]


def test_int8_coding_counts_the_symbols_it_clips(residual_coding: ModuleType) -> None:
    size, clipped = residual_coding.int8_zlib(np.array([0, 127, 128, -128, -300], dtype=np.int32))
    assert clipped == 2 and size > 0


def test_minmax_8_bit_error_is_at_most_half_a_level(residual_coding: ModuleType) -> None:
    residual = np.random.default_rng(0).laplace(size=4096).astype(np.float32)
    size, error = residual_coding.minmax_uint8_zlib(residual)
    assert size > 8
    assert 0 < error <= (residual.max() - residual.min()) / 510 * 1.0001
    assert residual_coding.minmax_uint8_zlib(np.full(64, 0.4, dtype=np.float32))[1] == 0


def test_a_payload_read_with_the_wrong_latent_geometry_is_refused(residual_coding: ModuleType) -> None:
    # Every channel alike, so every channel has the same Laplace scale and a short read decodes cleanly.
    channel = np.random.default_rng(1).integers(-3, 4, size=(2, 6, 8))
    symbols = np.ascontiguousarray(np.broadcast_to(channel, (16, 2, 6, 8))).astype(np.int32)
    payload = encode_residual(symbols, 0.2)
    assert residual_coding.compare(payload, 16, 6, 8).symbols == symbols.size
    with pytest.raises(StreamError, match="latent geometry"):
        residual_coding.compare(payload, 16, 4, 8)
