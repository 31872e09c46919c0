"""The Gaussian prior of nano v2: DCT, spectrum interpolation, and the closed-form posterior velocity."""
from __future__ import annotations

import math

import pytest
import torch

from gvcodec.backbones.gaussian_prior import (
    GaussianLatentPrior,
    dct3,
    dct_matrix,
    fit_log_power,
    interpolation_matrix,
    spectrum,
    velocity_gain,
)


def test_dct_matrix_is_orthonormal_and_row_zero_is_the_mean() -> None:
    d = dct_matrix(7)
    torch.testing.assert_close(d @ d.T, torch.eye(7, dtype=torch.float64))
    torch.testing.assert_close(d[0], torch.full((7,), 1 / math.sqrt(7), dtype=torch.float64))


def test_dct3_inverts_over_the_last_three_axes() -> None:
    x = torch.randn(2, 3, 5, 6, 7, dtype=torch.float64)
    torch.testing.assert_close(dct3(dct3(x), inverse=True), x)
    assert float(dct3(x).square().sum()) == pytest.approx(float(x.square().sum()))


def test_interpolation_reproduces_the_grid_at_its_own_size_and_clamps_beyond() -> None:
    torch.testing.assert_close(interpolation_matrix(5, 5), torch.eye(5, dtype=torch.float64))
    halfway = interpolation_matrix(10, 5)
    torch.testing.assert_close(halfway[1], torch.tensor([0.5, 0.5, 0, 0, 0], dtype=torch.float64))
    assert float(halfway[9, 4]) == 1.0 and torch.allclose(halfway.sum(1), torch.ones(10, dtype=torch.float64))
    table = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    torch.testing.assert_close(spectrum(table, (3, 4, 5)), table.exp())


def test_velocity_gain_has_the_right_ends() -> None:
    power = torch.tensor([0.1, 1.0, 10.0], dtype=torch.float64)
    torch.testing.assert_close(velocity_gain(power, torch.tensor(1.0, dtype=torch.float64)), torch.ones(3, dtype=torch.float64))
    torch.testing.assert_close(velocity_gain(power, torch.tensor(0.0, dtype=torch.float64)), -torch.ones(3, dtype=torch.float64))


def test_prior_velocity_is_the_least_squares_velocity_of_gaussian_latents() -> None:
    """For x0 drawn from the prior itself, u_gauss(x_t) must beat any other scalar multiple of itself in MSE."""
    generator = torch.Generator().manual_seed(0)
    size = (4, 8, 8)
    table = torch.log(torch.tensor([4.0, 0.1])).view(2, 1, 1, 1).expand(2, *size).clone()
    prior = GaussianLatentPrior(channels=2, grid=size)
    prior.log_power.copy_(table)
    power = spectrum(table.double(), size)
    x0 = dct3(torch.randn(256, 2, *size, generator=generator, dtype=torch.float64) * power.sqrt(), inverse=True)
    eps = torch.randn(x0.shape, generator=generator, dtype=torch.float64)
    t = torch.full((256,), 0.4, dtype=torch.float64)
    x_t = 0.6 * x0 + 0.4 * eps
    u = prior.velocity(x_t, t)
    target = eps - x0
    best = float((u - target).square().mean())
    for factor in (0.8, 1.2):
        assert best < float((factor * u - target).square().mean())
    assert best < float(target.square().mean()) * 0.7


def test_fitted_spectrum_recovers_channel_variances() -> None:
    latents = torch.randn(64, 2, 3, 4, 4, generator=torch.Generator().manual_seed(1)) * torch.tensor([3.0, 0.5]).view(1, 2, 1, 1, 1)
    power = fit_log_power(latents).exp()
    assert power.shape == (2, 3, 4, 4)
    assert float(power[0].mean()) == pytest.approx(9.0, rel=0.15)
    assert float(power[1].mean()) == pytest.approx(0.25, rel=0.15)
