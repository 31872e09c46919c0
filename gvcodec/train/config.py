"""Model sizes of nano v2: the block-transform VAE, its Gaussian prior, and the flow transformer.

The VAE cuts 4-frame 8x8-pixel blocks (768 values) down to ``z_dim`` coefficients with a principal basis
and two small refinement networks (:class:`gvcodec.backbones.block_vae.BlockTransformVAE`); ``z_dim`` was
chosen by measuring reconstruction and the codec's rate-distortion (BENCHMARKS.md, "nano v2 geometry").
The transformer (Wan I2V layout, (1, 4, 4) patches) predicts the residual over the Gaussian prior's
closed-form velocity; its output layer starts at zero, so an untrained model is that Gaussian baseline.
It is small enough to train on a 2-core CPU and to keep a 33-frame 448x256 decode within seconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from diffusers import WanTransformer3DModel

from gvcodec.backbones.block_vae import BlockTransformVAE
from gvcodec.backbones.layout import MASK_CHANNELS

Z_DIM = 32


def vae_config(z_dim: int, encoder_width: int, decoder_width: int) -> dict[str, Any]:
    """A :class:`BlockTransformVAE` config: 4-frame 8x8 blocks to ``z_dim`` channels."""
    return dict(
        z_dim=z_dim,
        scale_factor_temporal=4,
        scale_factor_spatial=8,
        encoder_width=encoder_width,
        decoder_width=decoder_width,
        latents_mean=[0.0] * z_dim,
        latents_std=[1.0] * z_dim,
    )


def transformer_config(z_dim: int, heads: int, layers: int, ffn_dim: int) -> dict[str, Any]:
    """A ``WanTransformer3DModel`` config in the Wan I2V layout (latent + frame mask + condition latent)."""
    return dict(
        patch_size=(1, 4, 4),
        num_attention_heads=heads,
        attention_head_dim=64,
        in_channels=2 * z_dim + MASK_CHANNELS,
        out_channels=z_dim,
        text_dim=16,
        freq_dim=256,
        ffn_dim=ffn_dim,
        num_layers=layers,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        eps=1e-6,
        rope_max_seq_len=1024,
    )


@dataclass(frozen=True)
class ModelSizes:
    """The two model configurations the recipe builds when it does not resume."""

    vae: dict[str, Any] = field(default_factory=dict)
    transformer: dict[str, Any] = field(default_factory=dict)


def nano_sizes(z_dim: int = Z_DIM) -> ModelSizes:
    """The nano v2 models for ``z_dim`` latent channels."""
    return ModelSizes(vae=vae_config(z_dim, 64, 128), transformer=transformer_config(z_dim, 4, 4, 1024))


SMOKE = ModelSizes(vae=vae_config(8, 8, 8), transformer=transformer_config(8, 1, 1, 64))


def build_vae(config: dict[str, Any]) -> BlockTransformVAE:
    """A fresh VAE of ``config``: zero basis until the transform phase installs one, refinements at zero."""
    return BlockTransformVAE(**config)


def build_transformer(config: dict[str, Any]) -> WanTransformer3DModel:
    """A fresh flow transformer of ``config`` whose output layer is zero: it adds nothing to the prior yet."""
    transformer = WanTransformer3DModel(**config)
    torch.nn.init.zeros_(transformer.proj_out.weight)
    torch.nn.init.zeros_(transformer.proj_out.bias)
    return transformer

