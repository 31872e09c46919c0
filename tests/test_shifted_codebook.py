"""Generator 2 (shifted codebook): pinned, built exactly as documented, searched exactly by FFT, mixed exactly."""
from __future__ import annotations

import hashlib
import math

import pytest
import torch

from gvcodec.codebook import (
    DENSE_GENERATOR,
    SHIFTED_GENERATOR,
    AtomChoice,
    AtomKey,
    generate_atoms,
    scramble,
)
from gvcodec.errors import InputError
from gvcodec.philox import philox4x32
from tests.helpers import atom_scores, mix_atoms, search_atoms

KEY = AtomKey(seed=20261126, gop=3, step=7, frame=2, generator=SHIFTED_GENERATOR)
DENSE_KEY = AtomKey(seed=20261126, gop=3, step=7, frame=2, generator=DENSE_GENERATOR)
CPU = torch.device("cpu")
# Atoms 0, 999, 1000 and 40000 at D = 1000 (bases 0, 0, 1 and 40), first four coordinates.
PINNED = {
    0: [0.7212684154510498, 0.9973104000091553, 0.22390858829021454, -1.247207522392273],
    999: [0.18356668949127197, 0.9118317365646362, -1.060359001159668, 0.7787842750549316],
    1000: [2.2488911151885986, -0.5787535905838013, 0.397634357213974, -0.6904526948928833],
    40000: [1.3785266876220703, -2.9401698112487793, 2.5524895191192627, 1.0049493312835693],
}
SCRAMBLE_1000_SHA256 = "997470f37f413c15b8a116fcad17b33042763abb56bb1ed52cb2a0df8c3b546b"


def smooth_gap(channels: int = 4, height: int = 24, width: int = 40, seed: int = 0) -> torch.Tensor:
    """A spatially smooth latent-like gap (box-blurred noise), flattened."""
    noise = torch.randn(channels, 1, height, width, generator=torch.Generator().manual_seed(seed))
    blurred = torch.nn.functional.conv2d(noise, torch.ones(1, 1, 7, 7) / 49, padding=3)
    return blurred.reshape(-1)


def test_atoms_and_scramble_are_pinned() -> None:
    atoms = generate_atoms(KEY, torch.tensor(list(PINNED)), 1000)
    for row, expected in zip(atoms, PINNED.values()):
        assert row[:4].tolist() == expected
    order = scramble(1000, CPU).numpy().astype("<i8").tobytes()
    assert hashlib.sha256(order).hexdigest() == SCRAMBLE_1000_SHA256


def test_scramble_sorts_the_documented_philox_keys() -> None:
    dim = 257
    keys = []
    for i in range(dim):
        zero = torch.tensor(0)
        word = int(philox4x32((torch.tensor(i), zero, zero, zero), (0x67766332, dim))[0])
        keys.append(((word & 0x7FFFFFFF) << 32) | i)
    assert scramble(dim, CPU).tolist() == sorted(range(dim), key=keys.__getitem__)


def test_atom_k_is_base_k_div_d_shifted_by_k_mod_d_then_scrambled() -> None:
    dim = 96
    order = scramble(dim, CPU).tolist()
    indices = [0, 1, 95, 96, 150, 2 * 96 + 7]
    atoms = generate_atoms(KEY, torch.tensor(indices), dim)
    for row, k in zip(atoms, indices):
        base = generate_atoms(DENSE_KEY, torch.tensor([k // dim]), dim)[0]
        expected = torch.empty(dim)
        for m in range(dim):
            expected[order[m]] = base[(m - k % dim) % dim]
        assert torch.equal(row, expected)


def test_an_atom_is_independent_of_its_batch() -> None:
    together = generate_atoms(KEY, torch.tensor([3, 500, 4001]), 512)
    alone = torch.cat([generate_atoms(KEY, torch.tensor([k]), 512) for k in (3, 500, 4001)])
    assert torch.equal(together, alone)


@pytest.mark.parametrize("dim,codebook_size", [(1000, 600), (512, 512), (96, 1000)])
def test_fft_scores_equal_explicit_inner_products(dim: int, codebook_size: int) -> None:
    gap = torch.randn(dim, generator=torch.Generator().manual_seed(dim))
    atoms = generate_atoms(KEY, torch.arange(codebook_size), dim).double()
    explicit = atoms @ gap.double()
    scores = atom_scores(KEY, gap, codebook_size).double()
    assert scores.shape == (codebook_size,)
    assert torch.allclose(scores, explicit, atol=1e-4 * explicit.abs().max().item())


def test_search_picks_the_truly_best_atoms() -> None:
    gap = smooth_gap()
    dim = gap.numel()
    explicit = generate_atoms(KEY, torch.arange(2000), dim).double() @ gap.double()
    choice = search_atoms(KEY, gap, 2000, 16)
    best = explicit.abs().topk(16).indices.sort().values
    assert choice.indices == tuple(best.tolist())
    assert choice.signs == tuple(int(v) for v in torch.where(explicit[best] < 0, -1, 1))


def test_mix_equals_the_signed_sum_of_generated_atoms_bit_for_bit() -> None:
    dim = 3000
    choice = search_atoms(KEY, torch.randn(dim, generator=torch.Generator().manual_seed(1)), 5000, 33)
    rows = generate_atoms(KEY, torch.tensor(choice.indices), dim).double()
    signs = torch.tensor(choice.signs, dtype=torch.float64)
    expected = ((rows * signs[:, None]).sum(dim=0) / math.sqrt(33)).float()
    assert torch.equal(mix_atoms(KEY, choice, dim), expected)


def test_neighbouring_shifts_score_independently_on_a_smooth_gap() -> None:
    """Without the scramble, shifts s and s + 1 of one base would score alike on a smooth gap."""
    gap = smooth_gap()
    scores = atom_scores(KEY, gap, gap.numel())
    neighbour_correlation = torch.corrcoef(torch.stack([scores[:-1], scores[1:]]))[0, 1]
    assert abs(float(neighbour_correlation)) < 0.1


def test_top_atoms_align_with_the_gap_as_well_as_dense_atoms() -> None:
    """The search's figure of merit, ``sum of the top-M |<z_k, r>|``, matches the dense codebook's."""
    ratios = []
    for seed in range(4):
        gap = smooth_gap(seed=seed)
        dense = atom_scores(DENSE_KEY, gap, 4096).abs().topk(32).values.sum()
        shifted = atom_scores(KEY, gap, 4096).abs().topk(32).values.sum()
        ratios.append(float(shifted / dense))
    assert 0.95 < sum(ratios) / len(ratios) < 1.05


def test_a_mix_is_white_noise_like_a_dense_mix() -> None:
    """Chosen atoms lean towards ``r``, which lifts a mix's variance above 1 and correlates neighbouring
    latent pixels a little, in both codebooks alike (the scramble keeps shifts from adding more)."""
    gap = smooth_gap()
    mixes = [mix_atoms(key, search_atoms(key, gap, 4096, 64), gap.numel()) for key in (KEY, DENSE_KEY)]
    shifted, dense = (mix.view(4, 24, 40) for mix in mixes)
    assert abs(float(shifted.var()) / float(dense.var()) - 1.0) < 0.05
    def neighbour_correlation(noise: torch.Tensor) -> float:
        return float(torch.corrcoef(torch.stack([noise[..., :-1].reshape(-1), noise[..., 1:].reshape(-1)]))[0, 1])

    assert abs(neighbour_correlation(shifted) - neighbour_correlation(dense)) < 0.05


def test_bad_indices_are_refused() -> None:
    with pytest.raises(InputError, match="atom indices"):
        generate_atoms(KEY, torch.tensor([-1]), 16)
    with pytest.raises(InputError, match="atom generator 3 is not implemented"):
        generate_atoms(AtomKey(0, 0, 0, 0, generator=3), torch.tensor([0]), 16)


def test_empty_choice_has_no_mix() -> None:
    with pytest.raises(InputError, match="no atoms"):
        mix_atoms(KEY, AtomChoice((), ()), 16)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("generator", [DENSE_GENERATOR, SHIFTED_GENERATOR])
def test_atoms_mixes_and_choices_are_identical_on_cuda(generator: int) -> None:
    key = AtomKey(seed=20261126, gop=3, step=7, frame=2, generator=generator)
    dim = 16 * 32 * 56
    indices = torch.tensor([0, 1, 4095, 16383, 28672, 40000])
    assert torch.equal(generate_atoms(key, indices, dim, "cuda").cpu(), generate_atoms(key, indices, dim, "cpu"))
    gap = smooth_gap(16, 32, 56)
    on_cpu = search_atoms(key, gap, 16384, 64)
    on_cuda = search_atoms(key, gap.cuda(), 16384, 64)
    assert len(set(on_cpu.indices) & set(on_cuda.indices)) >= 62
    assert torch.equal(mix_atoms(key, on_cpu, dim, "cuda").cpu(), mix_atoms(key, on_cpu, dim, "cpu"))
