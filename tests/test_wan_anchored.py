"""Anchored modes on Wan2.1 I2V-14B / FLF2V-14B folder layouts (CLIP image encoder), end to end through the CLIs."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch

import gvcodec
from gvcodec.backbones import load_backbone
from gvcodec.errors import InputError, ModelError
from gvcodec.testing.tiny_wan import IMAGE_TOKENS, write_tiny_wan
from tests.helpers import SMALL, read_frames, run_cli, small_clip

# Anchors per GOP of a 7-frame clip in 5-frame GOPs: I2V one in all, FLF2V N + 1 for N GOPs.
ANCHORS = {"i2v": [1, 0], "flf2v": [2, 1]}
# I2V sends a tail latent residual (here on its last latent frame); FLF2V has none.
MODE_OPTIONS = {"i2v": ["--tail-frames", "1"], "flf2v": []}


pytestmark = pytest.mark.usefixtures("isolated_cache", "one_thread")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    return {variant: write_tiny_wan(root / variant, variant) for variant in ANCHORS}


@pytest.fixture(scope="module")
def streams(tmp_path_factory: pytest.TempPathFactory, folders: dict[str, Path]) -> dict[str, dict[str, Path]]:
    """Each mode coded on its own folder's model, with a prompt, through gvc-enc with ``--recon``."""
    out = tmp_path_factory.mktemp("streams")
    clip = small_clip(out / "c.y4m", 7)
    coded = {}
    for mode, folder in folders.items():
        stream, recon = out / f"{mode}.gvc", out / f"{mode}.y4m"
        run_cli("enc", str(clip), "-o", str(stream), "--mode", mode, "--gop", "5", "--model", str(folder),
                "--prompt", "a bear walks", "--recon", str(recon), *MODE_OPTIONS[mode], *SMALL)
        coded[mode] = {"stream": stream, "recon": recon, "dir": out}
    return coded


@pytest.fixture(scope="module")
def backbones(folders: dict[str, Path]):
    return {mode: load_backbone(str(folder)) for mode, folder in folders.items()}


def anchors_of(mode: str, clip: torch.Tensor) -> dict[str, torch.Tensor]:
    """The condition frames ``mode`` passes: the first frame, and for FLF2V also the last one."""
    return {"first": clip[:, 0], **({"last": clip[:, -1]} if mode == "flf2v" else {})}


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(ANCHORS))
def test_decoder_output_is_byte_identical_to_encoder_recon(
    mode: str, streams: dict[str, dict[str, Path]], folders: dict[str, Path]
) -> None:
    decoded = streams[mode]["dir"] / f"{mode}-decoded.y4m"
    run_cli("dec", str(streams[mode]["stream"]), "-o", str(decoded), "--model", str(folders[mode]), "-q")
    assert decoded.read_bytes() == streams[mode]["recon"].read_bytes()
    assert len(read_frames(decoded)) == 7


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(ANCHORS))
def test_info_counts_the_anchors_of_the_mode(mode: str, streams: dict[str, dict[str, Path]]) -> None:
    report = json.loads(run_cli("info", str(streams[mode]["stream"]), "--json").stdout)
    assert report["header"]["mode"] == mode and report["header"]["prompt"] == "a bear walks"
    assert [g["anchors"] for g in report["gops"]] == ANCHORS[mode]
    expected_total = 1 if mode == "i2v" else len(report["gops"]) + 1
    assert sum(g["anchors"] for g in report["gops"]) == expected_total


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(ANCHORS))
def test_gop_bytes_split_into_anchor_codebook_and_residual_sum_to_the_file_size(
    mode: str, streams: dict[str, dict[str, Path]]
) -> None:
    report = json.loads(run_cli("info", str(streams[mode]["stream"]), "--json").stdout)
    size = streams[mode]["stream"].stat().st_size
    assert report["header_bytes"] + sum(g["bytes"] for g in report["gops"]) == report["total_bytes"] == size
    for gop, anchors in zip(report["gops"], ANCHORS[mode]):
        sections = gop["sections"]
        assert {"anchors", "codebook", "residual"} <= set(sections)
        assert sum(sections.values()) == gop["bytes"]
        assert (sections["anchors"] > 0) == (anchors > 0) and sections["codebook"] > 0
        assert (sections["residual"] > 0) == (mode == "i2v")


@pytest.mark.parametrize("mode", sorted(ANCHORS))
def test_image_tokens_reach_the_transformers_image_embedder(mode: str, backbones) -> None:
    backbone = backbones[mode]
    clip = torch.rand(3, 5, 48, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1
    condition = backbone.condition("", 5, 48, 64, **anchors_of(mode, clip))
    assert condition.image.shape == (len(anchors_of(mode, clip)), IMAGE_TOKENS, 16)
    seen = []
    hook = backbone.transformer.condition_embedder.image_embedder.register_forward_pre_hook(
        lambda module, inputs: seen.append(inputs[0].clone())
    )
    try:
        x = torch.randn(condition.latent_shape, generator=torch.Generator().manual_seed(2))
        velocity = backbone.velocity(x, 0.5, condition)
    finally:
        hook.remove()
    assert len(seen) == 1 and torch.equal(seen[0], condition.image)
    blind = replace(condition, image=torch.zeros_like(condition.image))
    assert not torch.allclose(backbone.velocity(x, 0.5, blind), velocity)


@pytest.mark.parametrize("mode", sorted(ANCHORS))
def test_changing_an_anchor_changes_its_image_tokens(mode: str, backbones) -> None:
    backbone = backbones[mode]
    clip = torch.rand(3, 5, 48, 64, generator=torch.Generator().manual_seed(3)) * 2 - 1
    anchors = anchors_of(mode, clip)
    tokens = backbone.condition("", 5, 48, 64, **anchors).image
    changed = {**anchors, "first": -anchors["first"]}
    other = backbone.condition("", 5, 48, 64, **changed).image
    assert not torch.allclose(other[0], tokens[0])
    if mode == "flf2v":
        assert torch.equal(other[1], tokens[1])


@pytest.mark.parametrize(("mode", "refused"), [("i2v", "t2v"), ("i2v", "flf2v"), ("flf2v", "t2v"), ("flf2v", "i2v")])
def test_an_image_encoder_model_refuses_the_modes_its_transformer_cannot_take(
    mode: str, refused: str, folders: dict[str, Path]
) -> None:
    with pytest.raises(InputError, match=f"cannot condition on mode '{refused}'"):
        gvcodec.Encoder(64, 48, 25, model=str(folders[mode]), mode=refused, gop=5, quiet=True)


def test_t2v_condition_on_an_image_encoder_model_is_refused_naming_its_layout(backbones) -> None:
    with pytest.raises(InputError, match=r"\(Wan2.1 I2V-14B layout\), got no anchor"):
        backbones["i2v"].condition("", 5, 48, 64)


def test_a_folder_without_image_processor_is_refused(folders: dict[str, Path], tmp_path: Path) -> None:
    folder = Path(shutil.copytree(folders["i2v"], tmp_path / "i2v"))
    shutil.rmtree(folder / "image_processor")
    with pytest.raises(ModelError, match="has image_encoder/ but no image_processor/"):
        load_backbone(str(folder))
