"""Philox-4x32-10 matches the published Random123 answers and stays exact on vectors and broadcasts."""
from __future__ import annotations

import random

import pytest
import torch

from gvcodec.philox import MASK32, mulhilo32, philox4x32

# Random123 kat_vectors, "philox4x32 10" lines: counter (4 words), key (2 words) -> output (4 words).
KNOWN_ANSWERS = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def _words(values: tuple[int, ...]) -> tuple[torch.Tensor, ...]:
    return tuple(torch.tensor(value, dtype=torch.int64) for value in values)


def _reference_philox(counter: tuple[int, ...], key: tuple[int, int]) -> tuple[int, ...]:
    """Philox-4x32-10 on Python integers, written straight from the paper's round function."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for round_index in range(10):
        if round_index:
            k0, k1 = (k0 + 0x9E3779B9) & MASK32, (k1 + 0xBB67AE85) & MASK32
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK32, (p0 >> 32) ^ c3 ^ k1, p0 & MASK32
    return c0, c1, c2, c3


@pytest.mark.parametrize("counter, key, expected", KNOWN_ANSWERS, ids=["zeros", "all-ones", "pi"])
def test_philox_matches_random123_known_answers(counter, key, expected) -> None:
    output = philox4x32(_words(counter), key)
    assert tuple(int(word) for word in output) == expected


def test_mulhilo_is_the_exact_64_bit_product() -> None:
    rng = random.Random(7)
    values = [0, 1, 0xFFFF, 0x10000, MASK32, MASK32 - 1] + [rng.getrandbits(32) for _ in range(2000)]
    x = torch.tensor(values, dtype=torch.int64)
    for multiplier in (0xD2511F53, 0xCD9E8D57, MASK32, 1):
        hi, lo = mulhilo32(multiplier, x)
        assert [(h << 32) | l for h, l in zip(hi.tolist(), lo.tolist())] == [multiplier * v for v in values]


def test_vectorised_philox_equals_one_counter_at_a_time() -> None:
    rng = random.Random(11)
    counters = [tuple(rng.getrandbits(32) for _ in range(4)) for _ in range(300)]
    key = (rng.getrandbits(32), rng.getrandbits(32))
    columns = tuple(torch.tensor(column, dtype=torch.int64) for column in zip(*counters))
    output = torch.stack(philox4x32(columns, key), dim=1).tolist()
    assert [tuple(row) for row in output] == [_reference_philox(counter, key) for counter in counters]


def test_broadcast_counters_equal_the_expanded_grid() -> None:
    rows = torch.arange(5, dtype=torch.int64).reshape(-1, 1) * 0x01000193
    columns = torch.arange(7, dtype=torch.int64).reshape(1, -1)
    constant = torch.tensor(0xABCDEF, dtype=torch.int64)
    zero = torch.tensor(0, dtype=torch.int64)
    broadcast = philox4x32((columns, rows, constant, zero), (3, 4))
    full = [tensor.expand(5, 7).contiguous() for tensor in (columns, rows, constant, zero)]
    expanded = philox4x32(tuple(full), (3, 4))
    for got, want in zip(broadcast, expanded):
        assert torch.equal(got.expand(5, 7), want)


def test_philox_leaves_the_callers_counters_untouched() -> None:
    counter = tuple(torch.arange(4, dtype=torch.int64) + offset for offset in range(4))
    before = [tensor.clone() for tensor in counter]
    philox4x32(counter, (1, 2))
    assert all(torch.equal(a, b) for a, b in zip(counter, before))


def test_key_words_are_reduced_modulo_two_to_the_32() -> None:
    counter = _words((1, 2, 3, 4))
    reduced = philox4x32(counter, (5, 6))
    wrapped = philox4x32(counter, (5 + (1 << 32), 6 + (3 << 32)))
    assert all(torch.equal(a, b) for a, b in zip(reduced, wrapped))
