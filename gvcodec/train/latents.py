"""Latent statistics and the flow phase's latent cache (clean latents plus I2V / FLF2V condition latents)."""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from tqdm import tqdm

from gvcodec.backbones.block_vae import BlockTransformVAE
from gvcodec.backbones.conditioning import anchor_video
from gvcodec.train.data import Clip, ClipSampler


def encode_mean(vae: BlockTransformVAE, video: torch.Tensor) -> torch.Tensor:
    """Posterior mean ``mu(video)`` of a batch ``(B, 3, F, H, W)``, float32 (unnormalised)."""
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=video.device.type == "cuda"):
        return vae.encode(video).latent_dist.mean.float()


def latent_statistics(latents: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean of ``(N, C, F, h, w)`` latents and one global scale for every channel,
    ``s = sqrt(mean_c var_c)``: the normalised latent has unit variance on average while its channels keep
    the basis's variance ordering (per-channel standardisation would give the noise as much weight in the
    faint high-order coefficients as in the dominant ones)."""
    per_channel = latents.transpose(0, 1).reshape(latents.shape[1], -1).double()
    scale = float(per_channel.var(dim=1).mean().sqrt().clamp_min(1e-4))
    return per_channel.mean(dim=1).tolist(), [scale] * latents.shape[1]


def normalise(latents: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """``(z - mean) / std`` per channel, for ``(N, C, ...)`` latents."""
    shape = (1, len(mean)) + (1,) * (latents.dim() - 2)
    m = torch.tensor(mean, dtype=latents.dtype, device=latents.device).view(shape)
    s = torch.tensor(std, dtype=latents.dtype, device=latents.device).view(shape)
    return (latents - m) / s


@dataclass
class LatentCache:
    """``clean``: latents of training windows; ``first`` / ``both``: latents of their I2V / FLF2V anchor
    videos (:func:`gvcodec.backbones.conditioning.anchor_video`). All ``(N, C, F', h, w)``, unnormalised
    until :meth:`normalised` is called."""

    clean: torch.Tensor
    first: torch.Tensor
    both: torch.Tensor
    num_frames: int

    def normalised(self, mean: Sequence[float], std: Sequence[float]) -> LatentCache:
        return LatentCache(
            normalise(self.clean, mean, std), normalise(self.first, mean, std), normalise(self.both, mean, std),
            self.num_frames,
        )

    def __len__(self) -> int:
        return self.clean.shape[0]


def build_cache(
    vae: BlockTransformVAE,
    clips: Sequence[Clip],
    frames: int,
    crop: tuple[int, int],
    batch: int,
    max_items: int,
    seconds: float,
    device: torch.device,
    min_items: int = 1,
    seed: int = 1,
) -> LatentCache:
    """Encode random windows (and their anchor videos) until ``max_items``, or until ``seconds`` have passed
    once ``min_items`` are cached (a slow or shared machine still gets a cache worth fitting on)."""
    sampler = ClipSampler(clips, frames, crop[0], crop[1], (1, 2), torch.Generator().manual_seed(seed))
    clean, first, both = [], [], []
    start = time.monotonic()
    bar = tqdm(total=max_items, desc="latent cache", unit="clip")
    count = 0
    while count < max_items and (count < min_items or time.monotonic() - start < seconds):
        video = sampler.batch(batch, device)
        first_only = torch.stack([anchor_video(v[:, 0], None, frames) for v in video])
        first_last = torch.stack([anchor_video(v[:, 0], v[:, -1], frames) for v in video])
        clean.append(encode_mean(vae, video).cpu())
        first.append(encode_mean(vae, first_only).cpu())
        both.append(encode_mean(vae, first_last).cpu())
        count += batch
        bar.update(batch)
    bar.close()
    return LatentCache(torch.cat(clean), torch.cat(first), torch.cat(both), frames)
