"""Model sizes of the nano VAE and flow transformer (diffusers ``AutoencoderKLWan`` / ``WanTransformer3DModel``).

The VAE works on 2x2 pixel patches (12 channels) and downsamples twice more in space and time, so it
compresses 8x spatially and 4x temporally while never running a convolution at full resolution: that is
what keeps a 33-frame 448x256 decode within a CPU budget. The transformer uses (1, 4, 4) patches, a
quarter of Wan's tokens, so a model call on 2 CPU cores stays well under a second.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from diffusers import AutoencoderKLWan, WanTransformer3DModel

Z_DIM = 16
IN_CHANNELS = 36  # 16 noisy latent + 4 frame mask + 16 condition latent (Wan I2V layout)


def _vae_config(base_dim: int, decoder_base_dim: int, num_res_blocks: int) -> dict[str, Any]:
    return dict(
        base_dim=base_dim,
        decoder_base_dim=decoder_base_dim,
        z_dim=Z_DIM,
        dim_mult=[1, 2, 4],
        num_res_blocks=num_res_blocks,
        attn_scales=[],
        temperal_downsample=[True, True],
        patch_size=2,
        in_channels=12,
        out_channels=12,
        scale_factor_temporal=4,
        scale_factor_spatial=8,
        latents_mean=[0.0] * Z_DIM,
        latents_std=[1.0] * Z_DIM,
    )


def _transformer_config(heads: int, layers: int, ffn_dim: int) -> dict[str, Any]:
    return dict(
        patch_size=(1, 4, 4),
        num_attention_heads=heads,
        attention_head_dim=64,
        in_channels=IN_CHANNELS,
        out_channels=Z_DIM,
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


NANO = ModelSizes(vae=_vae_config(32, 32, 2), transformer=_transformer_config(5, 6, 896))
SMOKE = ModelSizes(vae=_vae_config(8, 8, 1), transformer=_transformer_config(1, 1, 64))


def build_vae(config: dict[str, Any]) -> AutoencoderKLWan:
    """A freshly initialised VAE of ``config``."""
    return AutoencoderKLWan(**config)


def build_transformer(config: dict[str, Any]) -> WanTransformer3DModel:
    """A freshly initialised flow transformer of ``config``."""
    return WanTransformer3DModel(**config)


def parameter_count(model: torch.nn.Module) -> int:
    """Number of parameters of ``model``."""
    return sum(p.numel() for p in model.parameters())
