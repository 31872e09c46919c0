"""Wan-style anchor conditioning: the 4-channel frame mask and the pixel video the condition latent encodes.

Wan2.1 I2V / FLF2V feed the transformer ``cat([x_t, mask, cond_latent], dim=channels)``:
16 noisy latent channels, a 4-channel frame mask, and 16 channels of the VAE latent of
``[first, zeros..., last]``. The same construction serves the encoder, the decoder and the
training recipe of the nano model, so it is declared once here.
"""
from __future__ import annotations

import torch


def latent_frame_count(num_frames: int, temporal_factor: int = 4) -> int:
    """Latent frames of a causal video VAE: ``F' = (F - 1) / r + 1`` for ``F = r k + 1``."""
    if num_frames < 1 or (num_frames - 1) % temporal_factor:
        raise ValueError(f"frame count {num_frames} is not of the form {temporal_factor}k + 1")
    return (num_frames - 1) // temporal_factor + 1


def frame_mask(
    num_frames: int,
    latent_height: int,
    latent_width: int,
    first: bool,
    last: bool,
    temporal_factor: int = 4,
) -> torch.Tensor:
    """The Wan frame mask, shape ``(r, F', h, w)`` with ``r = temporal_factor``.

    Pixel frame ``i`` is marked 1 when it is a known anchor. Frame 0 is repeated ``r`` times so that
    the ``r + (F - 1) = r F'`` entries fold into ``F'`` latent frames of ``r`` channels:
    channel ``c`` of latent frame ``f >= 1`` is pixel frame ``r (f - 1) + c + 1``; latent frame 0 is
    pixel frame 0 on every channel.
    """
    latent_frames = latent_frame_count(num_frames, temporal_factor)
    known = torch.zeros(num_frames)
    if first:
        known[0] = 1.0
    if last:
        known[num_frames - 1] = 1.0
    per_frame = torch.cat([known[:1].repeat(temporal_factor), known[1:]])
    mask = per_frame.view(latent_frames, temporal_factor).transpose(0, 1)
    return mask[:, :, None, None].expand(temporal_factor, latent_frames, latent_height, latent_width).contiguous()


def anchor_video(
    first: torch.Tensor | None,
    last: torch.Tensor | None,
    num_frames: int,
) -> torch.Tensor:
    """The pixel video whose VAE latent is the condition: ``[first, 0, ..., 0, last]``, shape ``(3, F, H, W)``.

    ``first`` and ``last`` are ``(3, H, W)`` frames in ``[-1, 1]``; a missing anchor stays zero (mid-grey).
    """
    reference = first if first is not None else last
    if reference is None:
        raise ValueError("anchor_video needs at least one anchor frame")
    video = reference.new_zeros(reference.shape[0], num_frames, *reference.shape[1:])
    if first is not None:
        video[:, 0] = first
    if last is not None:
        video[:, num_frames - 1] = last
    return video


def null_context(text_dim: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The text context of a model without text encoder (nano): one zero token, shape ``(1, 1, text_dim)``.

    Cross-attention to a constant token acts as a learned bias; training and coding use the same tensor.
    """
    return torch.zeros(1, 1, text_dim, device=device, dtype=dtype)


def condition_channels(mask: torch.Tensor, condition_latent: torch.Tensor) -> torch.Tensor:
    """The 20 extra input channels of a 36-channel (Wan I2V layout) transformer: ``cat([mask, cond], dim=0)``.

    ``mask`` is ``(4, F', h, w)`` from :func:`frame_mask`; ``condition_latent`` is the normalised VAE latent
    ``(16, F', h, w)`` of :func:`anchor_video`, or zeros when no anchor is given (T2V).
    """
    return torch.cat([mask.to(condition_latent), condition_latent], dim=0)
