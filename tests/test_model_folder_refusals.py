"""Model folders with missing, hostile or damaged files: one ``ModelError`` naming the file, before any large
allocation or long construction (a config's sizes and each safetensors file's table are checked first)."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from gvcodec.backbones import load_backbone
from gvcodec.cli import dec
from gvcodec.errors import ModelError
from tests.test_stream_errors import GOLDEN

WEIGHTS = "diffusion_pytorch_model.safetensors"


@pytest.fixture
def folder(tiny_nano_folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_nano_folder, tmp_path / "model"))


def edit_config(folder: Path, name: str, **changes: object) -> Path:
    path = folder / name / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    return path


def refused_quickly(folder: Path, match: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ModelError, match=match) as caught:
        load_backbone(str(folder))
    assert time.perf_counter() - started < 5
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"attention_head_dim": 10**9}, "attention_head_dim = 1000000000"),
        ({"num_layers": 10**6}, "num_layers = 1000000"),
        ({"ffn_dim": -5}, "ffn_dim = -5"),
        ({"eps": float("nan")}, "eps = nan"),
        ({"patch_size": [1, 2, -2]}, "patch_size = -2"),
    ],
    ids=["huge_dim", "huge_depth", "negative", "nan", "negative_in_list"],
)
def test_a_hostile_transformer_config_is_refused_naming_the_file(folder: Path, changes: dict, named: str) -> None:
    edit_config(folder, "transformer", **changes)
    refused_quickly(folder, rf"transformer/config.json: {named}")


def test_a_hostile_vae_config_is_refused_naming_the_file(folder: Path) -> None:
    edit_config(folder, "vae", z_dim=2**40)
    refused_quickly(folder, "vae/config.json: z_dim")


@pytest.mark.parametrize("damage", ["truncated", "garbage", "huge_header", "empty"])
def test_a_damaged_safetensors_file_is_refused_naming_it(folder: Path, damage: str) -> None:
    weights = folder / "transformer" / WEIGHTS
    data = weights.read_bytes()
    damaged = {
        "truncated": data[: len(data) // 2],
        "garbage": bytes(range(256)) * 8,
        "huge_header": (2**62).to_bytes(8, "little") + data[8:],
        "empty": b"",
    }[damage]
    weights.write_bytes(damaged)
    refused_quickly(folder, f"transformer/{WEIGHTS} is damaged or not a safetensors file")


def test_a_pickled_checkpoint_is_refused(folder: Path) -> None:
    (folder / "vae" / WEIGHTS).rename(folder / "vae" / "diffusion_pytorch_model.bin")
    refused_quickly(folder, "vae/diffusion_pytorch_model.bin is a pickled checkpoint")


@pytest.mark.parametrize("missing", ["vae/config.json", f"transformer/{WEIGHTS}", "vae"])
def test_a_missing_file_is_refused_naming_it(folder: Path, missing: str) -> None:
    path = folder / missing
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    refused_quickly(folder, "vae/config.json is missing|transformer/ has no weight file|has no vae/ subfolder")


def test_model_index_json_is_not_needed(tiny_t2v_folder: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(tiny_t2v_folder, tmp_path / "model"))
    (folder / "model_index.json").unlink()
    assert load_backbone(str(folder)).fingerprint == load_backbone(str(tiny_t2v_folder)).fingerprint


def test_gvc_dec_with_a_hostile_model_folder_is_one_line(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_config(folder, "transformer", num_layers=10**6)
    output = tmp_path / "out.y4m"
    code = dec.main([str(GOLDEN / "i2v_generator1.gvc"), "-o", str(output), "--model", str(folder), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("gvc-dec: error: model file ") and err.count("\n") == 1
    assert not output.exists()
