"""The Gaussian quantile table that turns 16-bit Philox halves into standard normal coordinates."""
from __future__ import annotations

import functools
import math
from statistics import NormalDist

import torch

TABLE_BITS = 16


@functools.cache
def normal_quantiles() -> tuple[float, ...]:
    """``T[i] = c Phi^-1((i + 0.5) / 2^16)`` in float64, with ``c`` such that ``mean(T^2) = 1`` (the mean is 0)."""
    size = 1 << TABLE_BITS
    inverse_cdf = NormalDist().inv_cdf
    quantiles = [inverse_cdf((i + 0.5) / size) for i in range(size)]
    scale = 1.0 / math.sqrt(math.fsum(q * q for q in quantiles) / size)
    return tuple(q * scale for q in quantiles)


@functools.cache
def _table_on(device: torch.device) -> torch.Tensor:
    return torch.tensor(normal_quantiles(), dtype=torch.float64).to(torch.float32).to(device)


def gaussian_table(device: torch.device | str = "cpu") -> torch.Tensor:
    """The float32 quantile table ``T`` (65536 entries) on ``device``, built once per device."""
    return _table_on(torch.device(device))
