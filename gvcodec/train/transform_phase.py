"""Transform phase: the block statistics of the training clips and their principal basis (PCA / KLT).

The basis is the linear skeleton of the nano v2 VAE (:mod:`gvcodec.backbones.block_vae`): with it alone the
latent space already reconstructs as well as any linear transform of its geometry can.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm import tqdm

from gvcodec.backbones.block_transform import principal_basis, video_blocks
from gvcodec.train.data import ClipSampler


@dataclass(frozen=True)
class BlockStatistics:
    """Mean ``(n,)`` and covariance ``(n, n)`` of training blocks of ``n = 3 r s^2`` values."""

    mean: torch.Tensor
    covariance: torch.Tensor
    blocks: int

    def basis(self, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The leading ``channels`` principal directions ``(n, C)`` and their variances."""
        return principal_basis(self.covariance, channels)


def block_statistics(
    sampler: ClipSampler, temporal: int, spatial: int, windows: int, batch: int = 8, device: torch.device | str = "cpu"
) -> BlockStatistics:
    """Mean and covariance of the blocks of ``windows`` random training windows, accumulated in float64:
    ``mu = E[b]``, ``Sigma = E[b b^T] - mu mu^T``."""
    count = blocks_seen = 0
    total = outer = None
    with tqdm(total=windows, desc="block statistics", unit="window", mininterval=5.0) as bar:
        while count < windows:
            size = min(batch, windows - count)
            video = sampler.batch(size, torch.device(device))
            blocks = video_blocks(video, temporal, spatial).reshape(-1, 3 * temporal * spatial**2).double()
            total = blocks.sum(dim=0) if total is None else total + blocks.sum(dim=0)
            outer = blocks.T @ blocks if outer is None else outer + blocks.T @ blocks
            count += size
            blocks_seen += blocks.shape[0]
            bar.update(size)
    mean = total / blocks_seen
    covariance = outer / blocks_seen - torch.outer(mean, mean)
    return BlockStatistics(mean.float(), covariance, blocks_seen)
