"""Generator 2, the shifted codebook: atoms are cyclic shifts of a few dense base atoms, in a scrambled order
of coordinates, so one search costs a few FFTs instead of ``K D`` Gaussian draws.

Part of the bitstream format; change nothing here without a new generator id. For a key
``(seed, gop, step, frame)`` and atoms of dimension ``D``:

- base ``j`` is dense atom ``j`` of the same key (generator 1, ``gvcodec.codebook.dense``);
- the scramble ``p`` is the permutation of ``0 .. D - 1`` that sorts the distinct integers
  ``kappa_i = (w_i mod 2^31) 2^32 + i``, where ``w_i`` is word 0 of Philox-4x32-10 with key
  ``(SCRAMBLE_KEY, D)`` and counter ``(i, 0, 0, 0)``: ``kappa_{p[0]} < kappa_{p[1]} < ...``;
- atom ``k`` takes base ``j = floor(k / D)`` shifted by ``s = k mod D``:

      z_k[p[m]] = b_j[(m - s) mod D]    for m = 0 .. D - 1.

Every atom is a permutation of a dense atom, so its coordinates are the same table values, and the
decoder rebuilds one with integer indexing alone: identical bits on every device. The scores of all
``D`` shifts of base ``j`` against a gap ``r`` are one circular cross-correlation,

    <z_{jD + s}, r> = sum_m u[m] b_j[(m - s) mod D] = IDFT(DFT(u) conj(DFT(b_j)))[s],    u[m] = r[p[m]],

so a search costs ``ceil(K / D)`` base atoms and FFTs of length ``D``. The scramble makes ``u`` white
even when ``r`` is smooth, so neighbouring shifts score independently and a mix of chosen atoms stays
white noise in the latent's own layout.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import torch

from gvcodec.codebook.dense import dense_atom_rows
from gvcodec.codebook.keys import DENSE_GENERATOR, AtomChoice, AtomKey, check_atom_indices
from gvcodec.codebook.mixing import signed_sums
from gvcodec.errors import InputError
from gvcodec.philox import MASK32, philox4x32

SCRAMBLE_KEY = 0x67766332


@functools.lru_cache(maxsize=16)
def scramble(dim: int, device: torch.device) -> torch.Tensor:
    """The permutation ``p`` (int64 ``(D,)`` on ``device``) of the module docstring."""
    if not 1 <= dim <= MASK32:
        raise InputError(f"atom dimension must lie in [1, 2^32), got {dim}")
    index = torch.arange(dim, dtype=torch.int64)
    zero = torch.zeros((), dtype=torch.int64)
    word = philox4x32((index, zero, zero, zero), (SCRAMBLE_KEY, dim))[0]
    order = ((word & 0x7FFFFFFF) << 32) | index
    return torch.argsort(order).to(device)


@functools.lru_cache(maxsize=16)
def unscramble(dim: int, device: torch.device) -> torch.Tensor:
    """The inverse permutation ``q`` of :func:`scramble` (``q[p[m]] = m``), so that ``z_k = rolled[q]``."""
    return torch.argsort(scramble(dim, device))


def _bases(keys: Sequence[AtomKey], bases: Sequence[Sequence[int]], dim: int, device: torch.device) -> torch.Tensor:
    """Dense atoms ``bases[i]`` of ``keys[i]`` (generator 1 of the same seed, GOP, step and frame), rows in order."""
    dense_keys = [AtomKey(key.seed, key.gop, key.step, key.frame, generator=DENSE_GENERATOR) for key in keys]
    return dense_atom_rows(dense_keys, bases, dim, device)


@dataclass(frozen=True)
class RolledAtoms:
    """Atoms of several keys before unscrambling, as windows on their doubled bases.

    Row ``r`` (the atoms of each key in turn, in the order given) is ``b_j[(m - s) mod D]`` over ``m``,
    which is entry ``m + D - s`` of the doubled base ``[b_j, b_j]``: window ``D - s`` of it. Gathering
    rows copies values and does no arithmetic. ``offsets[i]`` is the first row of key ``i``. Which base
    and window each row takes is worked out on the host, so the device sees a fixed number of operations
    however many keys share the batch.
    """

    windows: torch.Tensor
    base_row: torch.Tensor
    start: torch.Tensor
    offsets: tuple[int, ...]

    @classmethod
    def of(
        cls, keys: Sequence[AtomKey], indices: Sequence[Sequence[int]], dim: int, device: torch.device
    ) -> RolledAtoms:
        if dim < 1:
            raise InputError(f"atom dimension must be positive, got {dim}")
        check_atom_indices(indices)
        needed: list[list[int]] = []
        base_row: list[int] = []
        start: list[int] = []
        offsets = [0]
        bases_so_far = 0
        for rows in indices:
            bases = sorted({index // dim for index in rows})
            row_of = {base: bases_so_far + position for position, base in enumerate(bases)}
            bases_so_far += len(bases)
            needed.append(bases)
            base_row.extend(row_of[index // dim] for index in rows)
            start.extend(dim - index % dim for index in rows)
            offsets.append(len(start))
        doubled = _bases(keys, needed, dim, device).repeat(1, 2)
        return cls(
            windows=doubled.unfold(1, dim, 1),
            base_row=torch.tensor(base_row, dtype=torch.int64).to(device, non_blocking=True),
            start=torch.tensor(start, dtype=torch.int64).to(device, non_blocking=True),
            offsets=tuple(offsets),
        )

    def rows(self, first_key: int, end_key: int) -> torch.Tensor:
        """The rolled atoms of keys ``first_key .. end_key - 1``: float32 ``(rows, D)``."""
        first, end = self.offsets[first_key], self.offsets[end_key]
        return self.windows[self.base_row[first:end], self.start[first:end]]


def shifted_atoms(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Shifted atoms ``z_k`` for ``k`` in ``indices``: float32 ``(len(indices), dim)`` on ``device``."""
    device = torch.device(device)
    rolled = RolledAtoms.of((key,), (indices.reshape(-1).tolist(),), dim, device)
    return rolled.rows(0, 1).index_select(1, unscramble(dim, device))


def shifted_mixes(
    keys: Sequence[AtomKey], choices: Sequence[AtomChoice], dim: int, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """``sum_k sign_k z_k`` of every ``(keys[f], choices[f])`` in float64 ``(F, dim)``, summed before
    unscrambling: one permutation per step instead of one per atom.

    The permutation moves values without arithmetic, so this equals summing the unscrambled atoms.
    """
    device = torch.device(device)
    rolled = RolledAtoms.of(keys, [choice.indices for choice in choices], dim, device)
    return signed_sums(choices, dim, device, rolled.rows).index_select(1, unscramble(dim, device))


def shifted_scores(keys: Sequence[AtomKey], gaps: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """``s_{f,k} = <z_k of keys[f], r_f>`` for ``k < K``: float32 ``(F, K)`` on the gaps' device, by FFT
    correlation of every frame at once (``gaps`` is ``(F, D)``)."""
    frames, dim = gaps.shape
    device = gaps.device
    per_frame = -(-codebook_size // dim)
    bases = _bases(keys, [range(per_frame)] * frames, dim, device).reshape(frames, per_frame, dim)
    scrambled = gaps.to(torch.float32).index_select(1, scramble(dim, device))
    spectrum = torch.fft.rfft(scrambled, dim=1).unsqueeze(1) * torch.conj(torch.fft.rfft(bases, dim=2))
    correlation = torch.fft.irfft(spectrum, n=dim, dim=2).reshape(frames, per_frame * dim)
    return correlation[:, :codebook_size].contiguous()
