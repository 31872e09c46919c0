"""Pure measures the recipe logs and reports."""
from __future__ import annotations

import math

import torch


def psnr_from_mse(mse: float, peak_to_peak: float = 2.0) -> float:
    """``PSNR = 10 log10(P^2 / MSE)`` in dB, ``P`` the signal range (2 for [-1, 1] video)."""
    return 10.0 * math.log10(peak_to_peak**2 / max(mse, 1e-12))

