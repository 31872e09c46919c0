"""The tiny random-weight Wan folders: reproducible bytes, the four layouts, size, and the command line."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from diffusers import WanImageToVideoPipeline, WanPipeline
from PIL import Image
from safetensors import safe_open
from transformers import CLIPVisionModel

from gvcodec.errors import InputError
from gvcodec.testing.tiny_wan import IMAGE_TOKENS, main, write_tiny_wan


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def parameter_count(folder: Path) -> int:
    total = 0
    for weights in folder.rglob("*.safetensors"):
        with safe_open(weights, "pt") as tensors:
            total += sum(math.prod(tensors.get_slice(name).get_shape()) for name in tensors.keys())
    return total


@pytest.mark.parametrize("variant", ["t2v", "nano", "i2v", "flf2v"])
def test_variant_is_the_same_bytes_on_every_run(variant: str, tmp_path: Path):
    first = folder_bytes(write_tiny_wan(tmp_path / "a", variant))
    second = folder_bytes(write_tiny_wan(tmp_path / "b", variant))
    assert first == second


def test_t2v_variant_is_a_diffusers_wan_pipeline_folder(tmp_path: Path):
    folder = write_tiny_wan(tmp_path / "t2v", "t2v")
    pipeline = WanPipeline.from_pretrained(folder, local_files_only=True)
    assert pipeline.transformer.config.in_channels == 16
    assert pipeline.text_encoder.config.d_model == pipeline.transformer.config.text_dim
    assert pipeline.tokenizer("a cat").input_ids[-1] == pipeline.tokenizer.eos_token_id


def test_nano_variant_has_36_channel_transformer_and_no_text_encoder(tmp_path: Path):
    folder = write_tiny_wan(tmp_path / "nano", "nano")
    assert sorted(path.name for path in folder.iterdir()) == ["transformer", "vae"]
    config = json.loads((folder / "transformer" / "config.json").read_text())
    assert (config["in_channels"], config["out_channels"], config["patch_size"]) == (36, 16, [1, 2, 2])


@pytest.mark.parametrize(("variant", "images"), [("i2v", None), ("flf2v", 2)])
def test_image_variants_are_diffusers_wan_image_to_video_pipeline_folders(tmp_path: Path, variant: str, images):
    folder = write_tiny_wan(tmp_path / variant, variant)
    pipeline = WanImageToVideoPipeline.from_pretrained(folder, local_files_only=True)
    assert isinstance(pipeline.image_encoder, CLIPVisionModel)
    config = pipeline.transformer.config
    assert (config.in_channels, config.image_dim) == (36, pipeline.image_encoder.config.hidden_size)
    assert config.pos_embed_seq_len == (None if images is None else images * IMAGE_TOKENS)
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    with torch.no_grad():
        latents = pipeline(
            image=image,
            last_image=image if images else None,
            prompt_embeds=torch.zeros(1, 512, config.text_dim),
            num_frames=5,
            height=48,
            width=64,
            num_inference_steps=1,
            guidance_scale=1.0,
            output_type="latent",
        ).frames
    assert latents.shape == (1, 16, 2, 6, 8)


@pytest.mark.parametrize("variant", ["t2v", "i2v", "flf2v"])
def test_tiny_models_have_a_few_hundred_thousand_parameters_at_most(tmp_path: Path, variant: str):
    assert parameter_count(write_tiny_wan(tmp_path / variant, variant)) < 300_000


def test_rope_covers_720p_latents(tmp_path: Path):
    config = json.loads((write_tiny_wan(tmp_path / "nano", "nano") / "transformer" / "config.json").read_text())
    assert config["rope_max_seq_len"] >= 1280 // 8 // config["patch_size"][2]


def test_command_line_writes_the_requested_variant_and_patch(tmp_path: Path):
    assert main([str(tmp_path / "out"), "--variant", "nano", "--spatial-patch", "4"]) == 0
    config = json.loads((tmp_path / "out" / "transformer" / "config.json").read_text())
    assert (config["in_channels"], config["patch_size"]) == (36, [1, 4, 4])


def test_command_line_writes_the_flf2v_variant(tmp_path: Path):
    assert main([str(tmp_path / "out"), "--variant", "flf2v"]) == 0
    assert (tmp_path / "out" / "image_processor" / "preprocessor_config.json").is_file()
    config = json.loads((tmp_path / "out" / "transformer" / "config.json").read_text())
    assert config["pos_embed_seq_len"] == 2 * IMAGE_TOKENS


def test_unknown_variant_is_refused(tmp_path: Path):
    with pytest.raises(InputError, match="t2v, nano, i2v, flf2v"):
        write_tiny_wan(tmp_path / "x", "vace")
