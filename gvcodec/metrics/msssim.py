"""MS-SSIM (Wang, Simoncelli, Bovik 2003) per frame on RGB, through ``pytorch-msssim``.

Standard parameters: 5 scales with weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), an 11-tap
Gaussian window of sigma 1.5, ``K = (0.01, 0.03)``, data range 255; the three RGB channels' values
are averaged. Five scales need a picture side above ``10 * 2^4 = 160`` pixels; a smaller side
(QCIF is 176x144) is mirror-padded symmetrically to :data:`MIN_SIDE`, the same way for reference
and distorted frames, so the standard definition is kept unchanged. The mirrored rows count twice
in the mean, a mild bias that is the same for every codec compared on that clip.
"""
from __future__ import annotations

import torch
from pytorch_msssim import ms_ssim
from torch.nn import functional as F

from gvcodec.errors import InputError

WINDOW = 11
SCALES = 5
MIN_SIDE = (WINDOW - 1) * 2 ** (SCALES - 1) + 1


def pad_to_min_side(video: torch.Tensor, min_side: int = MIN_SIDE) -> torch.Tensor:
    """Mirror-pad ``(N, C, H, W)`` so both sides are at least ``min_side``, half before, half after.

    A side ``s < min_side`` gets ``floor(p / 2)`` rows before and ``ceil(p / 2)`` after, ``p =
    min_side - s``; mirroring without repeating the edge needs ``ceil(p / 2) < s``.
    """
    height, width = video.shape[-2:]
    pad_h, pad_w = max(0, min_side - height), max(0, min_side - width)
    if pad_h == 0 and pad_w == 0:
        return video
    if (pad_h + 1) // 2 >= height or (pad_w + 1) // 2 >= width:
        smallest = (min_side + 2) // 3 + 1
        raise InputError(
            f"MS-SSIM needs pictures at least {smallest} pixels on each side (smaller ones cannot be "
            f"mirror-padded to the {min_side} pixels five scales need), got {width}x{height}"
        )
    return F.pad(video, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2), mode="reflect")


def frame_ms_ssim(reference: torch.Tensor, distorted: torch.Tensor, device: str = "cpu") -> torch.Tensor:
    """Per-frame MS-SSIM of RGB videos ``(F, 3, H, W)`` in [-1, 1]: ``(F,)`` float64 in [0, 1], on the CPU."""
    if reference.shape != distorted.shape or reference.dim() != 4 or reference.shape[1] != 3:
        raise InputError(
            f"MS-SSIM compares two (F, 3, H, W) RGB videos of one shape, got {tuple(reference.shape)} "
            f"and {tuple(distorted.shape)}"
        )
    scaled = [
        pad_to_min_side((video.to(device, torch.float32) + 1.0) * 127.5) for video in (reference, distorted)
    ]
    values = ms_ssim(scaled[0], scaled[1], data_range=255.0, size_average=False, win_size=WINDOW)
    return values.to(torch.float64).cpu()
