"""nano v2's latent space: the block transform, its PCA basis, and the BlockTransformVAE built on them."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gvcodec.backbones.block_transform import blocks_video, principal_basis, project, unproject, video_blocks
from gvcodec.backbones.block_vae import BlockTransformVAE


def _video(frames: int = 9, height: int = 16, width: int = 24, seed: int = 0) -> torch.Tensor:
    return torch.rand(1, 3, frames, height, width, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_blocks_round_trip_every_frame_and_make_frame_zero_a_still_block() -> None:
    video = _video()
    blocks = video_blocks(video, 4, 8)
    assert blocks.shape == (1, 3, 2, 3, 3 * 4 * 64)
    torch.testing.assert_close(blocks_video(blocks, 4, 8), video)
    still = blocks[0, 0].reshape(2, 3, 3, 4, 8, 8)
    assert bool((still == still[:, :, :, :1]).all()), "block 0 repeats frame 0 four times"


def test_latent_frame_zero_depends_on_frame_zero_only() -> None:
    video = _video()
    changed = video.clone()
    changed[:, :, 1:] = 0.0
    assert torch.equal(video_blocks(video, 4, 8)[:, 0], video_blocks(changed, 4, 8)[:, 0])


def test_blocks_refuse_a_video_that_does_not_tile() -> None:
    with pytest.raises(ValueError, match="4k \\+ 1"):
        video_blocks(_video(frames=8), 4, 8)
    with pytest.raises(ValueError, match="8x8"):
        video_blocks(_video(height=12), 4, 8)


def test_principal_basis_is_orthonormal_ordered_and_reproducible() -> None:
    data = torch.randn(2000, 12, generator=torch.Generator().manual_seed(1)) * torch.linspace(3, 0.1, 12)
    covariance = data.T.double() @ data.double() / len(data)
    basis, variances = principal_basis(covariance, 5)
    torch.testing.assert_close(basis.T @ basis, torch.eye(5), atol=1e-5, rtol=0)
    assert bool((variances[:-1] >= variances[1:]).all())
    assert torch.equal(principal_basis(covariance, 5)[0], basis)
    assert bool((basis.gather(0, basis.abs().argmax(0, keepdim=True)) > 0).all()), "largest entry positive"


def test_full_basis_projection_is_lossless_and_truncation_keeps_the_most_energy() -> None:
    data = torch.randn(500, 8, generator=torch.Generator().manual_seed(2)) * torch.linspace(2, 0.2, 8)
    mean = data.mean(0)
    covariance = torch.cov(data.T.double(), correction=0)
    full, _ = principal_basis(covariance, 8)
    torch.testing.assert_close(unproject(project(data, full, mean), full, mean), data, atol=1e-5, rtol=0)
    top, _ = principal_basis(covariance, 3)
    pca_error = (unproject(project(data, top, mean), top, mean) - data).square().sum()
    axes = torch.eye(8)[:, 5:]
    axis_error = (unproject(project(data, axes, mean), axes, mean) - data).square().sum()
    assert pca_error < axis_error


def _fitted_vae(z_dim: int = 6) -> BlockTransformVAE:
    vae = BlockTransformVAE(z_dim=z_dim, scale_factor_spatial=4, encoder_width=4, decoder_width=4)
    blocks = video_blocks(_video(height=32, width=32, seed=3), 4, 4).reshape(-1, 192)
    basis, _ = principal_basis(torch.cov(blocks.T.double(), correction=0), z_dim)
    vae.set_basis(basis, blocks.mean(0))
    return vae


def test_untrained_vae_is_exactly_the_linear_transform() -> None:
    vae = _fitted_vae()
    video = _video(height=16, width=16, seed=4)
    blocks = video_blocks(video, 4, 4)
    linear = project(blocks, vae.basis, vae.block_mean)
    with torch.no_grad():
        latent = vae.encode(video).latent_dist.mean
        torch.testing.assert_close(latent, linear.permute(0, 4, 1, 2, 3))
        expected = blocks_video(unproject(linear, vae.basis, vae.block_mean), 4, 4)
        torch.testing.assert_close(vae.decode(latent).sample, expected)
    assert latent.shape == (1, 6, 3, 4, 4)


def test_refinements_learn_to_reduce_the_reconstruction_error() -> None:
    from gvcodec.train.vae_phase import reconstruction_mse

    vae = _fitted_vae(z_dim=3)
    video = _video(height=16, width=16, seed=5)
    before = float(reconstruction_mse(vae, video).detach())
    optimizer = torch.optim.Adam(vae.parameters(), lr=1e-2)
    for _ in range(30):
        optimizer.zero_grad()
        reconstruction_mse(vae, video).backward()
        optimizer.step()
    assert float(reconstruction_mse(vae, video).detach()) < 0.9 * before


def test_vae_saves_and_loads_through_diffusers(tmp_path: Path) -> None:
    vae = _fitted_vae()
    vae.register_to_config(latents_mean=[0.5] * 6, latents_std=[2.0] * 6)
    vae.save_pretrained(tmp_path / "vae")
    loaded = BlockTransformVAE.from_pretrained(tmp_path / "vae", local_files_only=True)
    assert loaded.config.latents_std == [2.0] * 6
    assert torch.equal(loaded.basis, vae.basis) and torch.equal(loaded.block_mean, vae.block_mean)
