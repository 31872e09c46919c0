"""``BlockTransformVAE``: the nano v2 autoencoder, an orthonormal block transform with learned refinements.

Encoder: ``y = W^T (b - mu) + E(b)``; decoder: ``b = W y + mu + R(y)``, for the space-time blocks ``b`` of
:mod:`gvcodec.backbones.block_transform` (``r = 4`` frames, ``s x s`` pixels, first frame a still block).
``W`` is the principal basis of training blocks; ``E`` and ``R`` are small convolutional networks over the
latent grid whose last layers start at zero, so an untrained model is exactly the linear transform and
training can only climb from it. ``R`` sees the 3 x 3 x 3 neighbourhood of latents around each block, so
it learns to remove block edges and restore detail the ``C`` coefficients of one block cannot hold.

It speaks diffusers' autoencoder interface (``encode(x).latent_dist``, ``decode(z).sample``, config with
``z_dim``, ``latents_mean``, ``latents_std``, ``scale_factor_temporal`` / ``spatial``), so the ``wan``
backbone and the recipe drive it exactly like ``AutoencoderKLWan``. The posterior is a point: the
distribution is deterministic (variance 0).
"""
from __future__ import annotations

import torch
from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config
from diffusers.models.autoencoders.vae import DecoderOutput, DiagonalGaussianDistribution
from diffusers.models.modeling_outputs import AutoencoderKLOutput
from torch import nn

from gvcodec.backbones.block_transform import blocks_video, project, unproject, video_blocks


def _zero_last(layers: nn.Sequential) -> nn.Sequential:
    """Start the refinement at exactly zero: its last layer's weight and bias are zeroed."""
    nn.init.zeros_(layers[-1].weight)
    nn.init.zeros_(layers[-1].bias)
    return layers


class BlockTransformVAE(ModelMixin, ConfigMixin):
    """Block PCA skeleton + zero-initialised nonlinear refinements (see the module docstring)."""

    @register_to_config
    def __init__(
        self,
        z_dim: int = 32,
        scale_factor_temporal: int = 4,
        scale_factor_spatial: int = 8,
        encoder_width: int = 64,
        decoder_width: int = 128,
        latents_mean: list[float] | None = None,
        latents_std: list[float] | None = None,
    ) -> None:
        super().__init__()
        block = 3 * scale_factor_temporal * scale_factor_spatial**2
        self.register_buffer("basis", torch.zeros(block, z_dim))
        self.register_buffer("block_mean", torch.zeros(block))
        self.encoder_refinement = _zero_last(
            nn.Sequential(
                nn.Conv3d(block, encoder_width, 1),
                nn.GELU(),
                nn.Conv3d(encoder_width, z_dim, 3, padding=1),
            )
        )
        self.decoder_refinement = _zero_last(
            nn.Sequential(
                nn.Conv3d(z_dim, decoder_width, 3, padding=1),
                nn.GELU(),
                nn.Conv3d(decoder_width, decoder_width, 1),
                nn.GELU(),
                nn.Conv3d(decoder_width, block, 1),
            )
        )

    def set_basis(self, basis: torch.Tensor, mean: torch.Tensor) -> None:
        """Install the principal basis ``(3 r s^2, C)`` and the mean block."""
        self.basis.copy_(basis)
        self.block_mean.copy_(mean)

    def encode_latent(self, video: torch.Tensor) -> torch.Tensor:
        """``(B, 3, F, H, W)`` in [-1, 1] -> latent ``(B, C, F', H / s, W / s)`` (unnormalised)."""
        blocks = video_blocks(video, self.config.scale_factor_temporal, self.config.scale_factor_spatial)
        linear = project(blocks, self.basis, self.block_mean).permute(0, 4, 1, 2, 3)
        return linear + self.encoder_refinement(blocks.permute(0, 4, 1, 2, 3))

    def decode_video(self, latent: torch.Tensor) -> torch.Tensor:
        """Latent ``(B, C, F', h, w)`` (unnormalised) -> video ``(B, 3, F, H, W)`` (not clamped)."""
        linear = unproject(latent.permute(0, 2, 3, 4, 1), self.basis, self.block_mean)
        blocks = linear + self.decoder_refinement(latent).permute(0, 2, 3, 4, 1)
        return blocks_video(blocks, self.config.scale_factor_temporal, self.config.scale_factor_spatial)

    def encode(self, x: torch.Tensor, return_dict: bool = True) -> AutoencoderKLOutput:
        """diffusers' interface: a deterministic posterior whose mean is :meth:`encode_latent`."""
        mean = self.encode_latent(x)
        posterior = DiagonalGaussianDistribution(torch.cat([mean, torch.zeros_like(mean)], dim=1), deterministic=True)
        return AutoencoderKLOutput(latent_dist=posterior)

    def decode(self, z: torch.Tensor, return_dict: bool = True) -> DecoderOutput:
        """diffusers' interface: ``DecoderOutput(sample=decode_video(z))``."""
        return DecoderOutput(sample=self.decode_video(z))
