"""The compiled atom kernel makes generator 1's atoms bit for bit, and its scores and searches match the torch path."""
from __future__ import annotations

import sys

import pytest
import torch

from gvcodec.codebook import DENSE_GENERATOR, AtomKey, gaussian_table, torch_dense_scores
from gvcodec.codebook import torch_dense_atoms as generate_atoms
from gvcodec.errors import GvcError, InputError
from gvcodec.native import atoms as native
from tests.helpers import search_atoms

KEYS = [
    AtomKey(seed=0, gop=0, step=0, frame=0, generator=DENSE_GENERATOR),
    AtomKey(seed=20260101, gop=7, step=12, frame=3, generator=DENSE_GENERATOR),
    AtomKey(seed=2**32 - 1, gop=2**32 - 1, step=0xFFFF, frame=0xFFFF, generator=DENSE_GENERATOR),
    AtomKey(seed=2**40 + 5, gop=3, step=16, frame=8, generator=DENSE_GENERATOR),
]
# An odd count, so the AVX2 kernel's last batch of interleaved atoms is a short one.
INDICES = torch.tensor([0, 1, 2, 5, 16383, 2**31 - 1, 2**31, 4_000_000_000, 2**32 - 1])
DIMS = [1, 7, 8, 9, 63, 64, 65, 100, 1001]
NANO_DIM = 16 * 32 * 56
SMALL_DIM = 6336


def _position(key: AtomKey) -> int:
    return (key.step << 16) | key.frame


def _native_scores(key: AtomKey, gap: torch.Tensor, codebook_size: int, **options: object) -> torch.Tensor:
    return native.atom_scores(
        key.seed, key.gop, _position(key), gap, codebook_size, gaussian_table(), **options
    )


def _gap(dim: int, seed: int) -> torch.Tensor:
    """A latent-like gap: unit-scale noise around a smooth offset, as x0 - x0_hat looks mid-trajectory."""
    generator = torch.Generator().manual_seed(seed)
    smooth = torch.linspace(-1.0, 1.0, dim).sin() * 0.3
    return smooth + 0.5 * torch.randn(dim, generator=generator)


@pytest.mark.parametrize("simd", [True, False], ids=["simd", "portable"])
@pytest.mark.parametrize("key", KEYS, ids=["zero", "typical", "all-ones", "wide-seed"])
def test_c_atoms_equal_torch_atoms_bit_for_bit(key: AtomKey, simd: bool) -> None:
    for dim in DIMS:
        expected = generate_atoms(key, INDICES, dim)
        assert torch.equal(native.generate(key.seed, key.gop, _position(key), INDICES, dim, gaussian_table(), simd), expected)


def test_c_atoms_of_the_nano_latent_size_equal_torch_atoms() -> None:
    key = KEYS[1]
    indices = torch.tensor([3, 9000, 2**32 - 2])
    expected = generate_atoms(key, indices, NANO_DIM)
    assert torch.equal(native.generate(key.seed, key.gop, _position(key), indices, NANO_DIM, gaussian_table()), expected)


@pytest.mark.parametrize("simd", [True, False], ids=["simd", "portable"])
def test_scores_are_the_exact_inner_products_rounded_to_float32(simd: bool) -> None:
    key = KEYS[1]
    gap = _gap(SMALL_DIM + 3, seed=1)
    atoms = generate_atoms(key, torch.arange(131), gap.numel()).double()
    exact = atoms @ gap.double()
    scores = _native_scores(key, gap, 131, simd=simd)
    assert scores.dtype == torch.float32 and scores.shape == (131,)
    # float64 sums of exact products: within one float32 rounding of the true value, far below the
    # spread of the scores (|z| |r| ~ 80 * |r|).
    bound = 2.0**-23 * exact.abs() + 1e-9 * atoms.norm(dim=1) * gap.double().norm()
    assert bool(((scores.double() - exact).abs() <= bound).all())


def test_scores_match_the_torch_path_within_float32_accumulation_error() -> None:
    key = KEYS[3]
    gap = _gap(NANO_DIM, seed=2)
    reference = torch_dense_scores(key, gap, 128)
    scores = _native_scores(key, gap, 128)
    # Both are within float32 accumulation error of the truth: a few 1e-7 of |z| |r|, |z| ~ sqrt(D).
    assert float((scores - reference).abs().max()) <= 1e-5 * float(gap.norm()) * NANO_DIM**0.5


@pytest.mark.parametrize(
    "dim, key", [(NANO_DIM, KEYS[1]), (SMALL_DIM, KEYS[2]), (SMALL_DIM, KEYS[3])], ids=["nano", "small-1", "small-2"]
)
def test_search_choice_equals_the_torch_path_choice_on_realistic_gaps(dim: int, key: AtomKey) -> None:
    codebook_size = 512
    gap = _gap(dim, seed=dim + key.step)
    reference = torch_dense_scores(key, gap, codebook_size)
    best = torch.topk(reference.abs(), 64).indices.sort().values
    choice = search_atoms(key, gap, codebook_size, 64)
    assert choice.indices == tuple(best.tolist())
    assert choice.signs == tuple(torch.where(reference[best] < 0, -1, 1).tolist())


def test_scores_do_not_depend_on_the_thread_count() -> None:
    key = KEYS[1]
    gap = _gap(999, seed=3)
    single = _native_scores(key, gap, 1000, threads=1)
    for threads in (2, 3, 7):
        assert torch.equal(_native_scores(key, gap, 1000, threads=threads), single)


def test_simd_and_portable_scores_agree_to_float64_rounding() -> None:
    key = KEYS[2]
    gap = _gap(777, seed=4)
    simd = _native_scores(key, gap, 129, simd=True)
    portable = _native_scores(key, gap, 129, simd=False)
    assert torch.allclose(simd, portable, rtol=2.0**-22, atol=1e-9)


def test_zero_gap_and_empty_inputs_give_zero_and_empty_scores() -> None:
    key = KEYS[0]
    assert torch.equal(_native_scores(key, torch.zeros(100), 50), torch.zeros(50))
    assert torch.equal(_native_scores(key, torch.zeros(0), 5), torch.zeros(5))
    assert _native_scores(key, torch.ones(10), 0).shape == (0,)
    assert native.generate(0, 0, 0, torch.tensor([1, 2]), 0, gaussian_table()).shape == (2, 0)


def test_gap_of_another_dtype_is_scored_as_float32() -> None:
    key = KEYS[1]
    gap = _gap(500, seed=5)
    assert torch.equal(_native_scores(key, gap.double(), 40), _native_scores(key, gap, 40))


def test_kernel_rejects_arguments_it_cannot_honour() -> None:
    table = gaussian_table()
    with pytest.raises(InputError, match="1-D"):
        native.atom_scores(0, 0, 0, torch.zeros(2, 8), 10, table)
    with pytest.raises(InputError, match="codebook size"):
        native.atom_scores(0, 0, 0, torch.zeros(8), 2**32 + 1, table)
    with pytest.raises(InputError, match="threads"):
        native.atom_scores(0, 0, 0, torch.zeros(8), 10, table, threads=0)
    with pytest.raises(InputError, match="position"):
        native.atom_scores(0, 0, 2**32, torch.zeros(8), 10, table)
    with pytest.raises(InputError, match="quantile table"):
        native.atom_scores(0, 0, 0, torch.zeros(8), 10, table[:1000])
    with pytest.raises(InputError, match="quantile table"):
        native.atom_scores(0, 0, 0, torch.zeros(8), 10, table.double())
    with pytest.raises(InputError, match="atom indices"):
        native.generate(0, 0, 0, torch.tensor([2**32]), 8, table)


def test_missing_extension_is_reported_with_the_reinstall_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gvcodec.native._atoms", None)
    native._extension.cache_clear()
    try:
        with pytest.raises(GvcError, match=r"pip install -e \."):
            search_atoms(KEYS[0], torch.ones(16), 10, 2)
    finally:
        native._extension.cache_clear()
