"""The interface between the codec and a video model: latent geometry, VAE, and the velocity field.

The sampler and the codec call only what :class:`Backbone` declares, so any rectified-flow video model
that can provide it (a diffusers Wan2.1 folder, our nano model) can drive the codec.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: importing the protocol must not load torch (gvc-enc --help)
    import torch


@dataclass(frozen=True, eq=False)
class Condition:
    """Everything the transformer needs besides ``x_t`` and ``t``, computed once per GOP.

    ``context``: text context ``(1, L, text_dim)`` in the backbone's dtype and device.
    ``extra``: for 36-channel (Wan I2V layout) transformers the 20 channels ``cat([mask, cond_latent])``,
    shape ``(20, F', h, w)``, appended to ``x_t`` on the channel axis; ``None`` for 16-channel ones.
    ``image``: for transformers with a CLIP image encoder (Wan2.1 I2V-14B / FLF2V-14B) the image tokens
    ``(n, T, image_dim)`` of the ``n`` anchor frames (1 for I2V, 2 for FLF2V), passed as
    ``encoder_hidden_states_image``; ``None`` for every other model.
    ``latent_shape``: the ``(C, F', h, w)`` shape of the latents this condition is valid for.
    """

    context: torch.Tensor
    extra: torch.Tensor | None
    image: torch.Tensor | None
    latent_shape: tuple[int, int, int, int]


class Backbone(Protocol):
    """A pretrained rectified-flow video model as the codec sees it.

    Convention (Wan2.1): ``x_t = (1 - t) x0 + t eps`` with ``t = 1`` noise; ``velocity`` predicts
    ``u(x_t, t) ~ eps - x0`` on normalised latents ``(z - latents_mean) / latents_std``.
    """

    fingerprint: bytes
    name: str
    latent_channels: int
    temporal_factor: int
    pixel_multiple: int
    # Token positions along any axis (latent frames, token rows, token columns) the rotary table covers.
    max_positions: int
    accepts_prompt: bool
    # Capabilities the modes ask for (gvcodec.modes.base.Capabilities): whether the model takes a frame
    # mask and condition latent, and of how many anchor frames it needs CLIP tokens (0: none).
    anchored: bool
    image_anchors: int
    device: torch.device

    def encode_video(self, video: torch.Tensor) -> torch.Tensor:
        """``(3, F, H, W)`` RGB in ``[-1, 1]``, ``F = 4k + 1`` -> normalised posterior-mean latent ``(C, F', h, w)``."""
        ...

    def decode_latent(self, latent: torch.Tensor) -> torch.Tensor:
        """Normalised latent ``(C, F', h, w)`` -> ``(3, F, H, W)`` float32 RGB clamped to ``[-1, 1]``."""
        ...

    def condition(
        self,
        prompt: str,
        num_frames: int,
        height: int,
        width: int,
        first: torch.Tensor | None = None,
        last: torch.Tensor | None = None,
    ) -> Condition:
        """The per-GOP condition for a prompt and optional ``(3, H, W)`` anchor frames in ``[-1, 1]``."""
        ...

    def velocity(self, x: torch.Tensor, t: float, condition: Condition) -> torch.Tensor:
        """``u(x_t, t)`` for one latent ``(C, F', h, w)``; float32, same shape, on :attr:`device`."""
        ...
