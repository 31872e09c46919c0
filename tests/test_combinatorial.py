"""Index-set ranks: an exact bijection onto [0, C(K, M)), cheap to invert even for K = 2^20, M = 1024."""
from __future__ import annotations

import itertools
import math
import random
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import gvcodec.combinatorial as combinatorial
from gvcodec.combinatorial import choice_bits, index_set_bits, rank_index_set, unrank_index_set
from gvcodec.errors import InputError


@st.composite
def index_sets(draw: st.DrawFn) -> tuple[int, tuple[int, ...]]:
    codebook_size = draw(st.integers(min_value=1, max_value=1 << 20))
    atoms = draw(st.integers(min_value=0, max_value=min(codebook_size, 1024)))
    seed = draw(st.integers(min_value=0, max_value=2**32))
    return codebook_size, tuple(sorted(random.Random(seed).sample(range(codebook_size), atoms)))


_LARGEST = (1 << 20, tuple(sorted(random.Random(0).sample(range(1 << 20), 1024))))


@settings(max_examples=30, deadline=None)
@given(index_sets())
@example(_LARGEST)
@example((1 << 20, tuple(range((1 << 20) - 1024, 1 << 20))))
def test_unrank_inverts_rank(case: tuple[int, tuple[int, ...]]) -> None:
    codebook_size, indices = case
    rank = rank_index_set(indices, codebook_size)
    assert 0 <= rank < math.comb(codebook_size, len(indices))
    assert rank.bit_length() <= index_set_bits(codebook_size, len(indices))
    assert unrank_index_set(rank, codebook_size, len(indices)) == indices


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=1, max_value=1 << 20).flatmap(
        lambda k: st.tuples(st.just(k), st.integers(min_value=0, max_value=min(k, 1024)), st.randoms())
    )
)
@example((1 << 20, 1024, random.Random(1)))
def test_rank_inverts_unrank(case: tuple[int, int, random.Random]) -> None:
    codebook_size, atoms, rng = case
    total = math.comb(codebook_size, atoms)
    for rank in (0, total - 1, rng.randrange(total)):
        assert rank_index_set(unrank_index_set(rank, codebook_size, atoms), codebook_size) == rank


def test_default_choice_costs_664_bits() -> None:
    assert index_set_bits(16384, 64) == math.ceil(math.log2(math.comb(16384, 64))) == 600
    assert choice_bits(16384, 64) == 664


def test_bits_are_the_ceiling_of_log2_of_the_set_count() -> None:
    assert index_set_bits(8, 8) == 0  # one set only
    assert index_set_bits(8, 0) == 0
    assert index_set_bits(4, 2) == 3  # C(4, 2) = 6 -> 3 bits
    assert index_set_bits(16, 1) == 4  # exactly a power of two needs no extra bit
    assert index_set_bits(17, 1) == 5


def test_rank_is_a_bijection_onto_the_full_range_on_an_exhaustive_case() -> None:
    codebook_size, atoms = 12, 5
    ranks = [rank_index_set(subset, codebook_size) for subset in itertools.combinations(range(codebook_size), atoms)]
    assert sorted(ranks) == list(range(math.comb(codebook_size, atoms)))
    for rank in range(math.comb(codebook_size, atoms)):
        indices = unrank_index_set(rank, codebook_size, atoms)
        assert list(indices) == sorted(set(indices)) and indices[-1] < codebook_size
        assert rank_index_set(indices, codebook_size) == rank


def test_ranks_follow_the_combinatorial_number_system() -> None:
    # rank = sum_i C(c_i, i + 1): C(1, 1) + C(3, 2) + C(7, 3) = 1 + 3 + 35.
    assert rank_index_set((1, 3, 7), 8) == 39
    assert unrank_index_set(39, 8, 3) == (1, 3, 7)
    assert unrank_index_set(0, 10, 3) == (0, 1, 2)
    assert unrank_index_set(math.comb(10, 3) - 1, 10, 3) == (7, 8, 9)


def test_unrank_of_a_large_set_is_fast() -> None:
    codebook_size, atoms = 1 << 20, 1024
    indices = tuple(sorted(random.Random(3).sample(range(codebook_size), atoms)))
    rank = rank_index_set(indices, codebook_size)
    started = time.perf_counter()
    assert unrank_index_set(rank, codebook_size, atoms) == indices
    # About 0.2 s on a 2-core CI machine; an exact binomial at every bisection step takes ~3 s and a
    # linear scan far longer, so 2 s separates them with room for a loaded machine.
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    "indices, match",
    [((3, 1), "ascending"), ((1, 1), "ascending"), ((0, 9), "ascending"), ((-1, 2), "ascending")],
)
def test_rank_rejects_sets_that_are_not_ascending_distinct_and_in_range(indices, match) -> None:
    with pytest.raises(InputError, match=match):
        rank_index_set(indices, 9)


def test_unrank_rejects_a_rank_outside_the_set_count() -> None:
    with pytest.raises(InputError, match="outside"):
        unrank_index_set(math.comb(10, 3), 10, 3)
    with pytest.raises(InputError, match="outside"):
        unrank_index_set(-1, 10, 3)


def test_sizes_must_be_consistent() -> None:
    with pytest.raises(InputError, match="atom count"):
        index_set_bits(4, 5)
    with pytest.raises(InputError, match="codebook size"):
        index_set_bits(0, 0)


def test_unrank_stays_exact_when_the_floating_point_search_misjudges(monkeypatch: pytest.MonkeyPatch) -> None:
    # A log-binomial that is wrong everywhere sends every candidate to the exact fallback search.
    monkeypatch.setattr(combinatorial, "lgamma", lambda x: 1e6 * x)
    indices = tuple(sorted(random.Random(5).sample(range(5000), 40)))
    assert unrank_index_set(rank_index_set(indices, 5000), 5000, 40) == indices
