"""Rectified-flow sampling math (Wan convention: t = 1 is noise, t = 0 is data).

    x_t = (1 - t) x0 + t eps,        u(x_t, t) ~ eps - x0   (the model's velocity)

The reverse-time SDE with the ODE's marginals has drift ``f = u - (g(t)^2 / 2) s`` with the score
``s = grad log p_t``; one Euler-Maruyama step from ``t`` down to ``t' = t - dt`` is
``x_{t'} = x_t - f dt + g(t) sqrt(dt) z``. With ``g = 0`` it is the Euler step of the ODE.
"""
from __future__ import annotations

import math

import torch

from gvcodec.errors import InputError


def shifted_timesteps(num_steps: int, shift: float) -> list[float]:
    """``N + 1`` times from 1 to 0: ``t_i = s tau_i / (1 + (s - 1) tau_i)`` with ``tau = linspace(1, 0, N + 1)``.

    Computed in float64; the first is exactly 1.0 and the last exactly 0.0.
    """
    if num_steps < 1:
        raise InputError(f"the sampler needs at least 1 step, got {num_steps}")
    if not shift > 0:
        raise InputError(f"the timestep shift must be positive, got {shift}")
    times = [1.0 - i / num_steps for i in range(num_steps + 1)]
    warped = [shift * tau / (1.0 + (shift - 1.0) * tau) for tau in times]
    warped[0], warped[-1] = 1.0, 0.0
    return warped


def diffusion_coefficient(t: float, g_scale: float) -> float:
    """``g(t) = g_scale t^2``: no injected noise at the data end, most at the noise end."""
    return g_scale * t * t


def clean_estimate(x_t: torch.Tensor, u: torch.Tensor, t: float) -> torch.Tensor:
    """``x0_hat = x_t - t u``."""
    return x_t - t * u


def noise_estimate(x_t: torch.Tensor, u: torch.Tensor, t: float) -> torch.Tensor:
    """``eps_hat = x_t + (1 - t) u``."""
    return x_t + (1.0 - t) * u


def sde_step(
    x_t: torch.Tensor, u: torch.Tensor, t: float, t_next: float, g_scale: float, z: torch.Tensor
) -> torch.Tensor:
    """One Euler-Maruyama step of the reverse SDE from ``t`` to ``t_next < t``:

        s = -eps_hat / t,   f = u - (g(t)^2 / 2) s,   x_{t'} = x_t - f dt + g(t) sqrt(dt) z,   dt = t - t_next
    """
    if not 0.0 <= t_next < t <= 1.0:
        raise InputError(f"an SDE step needs 0 <= t_next < t <= 1 (t = 0 has no score), got t={t}, t_next={t_next}")
    dt = t - t_next
    g = diffusion_coefficient(t, g_scale)
    score = -noise_estimate(x_t, u, t) / t
    drift = u - (0.5 * g * g) * score
    return x_t - dt * drift + (g * math.sqrt(dt)) * z


def ode_step(x_t: torch.Tensor, u: torch.Tensor, t: float, t_next: float) -> torch.Tensor:
    """One Euler step of the probability-flow ODE: ``x_{t'} = x_t - u dt``, ``dt = t - t_next``."""
    return x_t - (t - t_next) * u
