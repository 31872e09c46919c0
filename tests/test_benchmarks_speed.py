"""benchmarks/speed.py and benchmarks/cross_device.py at toy size on the CPU, and the random Wan2.1-1.3B build."""
from __future__ import annotations

import json
import math
from pathlib import Path
from types import ModuleType

import pytest
import torch
from diffusers import WanTransformer3DModel

import gvcodec.gop.coder
import gvcodec.noise_sources
from gvcodec.io.y4m import Y4MWriter
from gvcodec.testing.random_wan import LAYERS, NAME, transformer_config
from tests.helpers import load_script

REPO = Path(__file__).resolve().parents[1]
CARPHONE = REPO / "examples" / "carphone_176x144_17f.y4m"


@pytest.fixture(scope="module")
def speed() -> ModuleType:
    return load_script("speed")


@pytest.fixture(scope="module")
def cross_device() -> ModuleType:
    return load_script("cross_device")


@pytest.fixture(scope="module")
def small_carphone(speed: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 5 frames of the carphone example scaled and cropped to 32x32, as a y4m file."""
    frames, fps = speed.clip_frames(CARPHONE, 5, (32, 32))
    path = tmp_path_factory.mktemp("clips") / "carphone_32x32.y4m"
    with path.open("wb") as stream, Y4MWriter(stream, 32, 32, fps) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def test_stopwatch_charges_a_nested_call_to_its_own_stage_only(speed: ModuleType) -> None:
    now = [0.0]
    watch = speed.Stopwatch(lambda: None, clock=lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += seconds

    inner = watch.wrap("atom search", advance)

    def outer() -> None:
        advance(2.0)
        inner(5.0)
        advance(1.0)

    _, total = watch.total(lambda: (watch.wrap("model calls", outer)(), advance(0.5)))
    assert (watch.seconds["model calls"], watch.seconds["atom search"], watch.seconds["other"]) == (3.0, 5.0, 0.5)
    assert total == 8.5


def test_fit_scales_to_cover_then_crops_the_centre(speed: ModuleType) -> None:
    column = torch.linspace(-1, 1, 176).expand(3, 2, 144, 176)
    fitted = speed.fit(column, 44, 72)
    assert fitted.shape == (3, 2, 72, 44)
    # Scaled by 1/2 to 88 columns, of which the middle 44 remain: a horizontal ramp stays symmetric about 0.
    assert torch.allclose(fitted[..., :22], -fitted[..., 22:].flip(-1), atol=1e-5)
    assert fitted[..., 0].min() > -0.6


def test_moving_pattern_is_a_moving_video_in_range(speed: ModuleType) -> None:
    video = speed.moving_pattern(64, 32, 3)
    assert video.shape == (3, 3, 32, 64)
    assert video.min() >= -1 and video.max() <= 1
    assert not torch.equal(video[:, 0], video[:, 1])


def test_speed_json_has_every_stage_and_the_stages_fit_in_the_total(
    speed: ModuleType, tiny_nano_folder: Path, tmp_path: Path
) -> None:
    originals = (gvcodec.noise_sources.search_frames, gvcodec.noise_sources.mix_frames, gvcodec.gop.coder.pack_choices)
    out = tmp_path / "speed.json"
    argv = ["--model", str(tiny_nano_folder), "--clip", str(CARPHONE), "--frames", "5", "--size", "32x32"]
    argv += ["--steps", "5", "--codebook", "4096"]
    assert speed.main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    for side in ("encode", "decode"):
        stages = result[side]["stages_s"]
        assert list(stages) == list(speed.STAGES) == result["stages"]
        timed = sum(seconds for stage, seconds in stages.items() if stage != "other")
        assert 0 <= timed <= result[side]["total_s"]
        assert math.isclose(sum(stages.values()), result[side]["total_s"], rel_tol=1e-9)
        assert result[side]["plain_total_s"] > 0
    # 5 model calls per side; one search (both latent frames) per coded step, on the encoder only; one mix
    # per coded step on both sides.
    assert result["encode"]["calls"]["model calls"] == result["decode"]["calls"]["model calls"] == 5
    assert (result["encode"]["calls"]["atom search"], result["decode"]["calls"]["atom search"]) == (2, 0)
    assert result["encode"]["calls"]["noise mixing"] == result["decode"]["calls"]["noise mixing"] == 2
    assert result["encode"]["calls"]["vae encode"] == 1 and result["decode"]["calls"]["vae decode"] == 1
    assert (result["width"], result["height"], result["frames"], result["device"]) == (32, 32, 5, "cpu")
    assert {"device_name", "torch", "date"} <= result.keys()
    assert (gvcodec.noise_sources.search_frames, gvcodec.noise_sources.mix_frames, gvcodec.gop.coder.pack_choices) == originals


def test_random_wan_transformer_is_the_1_3b_architecture() -> None:
    with torch.device("meta"):
        transformer = WanTransformer3DModel(**transformer_config())
    parameters = sum(parameter.numel() for parameter in transformer.parameters())
    assert LAYERS == len(transformer.blocks) == 30
    assert transformer.config.num_attention_heads * transformer.config.attention_head_dim == 1536
    assert 1.3e9 <= parameters <= 1.5e9


@pytest.mark.slow
def test_speed_runs_the_random_wan_architecture_at_toy_size(speed: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "wan.json"
    argv = ["--model", NAME, "--layers", "1", "--dtype", "float32", "--size", "16x16", "--frames", "1", "--steps", "4"]
    assert speed.main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["model"] == f"{NAME}-1-layers"
    assert result["encode"]["calls"]["model calls"] == result["decode"]["calls"]["model calls"] == 4


def test_speed_refuses_layers_for_a_model_folder(
    speed: ModuleType, tiny_nano_folder: Path, capsys: pytest.CaptureFixture
) -> None:
    assert speed.main(["--model", str(tiny_nano_folder), "--layers", "2"]) == 1
    assert "--layers applies to --model wan2.1-1.3b-random only" in capsys.readouterr().err


def test_cross_device_decode_on_the_encoding_device_is_bit_exact(
    cross_device: ModuleType, tiny_nano_folder: Path, small_carphone: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cross.json"
    argv = ["--model", str(tiny_nano_folder), "--clip", str(small_carphone), "--devices", "cpu", "cpu"]
    argv += ["--steps", "5", "--json", str(out)]
    assert cross_device.main(argv) == 0
    (pair,) = json.loads(out.read_text(encoding="utf-8"))["pairs"]
    assert (pair["encode_device"], pair["decode_device"]) == ("cpu", "cpu")
    assert pair["psnr_vs_recon_db"] == math.inf
    assert pair["psnr_vs_encoder_device_decode_db"] is None
