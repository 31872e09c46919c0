"""The shared sampling loop: replay rebuilds the search trajectory exactly, and atoms buy accuracy."""
from __future__ import annotations

import torch

from gvcodec.codebook import DEFAULT_GENERATOR, initial_noise
from gvcodec.noise_sources import AtomLayout, CodebookReplay, CodebookSearch
from gvcodec.sampler import SamplerSettings, sample_trajectory

SHAPE = (4, 3, 6, 8)
SETTINGS = SamplerSettings(num_steps=12, tail_steps=2, shift=3.0, g_scale=3.0)


def standard_normal_velocity(x: torch.Tensor, t: float) -> torch.Tensor:
    """Exact ``u = E[eps - x0 | x_t]`` for data ``x0 ~ N(0, I)``: ``(2t - 1) / ((1 - t)^2 + t^2) x``."""
    return (2 * t - 1) / ((1 - t) ** 2 + t**2) * x


def layout(atoms: int, codebook_size: int = 512) -> AtomLayout:
    return AtomLayout(
        generator=DEFAULT_GENERATOR, seed=7, gop=1, codebook_size=codebook_size,
        atom_counts=(atoms,) * (SETTINGS.coded_steps * SHAPE[1]), latent_frames=SHAPE[1],
    )


def target_latent() -> torch.Tensor:
    return torch.randn(SHAPE, generator=torch.Generator().manual_seed(3))


def encode(atoms: int) -> tuple[CodebookSearch, torch.Tensor]:
    search = CodebookSearch(layout=layout(atoms), target=target_latent())
    final = sample_trajectory(standard_normal_velocity, initial_noise(7, 1, SHAPE), SETTINGS, search)
    return search, final


def test_replay_rebuilds_the_search_trajectory_bit_for_bit() -> None:
    search, encoded = encode(atoms=8)
    replay = CodebookReplay(layout=layout(8), choices=search.choices)
    decoded = sample_trajectory(standard_normal_velocity, initial_noise(7, 1, SHAPE), SETTINGS, replay)
    assert torch.equal(decoded, encoded)


def test_only_coded_steps_consume_choices() -> None:
    search, _ = encode(atoms=4)
    assert len(search.choices) == SETTINGS.coded_steps * SHAPE[1]
    assert all(len(choice.indices) == 4 for choice in search.choices)


def test_more_atoms_land_closer_to_the_target() -> None:
    target = target_latent()
    errors = {atoms: float((encode(atoms)[1] - target).pow(2).mean()) for atoms in (1, 8, 64)}
    assert errors[64] < errors[8] < errors[1]
    assert errors[64] < 0.5


def test_a_wrong_choice_changes_the_decoded_latent() -> None:
    search, encoded = encode(atoms=8)
    choices = list(search.choices)
    first = choices[0]
    choices[0] = type(first)(indices=first.indices, signs=(-first.signs[0], *first.signs[1:]))
    replay = CodebookReplay(layout=layout(8), choices=choices)
    decoded = sample_trajectory(standard_normal_velocity, initial_noise(7, 1, SHAPE), SETTINGS, replay)
    assert not torch.equal(decoded, encoded)
