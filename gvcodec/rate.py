"""Rate control: how many atoms each (coded step, latent frame) of a GOP gets for a byte budget.

The codebook bits of a GOP are known before any model call: a choice of ``M`` atoms among ``K`` costs
``b(M) = ceil(log2 C(K, M)) + M`` bits (:func:`gvcodec.combinatorial.choice_bits`), and the packet
framing is fixed by the GOP's geometry. So a byte budget maps to atom counts in closed form, and the
target-bitrate mode costs no extra encoding pass.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from gvcodec.combinatorial import choice_bits
from gvcodec.errors import InputError


def largest_uniform_atoms(payload_bits: int, cells: int, codebook_size: int, max_atoms: int) -> int:
    """Largest ``M <= max_atoms`` with ``cells * b(M) <= payload_bits``; 0 when even ``M = 1`` does not fit.

    ``b(M)`` increases with ``M`` for ``M <= K / 2``, so a binary search finds it.
    """
    low, high = 0, max_atoms
    while low < high:
        middle = (low + high + 1) // 2
        if cells * choice_bits(codebook_size, middle) <= payload_bits:
            low = middle
        else:
            high = middle - 1
    return low


def allocate_atoms(payload_bits: int, cells: int, codebook_size: int, max_atoms: int) -> tuple[int, ...]:
    """Atom counts for ``cells`` (step, frame) choices spending at most ``payload_bits`` (at least 1 atom each).

    Every cell gets the uniform ``M``; the bits left over give ``M + 1`` to the earliest cells (step-major
    order: the first steps shape the coarse content of the GOP). When even ``M = 1`` does not fit, every
    cell gets 1 atom and the budget is exceeded (the caller carries the overshoot to later GOPs).
    """
    atoms = largest_uniform_atoms(payload_bits, cells, codebook_size, max_atoms)
    if atoms == 0:
        return (1,) * cells
    spare = payload_bits - cells * choice_bits(codebook_size, atoms)
    if atoms == max_atoms:
        return (atoms,) * cells
    step_up = choice_bits(codebook_size, atoms + 1) - choice_bits(codebook_size, atoms)
    upgraded = min(cells, spare // step_up)
    return (atoms + 1,) * upgraded + (atoms,) * (cells - upgraded)


def bits_per_pixel(total_bytes: int, frames: int, width: int, height: int) -> float:
    """``bpp = 8 bytes / (W H frames)``; NaN for no frames."""
    return 8 * total_bytes / (frames * width * height) if frames else math.nan


def payload_bytes(atom_counts: tuple[int, ...], codebook_size: int) -> int:
    """Bytes of a GOP's packed choices: ``ceil(sum_i b(M_i) / 8)``."""
    return math.ceil(sum(choice_bits(codebook_size, m) for m in atom_counts) / 8)


@dataclass
class BitrateController:
    """Spreads ``target_bpp`` over the GOPs of a stream, carrying each GOP's error into the next.

    The budget of GOP ``g`` is its share ``target_bpp * W * H * frames / 8`` plus everything earlier GOPs
    (and the stream header) under- or over-spent, so the clip as a whole lands on the target.
    """

    target_bpp: float
    width: int
    height: int
    codebook_size: int
    max_atoms: int
    spent_bytes: int = 0
    target_bytes: float = 0.0

    def __post_init__(self) -> None:
        if not self.target_bpp > 0:
            raise InputError(f"--target-bpp must be positive, got {self.target_bpp}")

    def charge(self, size: int) -> None:
        """Account for bytes written outside GOP payloads (the stream header)."""
        self.spent_bytes += size

    def atoms_for_gop(self, frames: int, cells: int, framing_bytes: int) -> tuple[int, ...]:
        """Atom counts of the next GOP of ``frames`` source frames, ``cells`` choices, fixed framing."""
        self.target_bytes += self.target_bpp * self.width * self.height * frames / 8
        budget = self.target_bytes - self.spent_bytes - framing_bytes
        return allocate_atoms(max(0, math.floor(budget * 8)), cells, self.codebook_size, self.max_atoms)

    def record(self, packet_size: int) -> None:
        """Account for the bytes the GOP's packet really took."""
        self.spent_bytes += packet_size

    def reachable_bpp(self, frames: int, cells: int, framing_bytes: int) -> tuple[float, float]:
        """The lowest and highest bpp of a full GOP: one atom per cell, and ``max_atoms`` per cell."""
        pixels = self.width * self.height * frames
        low, high = ((1,) * cells, (self.max_atoms,) * cells)
        return tuple(8 * (framing_bytes + payload_bytes(counts, self.codebook_size)) / pixels for counts in (low, high))
