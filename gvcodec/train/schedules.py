"""Pure schedule functions of the recipe: learning rate over wall-clock progress, and training times t."""
from __future__ import annotations

import math

import torch


def warmup_cosine(progress: float, warmup: float, floor: float = 0.05) -> float:
    """Learning-rate factor at ``progress`` in [0, 1] of a phase's time budget.

    ``p / w`` while ``p < w`` (linear warm-up), then ``floor + (1 - floor) (1 + cos(pi (p - w) / (1 - w))) / 2``.
    """
    progress = min(max(progress, 0.0), 1.0)
    if progress < warmup:
        return progress / warmup
    span = max(1.0 - warmup, 1e-9)
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * (progress - warmup) / span))


def shift_time(t: torch.Tensor, shift: float) -> torch.Tensor:
    """The sampler's timestep warp ``t -> s t / (1 + (s - 1) t)`` (DESIGN.md section 1)."""
    return shift * t / (1.0 + (shift - 1.0) * t)


def sample_training_times(count: int, shift: float, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """Training times ``t = shift_time(sigmoid(n), s)`` with ``n ~ N(0, 1)``: logit-normal, warped by the shift.

    The logit-normal concentrates on mid-range t; the shift moves mass towards t = 1 (noise) the way
    the sampler's schedule spends its steps, so training effort follows where the model is queried.
    """
    n = torch.randn(count, generator=generator)
    return shift_time(torch.sigmoid(n), shift).to(device)
