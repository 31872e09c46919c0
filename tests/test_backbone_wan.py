"""The wan backbone on tiny random-weight Wan2.1 folders: geometry, determinism, conditioning, fingerprints, errors."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import FlowMatchEulerDiscreteScheduler, WanImageToVideoPipeline, WanPipeline
from safetensors.torch import load_file, save_file

from gvcodec.backbones import load_backbone, model_folder
from gvcodec.backbones.fingerprint import folder_fingerprint
from gvcodec.backbones.image import anchor_image
from gvcodec.backbones.layout import read_layout
from gvcodec.errors import InputError, ModelError
from gvcodec.testing.tiny_wan import IMAGE_DIM, IMAGE_TOKENS, TEXT_DIM, write_tiny_wan
from tests.helpers import eval_clip



def read_y4m_rgb(path: Path, frames: int) -> torch.Tensor:
    """The first ``frames`` frames of a 4:2:0 y4m clip as ``(3, F, H, W)`` RGB in ``[-1, 1]`` (BT.601 limited)."""
    with path.open("rb") as stream:
        header = stream.readline().split()
        width = int(next(f for f in header if f.startswith(b"W"))[1:])
        height = int(next(f for f in header if f.startswith(b"H"))[1:])
        planes = []
        for _ in range(frames):
            stream.readline()
            y = np.frombuffer(stream.read(width * height), np.uint8).reshape(height, width)
            u, v = (
                np.frombuffer(stream.read(width * height // 4), np.uint8).reshape(height // 2, width // 2)
                for _ in range(2)
            )
            planes.append([y, u.repeat(2, 0).repeat(2, 1), v.repeat(2, 0).repeat(2, 1)])
    yuv = torch.from_numpy(np.array(planes, dtype=np.float32)).permute(1, 0, 2, 3)
    luma, cb, cr = 1.164 * (yuv[0] - 16), yuv[1] - 128, yuv[2] - 128
    rgb = torch.stack([luma + 1.596 * cr, luma - 0.392 * cb - 0.813 * cr, luma + 2.017 * cb])
    return (rgb / 127.5 - 1).clamp(-1, 1)


pytestmark = pytest.mark.usefixtures("isolated_cache", "one_thread")


@pytest.fixture(autouse=True)
def seeded():
    """Random test latents are the same on every run."""
    torch.manual_seed(0)


@pytest.fixture(scope="module")
def t2v_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_wan(tmp_path_factory.mktemp("tiny") / "t2v", "t2v")


@pytest.fixture(scope="module")
def nano_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_wan(tmp_path_factory.mktemp("tiny") / "nano", "nano")


@pytest.fixture(scope="module")
def i2v_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_wan(tmp_path_factory.mktemp("tiny") / "i2v", "i2v")


@pytest.fixture(scope="module")
def flf2v_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_wan(tmp_path_factory.mktemp("tiny") / "flf2v", "flf2v")


@pytest.fixture(scope="module")
def i2v(i2v_folder: Path):
    return load_backbone(str(i2v_folder))


@pytest.fixture(scope="module")
def flf2v(flf2v_folder: Path):
    return load_backbone(str(flf2v_folder))


@pytest.fixture(scope="module")
def t2v(t2v_folder: Path):
    return load_backbone(str(t2v_folder))


@pytest.fixture(scope="module")
def nano(nano_folder: Path):
    return load_backbone(str(nano_folder))


@pytest.fixture(scope="module")
def foreman() -> torch.Tensor:
    return read_y4m_rgb(eval_clip("foreman_352x288.y4m"), 17)


def copy_folder(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / folder.name))


def edit_config(path: Path, **changes) -> None:
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


# --- geometry ---------------------------------------------------------------------------------------------


def test_t2v_folder_loads_as_16_channel_text_to_video_model(t2v, t2v_folder: Path):
    assert (t2v.latent_channels, t2v.temporal_factor, t2v.pixel_multiple) == (16, 4, 16)
    assert t2v.accepts_prompt and not t2v.anchored and t2v.image_anchors == 0
    assert t2v.device == torch.device("cpu") and t2v.name == "t2v"


def test_nano_folder_loads_as_anchored_model_without_text_encoder(nano):
    assert (nano.latent_channels, nano.temporal_factor, nano.pixel_multiple) == (16, 4, 16)
    assert not nano.accepts_prompt and nano.anchored and nano.image_anchors == 0


def test_image_encoder_folders_load_as_one_mode_models_with_text_encoder(i2v, flf2v):
    assert i2v.anchored and i2v.image_anchors == 1 and i2v.accepts_prompt
    assert flf2v.anchored and flf2v.image_anchors == 2 and flf2v.accepts_prompt
    assert i2v.image[1].dtype == torch.float32


def test_pixel_multiple_is_vae_factor_times_transformer_patch(tmp_path: Path):
    backbone = load_backbone(str(write_tiny_wan(tmp_path / "p4", "nano", spatial_patch=4)))
    assert backbone.pixel_multiple == 32
    condition = backbone.condition("", 5, 64, 96)
    x = torch.randn(condition.latent_shape)
    assert backbone.velocity(x, 0.5, condition).shape == (16, 2, 8, 12)
    with pytest.raises(InputError, match="multiples of 32"):
        backbone.condition("", 5, 48, 96)


@pytest.mark.slow
def test_encode_and_decode_shapes_on_a_real_cif_clip(nano, foreman: torch.Tensor):
    latent = nano.encode_video(foreman)
    assert latent.shape == (16, 5, 36, 44) and latent.dtype == torch.float32
    video = nano.decode_latent(latent)
    assert video.shape == (3, 17, 288, 352) and video.dtype == torch.float32
    assert video.min() >= -1 and video.max() <= 1


def test_encode_returns_latent_normalised_by_the_vae_statistics(nano, foreman: torch.Tensor):
    clip = foreman[:, :5, :64, :64]
    with torch.no_grad():
        raw = nano.vae.encode(clip[None]).latent_dist.mean[0]
    mean = torch.tensor(nano.vae.config.latents_mean).view(16, 1, 1, 1)
    std = torch.tensor(nano.vae.config.latents_std).view(16, 1, 1, 1)
    torch.testing.assert_close(nano.encode_video(clip), (raw - mean) / std)


def test_velocity_has_the_latent_shape_at_cif_448x256_and_720p(t2v):
    for frames, height, width in ((17, 288, 352), (33, 256, 448), (1, 720, 1280)):
        condition = t2v.condition("", frames, height, width)
        x = torch.randn(condition.latent_shape)
        velocity = t2v.velocity(x, 0.7, condition)
        assert velocity.shape == x.shape and velocity.dtype == torch.float32
        assert torch.isfinite(velocity).all()


def test_video_with_wrong_frame_count_or_size_is_refused(nano):
    with pytest.raises(InputError, match="4k \\+ 1"):
        nano.encode_video(torch.zeros(3, 6, 32, 32))
    with pytest.raises(InputError, match="multiples of 16"):
        nano.encode_video(torch.zeros(3, 5, 40, 32))
    with pytest.raises(InputError, match="4k \\+ 1"):
        nano.condition("", 16, 32, 32)


# --- determinism ------------------------------------------------------------------------------------------


def test_encode_decode_and_velocity_repeat_bit_for_bit(nano, foreman: torch.Tensor):
    clip = foreman[:, :5, :64, :96]
    latents = [nano.encode_video(clip) for _ in range(2)]
    assert latents[0].numpy().tobytes() == latents[1].numpy().tobytes()
    videos = [nano.decode_latent(latents[0]) for _ in range(2)]
    assert videos[0].numpy().tobytes() == videos[1].numpy().tobytes()
    condition = nano.condition("", 5, 64, 96, first=clip[:, 0])
    velocities = [nano.velocity(latents[0], 0.3, condition) for _ in range(2)]
    assert velocities[0].numpy().tobytes() == velocities[1].numpy().tobytes()


def test_velocity_calls_the_transformer_at_timestep_1000_t(t2v):
    condition = t2v.condition("", 5, 32, 48)
    x = torch.randn(condition.latent_shape)
    with torch.no_grad():
        expected = t2v.transformer(x[None], torch.tensor([250.0]), condition.context, return_dict=False)[0][0]
    torch.testing.assert_close(t2v.velocity(x, 0.25, condition), expected, rtol=0, atol=0)


def test_bfloat16_backbone_returns_float32_close_to_float32(nano_folder: Path, nano):
    half = load_backbone(str(nano_folder), dtype="bfloat16")
    condition, reference = half.condition("", 5, 32, 48), nano.condition("", 5, 32, 48)
    x = torch.randn(condition.latent_shape)
    velocity = half.velocity(x, 0.5, condition)
    assert velocity.dtype == torch.float32 and half.fingerprint == nano.fingerprint
    torch.testing.assert_close(velocity, nano.velocity(x, 0.5, reference), rtol=0.05, atol=0.05)


# --- text and anchor conditioning -------------------------------------------------------------------------


def test_empty_prompt_context_is_512_tokens_zero_after_the_end_token(t2v):
    context = t2v.condition("", 5, 32, 32).context
    assert context.shape == (1, 512, TEXT_DIM)
    assert context[0, 0].abs().sum() > 0 and not context[0, 1:].any()


def test_prompt_context_matches_diffusers_wan_pipeline(t2v):
    pipeline = WanPipeline(
        tokenizer=t2v.text[0],
        text_encoder=t2v.text[1],
        vae=t2v.vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        transformer=t2v.transformer,
    )
    for prompt in ("", "A dog  runs &amp; jumps,\n in the park"):
        with torch.no_grad():
            expected, _ = pipeline.encode_prompt(prompt, do_classifier_free_guidance=False, max_sequence_length=512)
        torch.testing.assert_close(t2v.condition(prompt, 5, 32, 32).context, expected, rtol=0, atol=0)


def test_prompt_changes_the_t2v_context(t2v):
    empty = t2v.condition("", 5, 32, 32).context
    assert not torch.equal(t2v.condition("a red car", 5, 32, 32).context, empty)


def test_prompt_on_model_without_text_encoder_is_refused(nano):
    with pytest.raises(InputError, match="no text encoder"):
        nano.condition("a red car", 5, 32, 32)
    assert nano.condition("  ", 5, 32, 32).context.shape == (1, 1, TEXT_DIM)


def test_anchor_on_text_to_video_only_model_is_refused(t2v):
    with pytest.raises(InputError, match="anchor"):
        t2v.condition("", 5, 32, 32, first=torch.zeros(3, 32, 32))


def test_anchor_of_wrong_size_is_refused(nano):
    with pytest.raises(InputError, match="anchor frame"):
        nano.condition("", 5, 32, 32, first=torch.zeros(3, 32, 48))


def test_t2v_condition_on_anchored_model_has_all_zero_extra_channels(nano):
    condition = nano.condition("", 9, 32, 48)
    assert condition.extra.shape == (20, 3, 4, 6) and not condition.extra.any()


def test_anchor_frames_change_the_velocity(nano, foreman: torch.Tensor):
    clip = foreman[:, :9, :64, :96]
    x = torch.randn(16, 3, 8, 12)
    plain = nano.velocity(x, 0.6, nano.condition("", 9, 64, 96))
    first = nano.velocity(x, 0.6, nano.condition("", 9, 64, 96, first=clip[:, 0]))
    both = nano.velocity(x, 0.6, nano.condition("", 9, 64, 96, first=clip[:, 0], last=clip[:, 8]))
    assert not torch.allclose(plain, first) and not torch.allclose(first, both)


def test_first_frame_condition_is_wan_mask_and_latent_of_anchor_video(nano, foreman: torch.Tensor):
    first = foreman[:, 0, :32, :48]
    condition = nano.condition("", 9, 32, 48, first=first)
    video = torch.zeros(3, 9, 32, 48)
    video[:, 0] = first
    assert condition.extra[:4, 0].eq(1).all() and not condition.extra[:4, 1:].any()
    torch.testing.assert_close(condition.extra[4:], nano.encode_video(video))


def image_pipeline(backbone) -> WanImageToVideoPipeline:
    """diffusers' pipeline around the backbone's own components, to compare conditions with."""
    return WanImageToVideoPipeline(
        tokenizer=backbone.text[0],
        text_encoder=backbone.text[1],
        vae=backbone.vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        image_processor=backbone.image[0],
        image_encoder=backbone.image[1],
        transformer=backbone.transformer,
    )


def pixels_of(frame: torch.Tensor) -> torch.Tensor:
    """An 8-bit frame as the pipeline maps it to ``[-1, 1]``: ``u / 127.5 - 1``."""
    return torch.from_numpy(np.array(anchor_image(frame))).permute(2, 0, 1).float() / 127.5 - 1


def test_anchor_image_gives_back_the_exact_8_bit_pixels():
    levels = torch.arange(256, dtype=torch.float32).repeat(3, 2, 1)
    assert torch.equal(torch.from_numpy(np.array(anchor_image(levels / 127.5 - 1))).permute(2, 0, 1).float(), levels)


def test_i2v_image_tokens_match_diffusers_encode_image(i2v, foreman: torch.Tensor):
    first = pixels_of(foreman[:, 0, :48, :64])
    with torch.no_grad():
        expected = image_pipeline(i2v).encode_image(anchor_image(first), torch.device("cpu"))
    tokens = i2v.condition("", 5, 48, 64, first=first).image
    assert tokens.shape == (1, IMAGE_TOKENS, IMAGE_DIM)
    torch.testing.assert_close(tokens, expected, rtol=0, atol=0)


def test_flf2v_image_tokens_are_first_and_last_frame_as_diffusers_encodes_them(flf2v, foreman: torch.Tensor):
    first, last = pixels_of(foreman[:, 0, :48, :64]), pixels_of(foreman[:, 8, :48, :64])
    with torch.no_grad():
        expected = image_pipeline(flf2v).encode_image([anchor_image(first), anchor_image(last)], torch.device("cpu"))
    tokens = flf2v.condition("", 9, 48, 64, first=first, last=last).image
    assert tokens.shape == (2, IMAGE_TOKENS, IMAGE_DIM)
    torch.testing.assert_close(tokens, expected, rtol=0, atol=0)


def test_image_encoder_condition_keeps_the_wan_mask_and_condition_latent(flf2v, foreman: torch.Tensor):
    first, last = foreman[:, 0, :32, :48], foreman[:, 8, :32, :48]
    condition = flf2v.condition("", 9, 32, 48, first=first, last=last)
    video = torch.zeros(3, 9, 32, 48)
    video[:, 0], video[:, 8] = first, last
    torch.testing.assert_close(condition.extra[4:], flf2v.encode_video(video))
    assert condition.context.shape == (1, 512, TEXT_DIM)


def test_i2v_model_given_a_last_anchor_is_refused(i2v):
    frame = torch.zeros(3, 32, 32)
    with pytest.raises(InputError, match="its first anchor frame .* got first and last"):
        i2v.condition("", 5, 32, 32, first=frame, last=frame)


def test_flf2v_model_given_only_a_first_anchor_is_refused(flf2v):
    with pytest.raises(InputError, match="first and last anchor frames .* got first"):
        flf2v.condition("", 5, 32, 32, first=torch.zeros(3, 32, 32))


def test_latent_not_matching_its_condition_is_refused(nano):
    condition = nano.condition("", 5, 32, 32)
    with pytest.raises(InputError, match="does not match"):
        nano.velocity(torch.zeros(16, 2, 4, 6), 0.5, condition)


# --- fingerprint ------------------------------------------------------------------------------------------


def test_fingerprint_is_32_bytes_and_stable_across_reloads(nano_folder: Path, nano):
    assert len(nano.fingerprint) == 32
    assert load_backbone(str(nano_folder)).fingerprint == nano.fingerprint


def test_fingerprints_of_different_models_differ(nano, t2v):
    assert nano.fingerprint != t2v.fingerprint


def test_fingerprint_changes_when_one_weight_changes(nano_folder: Path, nano, tmp_path: Path):
    folder = copy_folder(nano_folder, tmp_path)
    weights = folder / "vae" / "diffusion_pytorch_model.safetensors"
    tensors = load_file(weights)
    name = sorted(tensors)[0]
    tensors[name].view(-1)[0] += 1e-3
    save_file(tensors, weights, metadata={"format": "pt"})
    assert load_backbone(str(folder)).fingerprint != nano.fingerprint


def test_fingerprints_of_i2v_and_flf2v_differ(i2v, flf2v):
    assert i2v.fingerprint != flf2v.fingerprint


def test_fingerprint_covers_image_encoder_weights_and_image_processor_config(i2v_folder: Path, i2v, tmp_path: Path):
    folder = copy_folder(i2v_folder, tmp_path)
    layout = read_layout(folder)
    configs, contents = layout.fingerprint_inputs()
    assert folder / "image_processor" / "preprocessor_config.json" in configs
    assert folder / "image_encoder" / "model.safetensors" in contents
    edit_config(folder / "image_processor" / "preprocessor_config.json", resample=2)
    assert folder_fingerprint(folder, *layout.fingerprint_inputs()) != i2v.fingerprint
    folder = copy_folder(i2v_folder, tmp_path / "weights")
    weights = folder / "image_encoder" / "model.safetensors"
    tensors = load_file(weights)
    tensors[sorted(tensors)[0]].view(-1)[0] += 1e-3
    save_file(tensors, weights, metadata={"format": "pt"})
    assert load_backbone(str(folder)).fingerprint != i2v.fingerprint


def test_fingerprint_changes_with_config_but_not_with_library_metadata(nano_folder: Path, nano, tmp_path: Path):
    folder = copy_folder(nano_folder, tmp_path)
    assert load_backbone(str(folder)).fingerprint == nano.fingerprint
    edit_config(folder / "vae" / "config.json", _diffusers_version="9.9.9")
    layout = read_layout(folder)
    assert folder_fingerprint(folder, *layout.fingerprint_inputs()) == nano.fingerprint
    edit_config(folder / "vae" / "config.json", latents_std=[1.0] * 16)
    assert folder_fingerprint(folder, *layout.fingerprint_inputs()) != nano.fingerprint


def test_a_weight_file_changed_in_place_with_size_and_mtime_restored_changes_the_fingerprint(
    nano, tmp_path: Path
):
    folder = copy_folder(nano.layout.folder, tmp_path / "weights")
    assert load_backbone(str(folder)).fingerprint == nano.fingerprint
    weights = folder / "vae" / "diffusion_pytorch_model.safetensors"
    before = weights.stat()
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert weights.stat().st_size == before.st_size and weights.stat().st_mtime_ns == before.st_mtime_ns
    assert load_backbone(str(folder)).fingerprint != nano.fingerprint


# --- folder and option errors -----------------------------------------------------------------------------


def test_missing_model_folder_is_a_model_error_naming_it(tmp_path: Path):
    with pytest.raises(ModelError, match=re.escape(str(tmp_path / "absent"))):
        load_backbone(str(tmp_path / "absent"))


def test_missing_nano_weights_are_a_model_error_naming_the_expected_folder(tmp_path: Path):
    with pytest.raises(ModelError, match=f"nano model is missing.*{re.escape(str(tmp_path / 'weights' / 'nano'))}"):
        model_folder("nano", nano_folder=tmp_path / "weights" / "nano")


def test_missing_subfolder_is_a_model_error_naming_it(nano_folder: Path, tmp_path: Path):
    folder = copy_folder(nano_folder, tmp_path)
    shutil.rmtree(folder / "vae")
    with pytest.raises(ModelError, match="no vae/"):
        load_backbone(str(folder))


def test_missing_weights_are_a_model_error(nano_folder: Path, tmp_path: Path):
    folder = copy_folder(nano_folder, tmp_path)
    (folder / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(ModelError, match="transformer/ has no weight file"):
        load_backbone(str(folder))


def test_text_encoder_without_tokenizer_is_a_model_error(t2v_folder: Path, tmp_path: Path):
    folder = copy_folder(t2v_folder, tmp_path)
    shutil.rmtree(folder / "tokenizer")
    with pytest.raises(ModelError, match="no tokenizer/"):
        load_backbone(str(folder))


def test_image_processor_without_image_encoder_is_a_model_error(i2v_folder: Path, tmp_path: Path):
    folder = copy_folder(i2v_folder, tmp_path)
    shutil.rmtree(folder / "image_encoder")
    with pytest.raises(ModelError, match="has image_processor/ but no image_encoder/"):
        load_backbone(str(folder))


def test_image_encoder_beside_a_transformer_without_image_dim_is_a_model_error(
    i2v_folder: Path, nano_folder: Path, tmp_path: Path
):
    folder = copy_folder(nano_folder, tmp_path)
    for name in ("image_encoder", "image_processor"):
        shutil.copytree(i2v_folder / name, folder / name)
    with pytest.raises(ModelError, match="takes no CLIP image embeddings"):
        load_backbone(str(folder))


def test_image_encoder_model_without_text_encoder_is_a_model_error(i2v_folder: Path, tmp_path: Path):
    folder = copy_folder(i2v_folder, tmp_path)
    for name in ("text_encoder", "tokenizer"):
        shutil.rmtree(folder / name)
    with pytest.raises(ModelError, match="no text_encoder/ and tokenizer/.*512 UMT5 text tokens"):
        load_backbone(str(folder))


def test_image_encoder_without_weights_is_a_model_error(i2v_folder: Path, tmp_path: Path):
    folder = copy_folder(i2v_folder, tmp_path)
    (folder / "image_encoder" / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="image_encoder/ has no weight file"):
        load_backbone(str(folder))


@pytest.mark.parametrize(
    ("path", "changes", "message"),
    [
        ("image_encoder/config.json", {"hidden_size": 8}, "hidden_size 8 does not match .* image_dim 16"),
        ("image_encoder/config.json", {"model_type": "clip"}, "expected 'clip_vision_model'"),
        ("image_encoder/config.json", {"patch_size": 5}, "not a multiple of patch_size 5"),
        ("transformer/config.json", {"pos_embed_seq_len": 20}, "pos_embed_seq_len 20 is neither"),
        ("transformer/config.json", {"in_channels": 16}, "not the frame mask and condition latent"),
        ("image_processor/preprocessor_config.json", {"crop_size": 16}, "centre-crop .* 32x32"),
        ("image_processor/preprocessor_config.json", {"do_center_crop": False}, "centre-crop"),
    ],
)
def test_inconsistent_image_encoder_layout_is_a_model_error(
    i2v_folder: Path, tmp_path: Path, path: str, changes: dict, message: str
):
    folder = copy_folder(i2v_folder, tmp_path)
    edit_config(folder / path, **changes)
    with pytest.raises(ModelError, match=message):
        load_backbone(str(folder))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"patch_size": [2, 2, 2]}, "temporal patch 2"),
        ({"in_channels": 20}, "in_channels 20"),
        ({"out_channels": 48}, "out_channels 48"),
        ({"image_dim": 1280}, "CLIP image embeddings"),
        ({"text_dim": 64}, "d_model 32"),
    ],
)
def test_unsupported_transformer_layout_is_a_model_error(t2v_folder: Path, tmp_path: Path, changes, message):
    folder = copy_folder(t2v_folder, tmp_path)
    edit_config(folder / "transformer" / "config.json", **changes)
    with pytest.raises(ModelError, match=message):
        load_backbone(str(folder))


def test_malformed_config_is_a_model_error(nano_folder: Path, tmp_path: Path):
    folder = copy_folder(nano_folder, tmp_path)
    (folder / "vae" / "config.json").write_text("{")
    with pytest.raises(ModelError, match="vae/config.json cannot be read"):
        load_backbone(str(folder))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_device_without_cuda_is_an_input_error(nano_folder: Path):
    with pytest.raises(InputError, match="no usable CUDA"):
        load_backbone(str(nano_folder), device="cuda")


@pytest.mark.parametrize(("device", "dtype"), [("tpu", "float32"), ("cpu", "float16")])
def test_unsupported_device_or_dtype_is_an_input_error(nano_folder: Path, device: str, dtype: str):
    with pytest.raises(InputError, match="expected"):
        load_backbone(str(nano_folder), device=device, dtype=dtype)
