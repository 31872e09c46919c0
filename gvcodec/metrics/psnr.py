"""PSNR per frame, on the 8-bit Y plane and on RGB.

Convention: each frame's PSNR comes from that frame's MSE; a clip's PSNR is the mean of its
frames' PSNRs (as HM / VTM and the JVET common test conditions report it), with a frame that is
identical to its reference counted as :data:`CAP_DB`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from gvcodec.io.frames import Yuv420Frame

PEAK_8BIT = 255.0
CAP_DB = 100.0


def psnr_from_mse(mse: torch.Tensor, peak: float = PEAK_8BIT, cap_db: float = CAP_DB) -> torch.Tensor:
    """``PSNR = min(10 log10(peak^2 / MSE), cap_db)``, elementwise; ``MSE = 0`` gives ``cap_db``."""
    ratio = torch.full_like(mse, float("inf"))
    positive = mse > 0
    ratio[positive] = peak**2 / mse[positive]
    return (10.0 * torch.log10(ratio)).clamp(max=cap_db)


def frame_psnr_y(reference: Sequence[Yuv420Frame], distorted: Sequence[Yuv420Frame]) -> torch.Tensor:
    """Per-frame PSNR of the Y planes, peak 255: ``(F,)`` float64."""
    ref = np.stack([frame.y for frame in reference]).astype(np.float64)
    dist = np.stack([frame.y for frame in distorted]).astype(np.float64)
    mse = ((ref - dist) ** 2).mean(axis=(1, 2))
    return psnr_from_mse(torch.from_numpy(mse))


def frame_psnr_rgb(reference: torch.Tensor, distorted: torch.Tensor) -> torch.Tensor:
    """Per-frame PSNR of RGB videos ``(F, 3, H, W)`` in [-1, 1], on the 0..255 scale: ``(F,)`` float64.

    ``MSE_255 = (255 / 2)^2 mean((ref - dist)^2)`` over the three channels and all pixels, peak 255.
    RGB is the BT.601 conversion of :func:`gvcodec.colour.yuv420_to_rgb`, not rounded to 8 bits.
    """
    difference = reference.to(torch.float64) - distorted.to(torch.float64)
    mse = difference.pow(2).mean(dim=(1, 2, 3)) * (PEAK_8BIT / 2.0) ** 2
    return psnr_from_mse(mse)
