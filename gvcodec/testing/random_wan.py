"""The Wan2.1-T2V-1.3B architecture with random weights, built in memory as a :class:`WanBackbone`.

For timing the codec at the real model's cost without its checkpoint: the transformer has the
Wan2.1-T2V-1.3B config (Wan2.1's ``configs/wan_t2v_1_3B.py``: dim 1536 = 12 heads x 128, FFN 8960,
30 layers, patch (1, 2, 2), UMT5 text width 4096), the VAE is ``AutoencoderKLWan``'s default config,
which is the Wan2.1 VAE. There is no text encoder; the context is a fixed ``(1, 512, 4096)`` zero
tensor, the shape of Wan's padded 512-token UMT5 output, so cross-attention costs what it costs with a
prompt. The weights are drawn on the target device under a fixed seed; nothing is read from disk.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import torch
from diffusers import AutoencoderKLWan, WanTransformer3DModel

from gvcodec.backbones.base import Condition
from gvcodec.backbones.fingerprint import FINGERPRINT_TAG
from gvcodec.backbones.layout import WanLayout
from gvcodec.backbones.wan import WanBackbone, configure_cuda_replay
from gvcodec.errors import InputError

NAME = "wan2.1-1.3b-random"
LATENT_CHANNELS = 16
TEXT_DIM = 4096
TEXT_TOKENS = 512
LAYERS = 30
SEED = 0


def transformer_config(layers: int = LAYERS) -> dict:
    """``WanTransformer3DModel`` arguments of Wan2.1-T2V-1.3B, with ``num_layers`` replaceable for tests."""
    return {
        "patch_size": (1, 2, 2),
        "num_attention_heads": 12,
        "attention_head_dim": 128,
        "in_channels": LATENT_CHANNELS,
        "out_channels": LATENT_CHANNELS,
        "text_dim": TEXT_DIM,
        "freq_dim": 256,
        "ffn_dim": 8960,
        "num_layers": layers,
        "cross_attn_norm": True,
        "qk_norm": "rms_norm_across_heads",
        "eps": 1e-6,
        "rope_max_seq_len": 1024,
    }


class FixedContextWan(WanBackbone):
    """A :class:`WanBackbone` without text encoder whose condition carries a fixed text context."""

    def __init__(self, *args: object, context: torch.Tensor, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fixed_context = context

    def condition(
        self,
        prompt: str,
        num_frames: int,
        height: int,
        width: int,
        first: torch.Tensor | None = None,
        last: torch.Tensor | None = None,
    ) -> Condition:
        return replace(super().condition(prompt, num_frames, height, width, first, last), context=self.fixed_context)


def cast_like_from_pretrained(model: WanTransformer3DModel, dtype: torch.dtype) -> WanTransformer3DModel:
    """Cast as ``from_pretrained(torch_dtype=dtype)`` does: parameters of ``_keep_in_fp32_modules`` stay float32."""
    keep = tuple(model._keep_in_fp32_modules or ())
    for name, parameter in model.named_parameters():
        kept = any(module in name.split(".") for module in keep)
        parameter.data = parameter.data.to(torch.float32 if kept else dtype)
    return model


def fingerprint(config: dict) -> bytes:
    """``SHA-256(tag || name || seed || canonical JSON of the transformer config)``: 32 bytes naming the model."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(FINGERPRINT_TAG + NAME.encode() + SEED.to_bytes(4, "little") + canonical).digest()


def random_wan(device: torch.device, dtype: torch.dtype = torch.bfloat16, layers: int = LAYERS) -> FixedContextWan:
    """The random-weight Wan2.1-T2V-1.3B backbone on ``device``: transformer in ``dtype``, VAE in float32."""
    if layers < 1:
        raise InputError(f"the random Wan transformer needs at least one layer, got {layers}")
    configure_cuda_replay(device)
    config = transformer_config(layers)
    torch.manual_seed(SEED)
    with torch.device(device):
        transformer = cast_like_from_pretrained(WanTransformer3DModel(**config), dtype).eval()
        vae = AutoencoderKLWan().eval()
        context = torch.zeros(1, TEXT_TOKENS, TEXT_DIM, dtype=dtype)
    layout = WanLayout(
        folder=Path(NAME),
        in_channels=LATENT_CHANNELS,
        latent_channels=vae.config.z_dim,
        temporal_factor=vae.config.scale_factor_temporal,
        spatial_factor=vae.config.scale_factor_spatial,
        spatial_patch=config["patch_size"][1],
        text_dim=TEXT_DIM,
        has_text_encoder=False,
        image_anchors=0,
    )
    return FixedContextWan(
        layout=layout,
        name=NAME if layers == LAYERS else f"{NAME}-{layers}-layers",
        fingerprint=fingerprint(config),
        transformer=transformer,
        vae=vae,
        text=None,
        image=None,
        device=device,
        dtype=dtype,
        context=context,
    )
