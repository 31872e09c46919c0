"""T2V mode: every GOP is coded from the codebook alone, conditioned only on the stream's prompt.

GOPs are independent: GOP ``g`` covers source frames ``[g L, (g + 1) L)`` for GOP length ``L``.
"""
from __future__ import annotations

import torch

from gvcodec.backbones import Backbone
from gvcodec.modes.gop import (
    CodedGop,
    CodingParams,
    decode_trajectory,
    encode_trajectory,
)


def gop_frame_ranges(total_frames: int, gop_length: int) -> list[tuple[int, int]]:
    """``[(first, count), ...]`` of the GOPs covering ``total_frames`` source frames."""
    return [(first, min(gop_length, total_frames - first)) for first in range(0, total_frames, gop_length)]


def encode_gop(
    backbone: Backbone,
    video: torch.Tensor,
    gop_index: int,
    params: CodingParams,
    prompt: str,
    atom_counts: tuple[int, ...],
    quiet: bool = False,
) -> tuple[CodedGop, torch.Tensor]:
    """Code one padded GOP ``(3, F, H, W)`` with ``atom_counts`` atoms per (coded step, latent frame).

    Returns the coded choices and the reconstruction ``(3, F, H, W)``.
    """
    _, frames, height, width = video.shape
    condition = backbone.condition(prompt, frames, height, width)
    target = backbone.encode_video(video.to(backbone.device))
    coded, latent = encode_trajectory(backbone, condition, target, gop_index, params, atom_counts, quiet)
    return coded, backbone.decode_latent(latent)


def decode_gop(
    backbone: Backbone,
    coded: CodedGop,
    gop_index: int,
    params: CodingParams,
    prompt: str,
    frames: int,
    height: int,
    width: int,
    quiet: bool = False,
) -> torch.Tensor:
    """Rebuild one padded GOP ``(3, F, H, W)`` from its coded choices."""
    condition = backbone.condition(prompt, frames, height, width)
    latent = decode_trajectory(backbone, condition, coded, gop_index, params, condition.latent_shape, quiet)
    return backbone.decode_latent(latent)
