"""The image context of Wan2.1 I2V-14B / FLF2V-14B: CLIP tokens of the anchor frames, as diffusers'
``WanImageToVideoPipeline.encode_image`` builds them.

The pipeline is handed PIL images and runs ``CLIPImageProcessor`` then ``CLIPVisionModel``. We always run the
PIL backend of the CLIP processor (``CLIPImageProcessorPil``, what transformers falls back to without
torchvision): the tokens condition every GOP, so the encoder and a decoder on another installation must
preprocess identically, whichever optional packages each has.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from transformers import CLIPImageProcessorPil, CLIPVisionModel

from gvcodec.errors import InputError


def anchor_image(frame: torch.Tensor) -> Image.Image:
    """An anchor frame ``(3, H, W)`` in ``[-1, 1]`` as the 8-bit RGB PIL image the pipeline is given.

    ``u = round(127.5 (x + 1))`` clamped to ``[0, 255]``: the inverse of the pipeline's own pixel mapping
    ``x = u / 127.5 - 1``, so a frame that came from 8-bit RGB gets back its exact pixels.
    """
    if frame.dim() != 3 or frame.shape[0] != 3:
        raise InputError(f"anchor frame of shape {tuple(frame.shape)}: expected (3, H, W)")
    pixels = ((frame.detach().float().cpu().clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
    return Image.fromarray(np.ascontiguousarray(pixels.permute(1, 2, 0).numpy()))


def image_context(
    processor: CLIPImageProcessorPil,
    encoder: CLIPVisionModel,
    frames: Sequence[torch.Tensor],
    device: torch.device,
    dtype: torch.dtype,
) -> torch.Tensor:
    """CLIP tokens ``(n, T, image_dim)`` of ``n`` anchor frames in ``[-1, 1]``, in ``dtype`` on ``device``.

    ``tokens = CLIP(P(images)).hidden_states[-2]``: the input of the encoder's last layer (no final
    layer norm), one class token and ``(S / p)^2`` patch tokens per image, where ``P`` resizes the shortest
    edge to ``S`` (bicubic), centre-crops ``S x S``, scales to ``[0, 1]`` and normalises with CLIP's mean and
    std. FLF2V passes ``[first, last]``; its transformer folds the ``2 x T`` tokens into one sequence.
    """
    pixels = processor(images=[anchor_image(frame) for frame in frames], return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        hidden = encoder(pixel_values=pixels.to(device, encoder.dtype), output_hidden_states=True).hidden_states[-2]
    return hidden.to(device, dtype)
