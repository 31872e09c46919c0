"""Pure functions of the block transform that is the skeleton of the nano v2 latent space.

A video ``(B, 3, F, H, W)`` with ``F = r k + 1`` frames is cut into space-time blocks of ``r`` frames and
``s x s`` pixels. The first frame is its own block, repeated ``r`` times (a still block), which keeps
Wan's causal-first-frame convention: ``F' = k + 1`` latent frames, latent frame 0 depends on frame 0 only.
Each block is a vector of ``3 r s^2`` values laid out ``(colour, frame, row, column)``; an orthonormal
basis ``W`` (``3 r s^2 x C``, PCA of training blocks) maps it to ``C`` latent channels:
``y = W^T (b - mu)``, ``b ~= W y + mu``.
"""
from __future__ import annotations

import torch


def video_blocks(video: torch.Tensor, temporal: int, spatial: int) -> torch.Tensor:
    """``(B, 3, F, H, W)`` -> ``(B, F', H / s, W / s, 3 r s^2)``, frame 0 repeated ``r`` times as block 0."""
    batch, colours, frames, height, width = video.shape
    if (frames - 1) % temporal or height % spatial or width % spatial:
        raise ValueError(
            f"video of {frames} frames of {width}x{height} does not split into {temporal}k + 1 frames of "
            f"{spatial}x{spatial} blocks"
        )
    still = video[:, :, :1].expand(batch, colours, temporal - 1, height, width)
    padded = torch.cat([still, video], dim=2)
    latent_frames, h, w = padded.shape[2] // temporal, height // spatial, width // spatial
    blocks = padded.reshape(batch, colours, latent_frames, temporal, h, spatial, w, spatial)
    return blocks.permute(0, 2, 4, 6, 1, 3, 5, 7).reshape(batch, latent_frames, h, w, -1)


def blocks_video(blocks: torch.Tensor, temporal: int, spatial: int, colours: int = 3) -> torch.Tensor:
    """Inverse of :func:`video_blocks`: ``(B, F', h, w, 3 r s^2)`` -> ``(B, 3, r (F' - 1) + 1, h s, w s)``.

    Frame 0 is the mean of the ``r`` frames of block 0 (the least-squares still frame of that block).
    """
    batch, latent_frames, h, w, _ = blocks.shape
    video = blocks.reshape(batch, latent_frames, h, w, colours, temporal, spatial, spatial)
    video = video.permute(0, 4, 1, 5, 2, 6, 3, 7).reshape(batch, colours, latent_frames * temporal, h * spatial, w * spatial)
    first = video[:, :, :temporal].mean(dim=2, keepdim=True)
    return torch.cat([first, video[:, :, temporal:]], dim=2)


def project(blocks: torch.Tensor, basis: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    """Block coefficients ``y = W^T (b - mu)``: ``(..., n)`` -> ``(..., C)`` for a basis ``(n, C)``."""
    return (blocks - mean) @ basis


def unproject(coefficients: torch.Tensor, basis: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    """Blocks ``b = W y + mu``: ``(..., C)`` -> ``(..., n)``."""
    return coefficients @ basis.transpose(0, 1) + mean


def principal_basis(covariance: torch.Tensor, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``channels`` leading eigenvectors ``(n, C)`` of a symmetric ``(n, n)`` covariance, and their
    eigenvalues (descending): the orthonormal basis that keeps the most variance (PCA / KLT).

    Each eigenvector's sign is fixed so that its largest-magnitude entry is positive (a reproducible basis).
    """
    values, vectors = torch.linalg.eigh(covariance.double())
    order = torch.argsort(values, descending=True)[:channels]
    vectors, values = vectors[:, order], values[order]
    peaks = vectors.abs().argmax(dim=0)
    signs = torch.sign(vectors[peaks, torch.arange(vectors.shape[1])])
    return (vectors * signs).float(), values.float()
