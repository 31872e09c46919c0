"""``GaussianLatentPrior``: the closed-form velocity of a Gaussian latent, the base the nano v2 transformer refines.

Model: each channel of a normalised latent ``x0`` (``C, F', h, w``) is a stationary Gaussian field whose
3-D DCT coefficients are independent with variance ``P_c(f_t, f_y, f_x)`` (a power spectrum measured on
training latents). Under ``x_t = (1 - t) x0 + t eps`` the posterior mean is a per-coefficient gain, and
so is the velocity ``u = E[eps - x0 | x_t] = (x_t - E[x0 | x_t]) / t``:

    u_hat(k) = (t - (1 - t) P(k)) / ((1 - t)^2 P(k) + t^2) * x_t_hat(k)

(``t = 1``: ``u = x_t``; ``t = 0``: ``u = -x0``). The spectrum is a table of ``log P`` on the frequencies
``i / (2 G)`` of a ``G``-point DCT along each axis, interpolated linearly to any latent size, so one prior
serves every frame size and GOP length.
"""
from __future__ import annotations

import math

import torch
from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config

POWER_FLOOR = 1e-6


def dct_matrix(n: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Orthonormal DCT-II ``(n, n)``: ``D[k, i] = a_k cos(pi (i + 1/2) k / n)``, ``a_0 = sqrt(1/n)``, else ``sqrt(2/n)``."""
    k = torch.arange(n, dtype=dtype)[:, None]
    i = torch.arange(n, dtype=dtype)[None, :]
    matrix = torch.cos(math.pi * (i + 0.5) * k / n) * math.sqrt(2.0 / n)
    matrix[0] /= math.sqrt(2.0)
    return matrix


def dct3(x: torch.Tensor, inverse: bool = False) -> torch.Tensor:
    """Orthonormal DCT-II over the last three axes of ``(..., F, h, w)`` (its transpose when ``inverse``)."""
    matrices = [dct_matrix(n, x.dtype).to(x.device) for n in x.shape[-3:]]
    if inverse:
        matrices = [m.transpose(0, 1) for m in matrices]
    return torch.einsum("...fyx,af,by,cx->...abc", x, *matrices)


def interpolation_matrix(n: int, grid: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``(n, grid)`` weights of linear interpolation from the grid frequencies ``i / (2 grid)`` to the DCT
    frequencies ``k / (2 n)`` of an ``n``-point axis (clamped at the grid's ends)."""
    position = (torch.arange(n, dtype=dtype) * grid / n).clamp(max=grid - 1)
    low = position.floor().long().clamp(max=grid - 1)
    high = (low + 1).clamp(max=grid - 1)
    frac = position - low
    weights = torch.zeros(n, grid, dtype=dtype)
    weights[torch.arange(n), low] += 1.0 - frac
    weights[torch.arange(n), high] += frac
    return weights


def spectrum(log_power: torch.Tensor, size: tuple[int, int, int]) -> torch.Tensor:
    """``P`` of shape ``(C, F', h, w)``: ``exp`` of the ``(C, Gt, Gy, Gx)`` log-power table interpolated to ``size``."""
    weights = [interpolation_matrix(n, g, log_power.dtype).to(log_power.device) for n, g in zip(size, log_power.shape[1:])]
    return torch.einsum("cabd,fa,yb,xd->cfyx", log_power, *weights).exp()


def velocity_gain(power: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``G = (t - (1 - t) P) / ((1 - t)^2 P + t^2)``, the Gaussian posterior velocity per DCT coefficient."""
    return (t - (1.0 - t) * power) / ((1.0 - t).square() * power + t.square())


def fit_log_power(latents: torch.Tensor) -> torch.Tensor:
    """The log-power table of normalised latents ``(N, C, F', h, w)``: ``log E_n[dct3(x_n)^2]`` per channel and
    coefficient, so the table's grid is the latents' own size."""
    energy = dct3(latents.double()).square().mean(dim=0)
    return energy.clamp_min(POWER_FLOOR).log().float()


class GaussianLatentPrior(ModelMixin, ConfigMixin):
    """A fitted spectrum and the velocity it implies (see the module docstring)."""

    @register_to_config
    def __init__(self, channels: int = 32, grid: tuple[int, int, int] = (5, 32, 32)) -> None:
        super().__init__()
        self.register_buffer("log_power", torch.zeros(channels, *grid))

    def velocity(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``u(x_t, t)`` of the Gaussian prior for latents ``(B, C, F', h, w)`` at times ``t`` ``(B,)``, computed in
        float64 and returned in ``x``'s dtype."""
        power = spectrum(self.log_power.double(), tuple(x.shape[-3:]))
        gain = velocity_gain(power[None], t.double().view(-1, 1, 1, 1, 1))
        return dct3(gain * dct3(x.double()), inverse=True).to(x.dtype)
