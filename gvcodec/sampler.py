"""The one sampling loop shared by encoder and decoder.

A trajectory runs ``num_steps`` steps over the shifted schedule. The first ``num_steps - tail_steps``
steps are SDE steps whose noise ``z`` comes from a *noise source*; the last ``tail_steps`` are plain ODE
(Euler) steps and cost no bits. The encoder passes a source that searches the codebook toward its target
and records the choices; the decoder passes one that replays them. Everything else is this loop, so the
two sides cannot diverge.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import torch

from gvcodec.io.progress import Progress
from gvcodec.sde import clean_estimate, ode_step, sde_step, shifted_timesteps

VelocityField = Callable[[torch.Tensor, float], torch.Tensor]


@dataclass(frozen=True)
class SamplerSettings:
    """Schedule and SDE parameters of a trajectory (DESIGN.md §1)."""

    num_steps: int = 20
    tail_steps: int = 3
    shift: float = 3.0
    g_scale: float = 3.0

    @property
    def coded_steps(self) -> int:
        """Steps whose noise is chosen from the codebook: ``N - n_tail``."""
        return self.num_steps - self.tail_steps

    def timesteps(self) -> list[float]:
        """The ``N + 1`` times from 1 (noise) to 0 (data)."""
        return shifted_timesteps(self.num_steps, self.shift)


class NoiseSource(Protocol):
    """Supplies the injected noise ``z`` of coded step ``step``, given the current clean estimate."""

    def noise(self, step: int, clean: torch.Tensor) -> torch.Tensor:
        ...


def sample_trajectory(
    velocity: VelocityField,
    initial: torch.Tensor,
    settings: SamplerSettings,
    noise: NoiseSource,
    progress: Progress | None = None,
) -> torch.Tensor:
    """Run the coded SDE trajectory from ``x_1 = initial`` to ``x_0`` and return ``x_0``.

    Coded step ``i``: ``u = v(x_t, t)``, ``x0_hat = x_t - t u``, ``z = noise(i, x0_hat)``,
    ``x_{t'} = sde_step(x_t, u, t, t', g, z)``; tail steps: ``x_{t'} = x_t - u (t - t')``.
    """
    times = settings.timesteps()
    x = initial
    for step in range(settings.num_steps):
        t, t_next = times[step], times[step + 1]
        u = velocity(x, t)
        if step < settings.coded_steps:
            z = noise.noise(step, clean_estimate(x, u, t))
            x = sde_step(x, u, t, t_next, settings.g_scale, z)
        else:
            x = ode_step(x, u, t, t_next)
        if progress is not None:
            progress.update(1)
    return x
