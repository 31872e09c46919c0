"""The SDE conversion is right: with the exact velocity of a Gaussian data law, samplers hit its moments."""
from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from gvcodec.errors import InputError
from gvcodec.sde import (
    clean_estimate,
    diffusion_coefficient,
    noise_estimate,
    ode_step,
    sde_step,
    shifted_timesteps,
)

# Data law: x0 ~ N(MU, SIGMA^2) independently in each of DIMS dimensions; the dimensions are the samples.
MU, SIGMA = 0.7, 0.5
DIMS = 20_000
STEPS = 2000
SHIFT = 3.0
# Sampling error of the moments of DIMS Gaussian samples: SE(mean) = SIGMA / sqrt(DIMS) = 0.0035 and
# SE(variance) = SIGMA^2 sqrt(2 / DIMS) = 0.0025. The Euler discretisation bias at 2000 shifted steps
# is 0 for the mean and at most -0.0007 (0.3 SE) for the variance (propagated exactly through the affine
# steps while designing this test). A 5 SE band leaves >= 4.7 SE for chance: a false failure has
# probability below 1e-5 for any seed, while the wrong conversions below miss the variance by >= 20 SE.
MEAN_TOLERANCE = 5 * SIGMA / math.sqrt(DIMS)
VARIANCE_TOLERANCE = 5 * SIGMA**2 * math.sqrt(2 / DIMS)

Step = Callable[[torch.Tensor, torch.Tensor, float, float, torch.Tensor], torch.Tensor]


def exact_velocity(x: torch.Tensor, t: float) -> torch.Tensor:
    """u(x, t) = E[eps - x0 | x_t = x] for x0 ~ N(MU, SIGMA^2), eps ~ N(0, 1), x_t = (1 - t) x0 + t eps.

    Jointly Gaussian: E[eps - x0] = -MU, Var(x_t) = (1 - t)^2 SIGMA^2 + t^2,
    Cov(eps - x0, x_t) = t - (1 - t) SIGMA^2.
    """
    variance = (1 - t) ** 2 * SIGMA**2 + t**2
    return -MU + (t - (1 - t) * SIGMA**2) / variance * (x - (1 - t) * MU)


def sample(step: Step, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(DIMS, generator=generator, dtype=torch.float64)
    times = shifted_timesteps(STEPS, SHIFT)
    for t, t_next in zip(times[:-1], times[1:]):
        z = torch.randn(DIMS, generator=generator, dtype=torch.float64)
        x = step(x, exact_velocity(x, t), t, t_next, z)
    return x


def matches_target(samples: torch.Tensor) -> bool:
    mean_error = abs(samples.mean().item() - MU)
    variance_error = abs(samples.var().item() - SIGMA**2)
    return mean_error < MEAN_TOLERANCE and variance_error < VARIANCE_TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("g_scale", [0.0, 1.0, 3.0])
def test_sde_sampler_reaches_gaussian_data_moments(g_scale: float) -> None:
    samples = sample(lambda x, u, t, t_next, z: sde_step(x, u, t, t_next, g_scale, z))
    assert matches_target(samples), (samples.mean().item(), samples.var().item())


@pytest.mark.slow
def test_ode_sampler_reaches_gaussian_data_moments() -> None:
    samples = sample(lambda x, u, t, t_next, z: ode_step(x, u, t, t_next))
    assert matches_target(samples), (samples.mean().item(), samples.var().item())


def _drift_with_score_factor(factor: float) -> Step:
    """An SDE step whose drift is ``u - factor g^2 s``: factor 1/2 is right, anything else breaks the marginals."""

    def step(x: torch.Tensor, u: torch.Tensor, t: float, t_next: float, z: torch.Tensor) -> torch.Tensor:
        g = diffusion_coefficient(t, 3.0)
        score = -noise_estimate(x, u, t) / t
        dt = t - t_next
        return x - dt * (u - factor * g * g * score) + g * math.sqrt(dt) * z

    return step


@pytest.mark.slow
def test_moment_check_rejects_a_wrong_ode_to_sde_conversion() -> None:
    assert matches_target(sample(_drift_with_score_factor(0.5)))
    assert not matches_target(sample(_drift_with_score_factor(-0.5))), "score sign flipped"
    assert not matches_target(sample(_drift_with_score_factor(1.0))), "score factor doubled"


def test_shifted_timesteps_run_exactly_from_one_to_zero_and_decrease() -> None:
    for shift in (0.1, 1.0, 3.0, 5.0):
        times = shifted_timesteps(20, shift)
        assert len(times) == 21
        assert times[0] == 1.0 and times[-1] == 0.0
        assert all(a > b for a, b in zip(times, times[1:]))


def test_shift_one_is_uniform_and_larger_shift_spends_steps_near_noise() -> None:
    assert shifted_timesteps(4, 1.0) == [1.0, 0.75, 0.5, 0.25, 0.0]
    # s t / (1 + (s - 1) t) with s = 5 at t = 1/2 is 5/6.
    assert shifted_timesteps(2, 5.0)[1] == pytest.approx(5 / 6, rel=1e-15)
    assert all(a >= b for a, b in zip(shifted_timesteps(20, 5.0), shifted_timesteps(20, 1.0)))


def test_schedule_rejects_no_steps_and_non_positive_shift() -> None:
    with pytest.raises(InputError, match="at least 1 step"):
        shifted_timesteps(0, 5.0)
    with pytest.raises(InputError, match="shift must be positive"):
        shifted_timesteps(20, 0.0)


def test_diffusion_coefficient_is_g_scale_t_squared() -> None:
    assert diffusion_coefficient(0.5, 3.0) == 0.75
    assert diffusion_coefficient(0.0, 3.0) == 0.0
    assert diffusion_coefficient(1.0, 2.0) == 2.0


def test_estimates_recover_data_and_noise_from_the_true_velocity() -> None:
    generator = torch.Generator().manual_seed(1)
    x0 = torch.randn(64, generator=generator, dtype=torch.float64)
    eps = torch.randn(64, generator=generator, dtype=torch.float64)
    t = 0.3
    x_t = (1 - t) * x0 + t * eps
    u = eps - x0
    torch.testing.assert_close(clean_estimate(x_t, u, t), x0)
    torch.testing.assert_close(noise_estimate(x_t, u, t), eps)


def test_sde_step_without_diffusion_is_the_ode_step() -> None:
    generator = torch.Generator().manual_seed(2)
    x, u, z = (torch.randn(32, generator=generator, dtype=torch.float64) for _ in range(3))
    torch.testing.assert_close(sde_step(x, u, 0.8, 0.6, 0.0, z), ode_step(x, u, 0.8, 0.6))


def test_sde_step_injects_g_sqrt_dt_times_z() -> None:
    x = torch.zeros(3, dtype=torch.float64)
    u = torch.zeros(3, dtype=torch.float64)
    z = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    # x = u = 0 makes the drift vanish; g(0.5) = 3 * 0.25, sqrt(dt) = 0.5.
    torch.testing.assert_close(sde_step(x, u, 0.5, 0.25, 3.0, z), 0.375 * z)


def test_sde_step_refuses_to_start_at_the_data_end() -> None:
    x = torch.zeros(2)
    with pytest.raises(InputError, match="t = 0 has no score"):
        sde_step(x, x, 0.0, 0.0, 3.0, x)
