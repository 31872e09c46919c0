"""A PNG grid of samples from the flow model: T2V from noise, I2V and FLF2V from a clip's anchors.

Sampling is the deterministic probability-flow ODE of :mod:`gvcodec.sde` (no codebook: a preview of
the prior the codec steers, not a coded result).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from gvcodec.backbones.block_vae import BlockTransformVAE
from gvcodec.backbones.conditioning import anchor_video, condition_channels, frame_mask
from gvcodec.sde import ode_step, shifted_timesteps
from gvcodec.train.evaluate import Models
from gvcodec.train.flow_phase import predict_velocity
from gvcodec.train.latents import normalise

PREVIEW_STEPS = 20
T2V_SHIFT = 3.0
ANCHORED_SHIFT = 5.0


def sample_latent(models: Models, conditions: torch.Tensor, steps: int, shift: float, seed: int) -> torch.Tensor:
    """ODE sample ``(1, C, F', h, w)``: Euler steps ``x <- x - (t - t') u(x, t, c)`` over :func:`shifted_timesteps`."""
    _, transformer, prior = models
    shape = (1, transformer.config.out_channels, *conditions.shape[2:])
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    times = shifted_timesteps(steps, shift)
    with torch.no_grad():
        for t, t_next in zip(times[:-1], times[1:]):
            u = predict_velocity(transformer, prior, x, conditions, torch.tensor([t]))
            x = ode_step(x, u, t, t_next)
    return x


def _decode(vae: BlockTransformVAE, latent: torch.Tensor) -> torch.Tensor:
    shape = (1, -1, 1, 1, 1)
    mean = torch.tensor(vae.config.latents_mean).view(shape)
    std = torch.tensor(vae.config.latents_std).view(shape)
    with torch.no_grad():
        return vae.decode(latent * std + mean).sample[0].clamp(-1.0, 1.0)


def _encode(vae: BlockTransformVAE, video: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        mean = vae.encode(video[None]).latent_dist.mean
    return normalise(mean, vae.config.latents_mean, vae.config.latents_std)


def sample_rows(
    models: Models, clip: torch.Tensor, t2v_seeds: tuple[int, ...] = (0, 1)
) -> list[tuple[str, torch.Tensor]]:
    """Labelled videos ``(3, F, H, W)``: the clip, its reconstruction, its I2V and FLF2V samples, then T2V samples."""
    vae, transformer, _ = models
    frames, height, width = clip.shape[1:]
    h, w = height // 8, width // 8
    with torch.no_grad():
        reconstruction = vae.decode_video(vae.encode_latent(clip[None]))[0].clamp(-1.0, 1.0)
    rows: list[tuple[str, torch.Tensor]] = [("eval clip", clip), ("VAE reconstruction", reconstruction)]
    for label, last in (("I2V (first frame)", None), ("FLF2V (first + last)", clip[:, -1])):
        cond_latent = _encode(vae, anchor_video(clip[:, 0], last, frames))[0]
        mask = frame_mask(frames, h, w, first=True, last=last is not None)
        conditions = condition_channels(mask, cond_latent)[None]
        rows.append((label, _decode(vae, sample_latent(models, conditions, PREVIEW_STEPS, ANCHORED_SHIFT, 0))))
    for seed in t2v_seeds:
        latent_frames = (frames - 1) // 4 + 1
        conditions = torch.zeros(1, transformer.config.in_channels - transformer.config.out_channels, latent_frames, h, w)
        rows.append((f"T2V seed {seed}", _decode(vae, sample_latent(models, conditions, PREVIEW_STEPS, T2V_SHIFT, seed))))
    return rows


def write_grid(rows: list[tuple[str, torch.Tensor]], path: Path, columns: int = 5, scale: int = 2) -> None:
    """Save rows of videos as a palette PNG: ``columns`` evenly spaced frames per row, downscaled by ``scale``."""
    tiles = []
    for label, video in rows:
        picks = np.linspace(0, video.shape[1] - 1, columns).round().astype(int)
        frames = ((video[:, picks] + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8)
        strip = frames.permute(2, 1, 3, 0).reshape(video.shape[2], -1, 3).numpy()
        image = Image.fromarray(strip).resize((strip.shape[1] // scale, strip.shape[0] // scale), Image.BILINEAR)
        ImageDraw.Draw(image).text((4, 2), label, fill=(255, 255, 0))
        tiles.append(image)
    grid = Image.new("RGB", (tiles[0].width, sum(t.height for t in tiles)))
    offset = 0
    for tile in tiles:
        grid.paste(tile, (0, offset))
        offset += tile.height
    grid.quantize(colors=256).save(path, optimize=True)
