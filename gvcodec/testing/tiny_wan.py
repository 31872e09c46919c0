"""Tiny random-weight Wan2.1 model folders for tests and for trying the command lines without real weights.

``python -m gvcodec.testing.tiny_wan OUTDIR [--variant t2v|nano|i2v|flf2v] [--spatial-patch 2|4]``

- ``t2v``: the diffusers Wan2.1 T2V layout: 16-channel transformer, VAE, UMT5 text encoder, a tokenizer
  built offline, ``scheduler/`` and ``model_index.json`` (``WanPipeline.from_pretrained`` accepts it).
- ``nano``: the layout of our nano model: 36-channel transformer (latent + frame mask + condition
  latent) and VAE only, no text encoder.
- ``i2v``: the diffusers Wan2.1 I2V-14B layout: 36-channel transformer with ``image_dim`` and image
  key/value projections, VAE, UMT5 text encoder and tokenizer, a CLIPVisionModel ``image_encoder/`` with
  its CLIPImageProcessor ``image_processor/`` (32-pixel crops, 17 tokens), ``scheduler/`` and
  ``model_index.json`` (``WanImageToVideoPipeline.from_pretrained`` accepts it).
- ``flf2v``: the same for FLF2V-14B, whose transformer differs only by ``pos_embed_seq_len = 2 x 17``,
  the position embedding of the first and last frame's image tokens.
Every model is built from its config under a fixed torch seed, so a variant is the same bytes on every run.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import diffusers
import torch
from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanTransformer3DModel
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import CLIPImageProcessorPil, CLIPVisionConfig, CLIPVisionModel, UMT5Config, UMT5EncoderModel

from gvcodec.backbones.layout import MASK_CHANNELS
from gvcodec.errors import InputError

VARIANTS = ("t2v", "nano", "i2v", "flf2v")
# How many anchor frames each image-encoder variant embeds through CLIP.
IMAGE_ANCHORS = {"i2v": 1, "flf2v": 2}
LATENT_CHANNELS = 16
TEXT_DIM = 32
IMAGE_DIM = 16
IMAGE_SIZE = 32
IMAGE_PATCH = 8
# One class token and (32 / 8)^2 patch tokens per image, as ViT-H/14 gives 1 + 16^2 = 257 at 224 pixels.
IMAGE_TOKENS = (IMAGE_SIZE // IMAGE_PATCH) ** 2 + 1
# Enough positions per axis for 720p latents (1280 / 8 / patch) and far beyond 448x256.
ROPE_MAX_SEQ_LEN = 1024
SPECIAL_TOKENS = ("<pad>", "</s>", "<unk>")
TOKEN_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?'\"-()"
SEEDS = {"transformer": 0, "vae": 1, "text_encoder": 2, "image_encoder": 3}
TRANSFORMER_HEADS = 2
TRANSFORMER_HEAD_DIM = 12


def tiny_transformer(in_channels: int, spatial_patch: int, image_anchors: int = 0) -> WanTransformer3DModel:
    """A two-layer, 24-wide WanTransformer3DModel (about 26K parameters).

    With ``image_anchors`` (1: I2V, 2: FLF2V) it takes CLIP image tokens like Wan2.1 I2V-14B / FLF2V-14B:
    ``image_dim``, image key/value projections as wide as the model, and for FLF2V a position embedding
    over the ``2 x IMAGE_TOKENS`` tokens of first and last frame.
    """
    image = {}
    if image_anchors:
        image = {
            "image_dim": IMAGE_DIM,
            "added_kv_proj_dim": TRANSFORMER_HEADS * TRANSFORMER_HEAD_DIM,
            "pos_embed_seq_len": 2 * IMAGE_TOKENS if image_anchors == 2 else None,
        }
    return WanTransformer3DModel(
        patch_size=(1, spatial_patch, spatial_patch),
        num_attention_heads=TRANSFORMER_HEADS,
        attention_head_dim=TRANSFORMER_HEAD_DIM,
        in_channels=in_channels,
        out_channels=LATENT_CHANNELS,
        text_dim=TEXT_DIM,
        freq_dim=32,
        ffn_dim=48,
        num_layers=2,
        rope_max_seq_len=ROPE_MAX_SEQ_LEN,
        **image,
    )


def tiny_vae() -> AutoencoderKLWan:
    """An AutoencoderKLWan with Wan2.1's geometry (8x spatial, 4x temporal, 16 channels), 4 base channels."""
    return AutoencoderKLWan(
        base_dim=4,
        z_dim=LATENT_CHANNELS,
        dim_mult=[1, 1, 2, 2],
        num_res_blocks=1,
        attn_scales=[],
        temperal_downsample=[False, True, True],
    )


def tiny_tokenizer() -> Tokenizer:
    """A character-level unigram tokenizer with T5's special tokens, pre-tokenizer and ``</s>`` suffix."""
    vocab = [(token, 0.0) for token in SPECIAL_TOKENS] + [("\u2581", -2.0)]
    for character in TOKEN_CHARACTERS:
        vocab += [(character, -3.0), ("\u2581" + character, -3.5)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=SPECIAL_TOKENS.index("<unk>"), byte_fallback=False))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", SPECIAL_TOKENS.index("</s>"))]
    )
    return tokenizer


def tiny_text_encoder(vocab_size: int) -> UMT5EncoderModel:
    """A two-layer UMT5 encoder with ``d_model = TEXT_DIM``."""
    config = UMT5Config(
        vocab_size=vocab_size,
        d_model=TEXT_DIM,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        relative_attention_max_distance=32,
        dropout_rate=0.0,
        pad_token_id=SPECIAL_TOKENS.index("<pad>"),
        eos_token_id=SPECIAL_TOKENS.index("</s>"),
        decoder_start_token_id=SPECIAL_TOKENS.index("<pad>"),
    )
    return UMT5EncoderModel(config)


def tiny_image_encoder() -> CLIPVisionModel:
    """A two-layer CLIPVisionModel, ``IMAGE_DIM`` wide, on ``IMAGE_SIZE`` crops in ``IMAGE_PATCH`` patches."""
    config = CLIPVisionConfig(
        hidden_size=IMAGE_DIM,
        intermediate_size=2 * IMAGE_DIM,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=IMAGE_SIZE,
        patch_size=IMAGE_PATCH,
        projection_dim=IMAGE_DIM,
    )
    return CLIPVisionModel(config)


def tiny_image_processor() -> CLIPImageProcessorPil:
    """CLIP preprocessing (bicubic resize of the shortest edge, centre crop, CLIP mean/std) to ``IMAGE_SIZE``."""
    return CLIPImageProcessorPil(
        size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}
    )


def write_tiny_wan(outdir: Path, variant: str = "t2v", spatial_patch: int = 2) -> Path:
    """Write a tiny random-weight model folder of ``variant`` into ``outdir`` and return ``outdir``."""
    if variant not in VARIANTS:
        raise InputError(f"unknown tiny Wan variant {variant!r}: expected one of {', '.join(VARIANTS)}")
    if spatial_patch < 1:
        raise InputError(f"spatial patch {spatial_patch} must be a positive integer")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    in_channels = LATENT_CHANNELS if variant == "t2v" else 2 * LATENT_CHANNELS + MASK_CHANNELS
    image_anchors = IMAGE_ANCHORS.get(variant, 0)
    torch.manual_seed(SEEDS["transformer"])
    tiny_transformer(in_channels, spatial_patch, image_anchors).save_pretrained(outdir / "transformer")
    torch.manual_seed(SEEDS["vae"])
    tiny_vae().save_pretrained(outdir / "vae")
    if image_anchors:
        torch.manual_seed(SEEDS["image_encoder"])
        tiny_image_encoder().save_pretrained(outdir / "image_encoder")
        tiny_image_processor().save_pretrained(outdir / "image_processor")
    if variant != "nano":
        _write_text_encoder(outdir)
        FlowMatchEulerDiscreteScheduler(shift=3.0).save_pretrained(outdir / "scheduler")
        _write_json(outdir / "model_index.json", _image_model_index() if image_anchors else _model_index())
    return outdir


def _write_text_encoder(outdir: Path) -> None:
    tokenizer = tiny_tokenizer()
    folder = outdir / "tokenizer"
    folder.mkdir(exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    _write_json(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "pad_token": "<pad>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "model_max_length": 512,
        },
    )
    torch.manual_seed(SEEDS["text_encoder"])
    tiny_text_encoder(tokenizer.get_vocab_size()).save_pretrained(outdir / "text_encoder")


def _model_index() -> dict:
    return {
        "_class_name": "WanPipeline",
        "_diffusers_version": diffusers.__version__,
        "boundary_ratio": None,
        "expand_timesteps": False,
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "text_encoder": ["transformers", "UMT5EncoderModel"],
        "tokenizer": ["transformers", "PreTrainedTokenizerFast"],
        "transformer": ["diffusers", "WanTransformer3DModel"],
        "transformer_2": [None, None],
        "vae": ["diffusers", "AutoencoderKLWan"],
    }


def _image_model_index() -> dict:
    return {
        **_model_index(),
        "_class_name": "WanImageToVideoPipeline",
        "image_encoder": ["transformers", "CLIPVisionModel"],
        "image_processor": ["transformers", "CLIPImageProcessor"],
    }


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gvcodec.testing.tiny_wan",
        description="Write a tiny random-weight Wan2.1 model folder (for tests; it generates noise, not video).",
    )
    parser.add_argument("outdir", type=Path, help="folder to write (created if missing)")
    parser.add_argument(
        "--variant",
        choices=VARIANTS,
        default="t2v",
        help="t2v: Wan2.1 T2V layout; nano: nano layout; i2v / flf2v: Wan2.1 I2V-14B / FLF2V-14B layout with CLIP",
    )
    parser.add_argument(
        "--spatial-patch", type=int, choices=(2, 4), default=2, help="transformer spatial patch (default 2)"
    )
    args = parser.parse_args(argv)
    folder = write_tiny_wan(args.outdir, args.variant, args.spatial_patch)
    print(f"wrote tiny Wan2.1 {args.variant} model to {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
