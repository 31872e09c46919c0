"""Philox-4x32-10, the counter-based bijection under gvcodec's atom generator.

Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC 2011). One call maps a 128-bit
counter ``(c0, c1, c2, c3)`` and a 64-bit key ``(k0, k1)`` to four 32-bit words through ten rounds

    (c0, c1, c2, c3) <- (hi(M1 c2) ^ c1 ^ k0,  lo(M1 c2),  hi(M0 c0) ^ c3 ^ k1,  lo(M0 c0))

with the key bumped ``(k0, k1) += (W0, W1) mod 2^32`` between rounds. The output is part of the
bitstream format, so it is computed here with integer operations we own, on ``torch.int64`` tensors
that hold 32-bit values: the 32 x 32 -> 64-bit products are split so that no intermediate reaches
2^63, which makes the result identical on every device (no overflow, no floating point). In-place
operations only touch tensors created here, never the caller's counters.

Counters are any tensors that broadcast against each other; a word that is constant across the batch
(a scalar) is only expanded once it mixes with a varying word, so constant words cost nothing in the
first rounds.
"""
from __future__ import annotations

import torch

MASK32 = 0xFFFFFFFF
ROUNDS = 10
PHILOX_M0 = 0xD2511F53
PHILOX_M1 = 0xCD9E8D57
PHILOX_W0 = 0x9E3779B9
PHILOX_W1 = 0xBB67AE85

Words = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def mulhilo32(multiplier: int, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(hi, lo)`` of the 64-bit product ``multiplier * x`` for 32-bit ``multiplier`` and ``x``.

    With ``multiplier = a1 2^16 + a0``: ``q = x a1`` and ``x a0`` are below 2^48, ``s = x a0 + (q mod 2^16) 2^16``
    is below 2^49, and ``multiplier * x = s + floor(q / 2^16) 2^32``, so
    ``lo = s mod 2^32`` and ``hi = floor(q / 2^16) + floor(s / 2^32)``.
    """
    q = x * (multiplier >> 16)
    s = x * (multiplier & 0xFFFF)
    s += (q & 0xFFFF).bitwise_left_shift_(16)
    q.bitwise_right_shift_(16).add_(s >> 32)
    return q, s.bitwise_and_(MASK32)


def philox4x32(counter: Words, key: tuple[int, int], rounds: int = ROUNDS) -> Words:
    """Philox-4x32-R of ``counter`` (four broadcastable int64 tensors of 32-bit values) under ``key``.

    Returns the four 32-bit output words as int64 tensors of the broadcast shape.
    """
    c0, c1, c2, c3 = counter
    k0, k1 = key[0] & MASK32, key[1] & MASK32
    for round_index in range(rounds):
        if round_index:
            k0 = (k0 + PHILOX_W0) & MASK32
            k1 = (k1 + PHILOX_W1) & MASK32
        hi0, lo0 = mulhilo32(PHILOX_M0, c0)
        hi1, lo1 = mulhilo32(PHILOX_M1, c2)
        c0, c1, c2, c3 = (hi1 ^ c1).bitwise_xor_(k0), lo1, (hi0 ^ c3).bitwise_xor_(k1), lo0
    return c0, c1, c2, c3
