"""What one GOP of a stream costs to decode, worked out from its header before any work, and the refusal
of a stream whose GOPs would not fit the decoder's memory.

The estimate counts the padded GOP video in float32 held ``VIDEO_COPIES`` times over (the condition video,
the VAE's widest activations, the decoded video, the output frames) plus the latent trajectory; it is a
floor, not a bound, so that a stream that is refused could never have been decoded.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from container import StreamHeader
from gvcodec.backbones import Backbone
from gvcodec.backbones.conditioning import latent_frame_count
from gvcodec.errors import StreamLimitError
from gvcodec.gop.geometry import coded_frame_count, padded_size

VIDEO_COPIES = 8
_FLOAT_BYTES = 4


@dataclass(frozen=True)
class GopCost:
    """Bytes one GOP needs at least and the model calls it makes."""

    memory: int
    model_calls: int


def gop_cost(header: StreamHeader, backbone: Backbone) -> GopCost:
    """The cost of a full GOP of ``header``'s stream on ``backbone``."""
    frames = coded_frame_count(header.gop_length, backbone.temporal_factor)
    width, height = padded_size(header.width, header.height, backbone.pixel_multiple)
    video = 3 * frames * width * height
    # The latent's spatial factor is at most the pixel multiple (which also counts the patch size).
    latent_pixels = (width // backbone.pixel_multiple) * (height // backbone.pixel_multiple)
    latent = backbone.latent_channels * latent_frame_count(frames, backbone.temporal_factor) * latent_pixels
    return GopCost(memory=_FLOAT_BYTES * (VIDEO_COPIES * video + latent), model_calls=header.sampler.num_steps)


def check_fits_memory(header: StreamHeader, backbone: Backbone, max_memory: int) -> None:
    """``StreamLimitError``, giving the estimate, if one GOP of the stream needs more than ``max_memory`` bytes."""
    cost = gop_cost(header, backbone)
    if cost.memory > max_memory:
        raise StreamLimitError(
            f"a {header.width}x{header.height} GOP of {header.gop_length} frames needs at least "
            f"{_gib(cost.memory)} and {cost.model_calls} model calls; the decoder may use {_gib(max_memory)} "
            "(raise it with --max-memory if the machine has more)"
        )


def machine_memory(device: torch.device) -> int:
    """The memory of ``device``: the GPU's for CUDA, the machine's physical memory otherwise."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _gib(size: int) -> str:
    return f"{size / (1 << 30):.1f} GiB"
