"""The codebook payload of a GOP: each choice's index-set rank and sign bits, packed MSB first."""
from __future__ import annotations

import math
from collections.abc import Sequence

from gvcodec.codebook.keys import AtomChoice
from gvcodec.combinatorial import choice_bits, index_set_bits, rank_index_set, unrank_index_set
from gvcodec.errors import StreamCorruptError

def pack_choices(choices: Sequence[AtomChoice], codebook_size: int) -> bytes:
    """Per choice, the index-set rank (``ceil(log2 C(K, M))`` bits) then ``M`` sign bits (1 = negative),
    all concatenated MSB first and zero-padded to a whole byte."""
    value = 0
    total_bits = 0
    for choice in choices:
        count = len(choice.indices)
        rank = rank_index_set(choice.indices, codebook_size)
        sign_bits = 0
        for sign in choice.signs:
            sign_bits = (sign_bits << 1) | (sign < 0)
        value = (((value << index_set_bits(codebook_size, count)) | rank) << count) | sign_bits
        total_bits += choice_bits(codebook_size, count)
    padding = -total_bits % 8
    return (value << padding).to_bytes((total_bits + padding) // 8, "big")


def unpack_choices(payload: bytes, counts: Sequence[int], codebook_size: int) -> list[AtomChoice]:
    """Inverse of ``pack_choices`` given each choice's atom count; raises ``StreamError`` on a damaged payload."""
    for count in counts:
        if not 0 <= count <= codebook_size:
            raise StreamCorruptError(
                f"atom count {count} does not fit a codebook of {codebook_size} atoms; the stream is damaged"
            )
    total_bits = sum(choice_bits(codebook_size, count) for count in counts)
    expected = -(-total_bits // 8)
    if len(payload) != expected:
        raise StreamCorruptError(
            f"atom choice payload has {len(payload)} bytes, but {len(counts)} choices from a codebook of "
            f"{codebook_size} atoms need exactly {expected}; the stream is damaged or truncated"
        )
    value = int.from_bytes(payload, "big")
    padding = expected * 8 - total_bits
    if value & ((1 << padding) - 1):
        raise StreamCorruptError("atom choice payload has non-zero padding bits; the stream is damaged")
    value >>= padding
    position = total_bits
    choices = []
    for count in counts:
        rank_bits = index_set_bits(codebook_size, count)
        position -= rank_bits
        rank = (value >> position) & ((1 << rank_bits) - 1)
        position -= count
        sign_bits = (value >> position) & ((1 << count) - 1)
        if rank >= math.comb(codebook_size, count):
            raise StreamCorruptError(
                f"index-set rank {rank} exceeds C({codebook_size}, {count}) - 1; the stream is damaged"
            )
        signs = tuple(-1 if (sign_bits >> (count - 1 - i)) & 1 else 1 for i in range(count))
        choices.append(AtomChoice(indices=unrank_index_set(rank, codebook_size, count), signs=signs))
    return choices
