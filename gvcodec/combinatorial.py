"""Index sets as ranks in the combinatorial number system (exact Python integers).

An M-element subset ``c_0 < c_1 < ... < c_{M-1}`` of ``{0, ..., K-1}`` has the rank

    rank = sum_i C(c_i, i + 1),

a bijection onto ``[0, C(K, M))`` (Knuth, TAOCP 7.2.1.3, "combinatorial number system"). Writing the
rank in ``ceil(log2 C(K, M))`` bits is the cheapest fixed-length code for an unordered index set:
K = 16384, M = 64 costs 600 bits instead of 64 x 14 = 896.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from math import comb, inf, lgamma, log

from gvcodec.errors import InputError


def _check_sizes(codebook_size: int, atoms: int) -> None:
    if codebook_size < 1:
        raise InputError(f"codebook size must be at least 1, got {codebook_size}")
    if not 0 <= atoms <= codebook_size:
        raise InputError(f"atom count must lie in [0, {codebook_size}] (the codebook size), got {atoms}")


@lru_cache(maxsize=4096)
def index_set_bits(codebook_size: int, atoms: int) -> int:
    """Bits of one rank: ``ceil(log2 C(K, M))``, which is 0 when ``C(K, M) = 1``.

    Cached: a packet repeats a few atom counts thousands of times, and each exact binomial of a large K
    costs milliseconds, so an input's bit count is computed in time linear in its length."""
    _check_sizes(codebook_size, atoms)
    return (comb(codebook_size, atoms) - 1).bit_length()


def choice_bits(codebook_size: int, atoms: int) -> int:
    """Bits of one coded atom choice: the index-set rank plus one sign bit per atom,
    ``ceil(log2 C(K, M)) + M``."""
    return index_set_bits(codebook_size, atoms) + atoms


def rank_index_set(indices: Sequence[int], codebook_size: int) -> int:
    """Rank of an ascending index set: ``sum_i C(c_i, i + 1)`` for ``c_0 < c_1 < ... < K``."""
    _check_sizes(codebook_size, len(indices))
    previous = -1
    for index in indices:
        if not previous < index < codebook_size:
            raise InputError(
                f"indices must be ascending, distinct and in [0, {codebook_size}); got {index} after {previous}"
            )
        previous = index
    return sum(comb(index, position + 1) for position, index in enumerate(indices))


def unrank_index_set(rank: int, codebook_size: int, atoms: int) -> tuple[int, ...]:
    """The ascending index set whose rank is ``rank``, for ``0 <= rank < C(K, M)``.

    Greedy from the top: ``c_{M-1}`` is the largest ``c`` with ``C(c, M) <= rank``; subtract ``C(c, M)``
    and repeat with ``M - 1`` below ``c``. Each ``c_i`` is a binary search, so the cost is
    ``O(M log K)`` comparisons.
    """
    _check_sizes(codebook_size, atoms)
    total = comb(codebook_size, atoms)
    if not 0 <= rank < total:
        raise InputError(f"rank {rank} is outside [0, C({codebook_size}, {atoms})) = [0, {total})")
    indices = [0] * atoms
    upper = codebook_size
    for position in range(atoms - 1, -1, -1):
        indices[position], value = _largest_within(rank, position + 1, position, upper - 1)
        rank -= value
        upper = indices[position]
    return tuple(indices)


def _largest_within(rank: int, k: int, low: int, high: int) -> tuple[int, int]:
    """The largest ``c`` in ``[low, high]`` with ``C(c, k) <= rank``, and ``C(c, k)``; needs ``C(low, k) <= rank``.

    Big binomials are slow, so the search compares ``log C(c, k)`` (lgamma) with ``log rank`` first and
    the candidate is then verified exactly, ``C(c, k) <= rank < C(c + 1, k)``; an exact search runs only
    if floating point ever misjudged.
    """
    log_rank = log(rank) if rank else -inf
    candidate = _last_true(low, high, lambda c: lgamma(c + 1) - lgamma(k + 1) - lgamma(c - k + 1) <= log_rank)
    value = comb(candidate, k)
    following = value * (candidate + 1) // (candidate + 1 - k) if value else comb(candidate + 1, k)
    if value <= rank and (candidate == high or following > rank):
        return candidate, value
    candidate = _last_true(low, high, lambda c: comb(c, k) <= rank)
    return candidate, comb(candidate, k)


def _last_true(low: int, high: int, predicate: Callable[[int], bool]) -> int:
    """The largest ``c`` in ``[low, high]`` where a predicate that is true at ``low`` and then false is true."""
    while low < high:
        middle = (low + high + 1) // 2
        if predicate(middle):
            low = middle
        else:
            high = middle - 1
    return low
