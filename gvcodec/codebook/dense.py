"""Generator 1, the dense codebook: every atom is its own run of Philox draws.

Part of the bitstream format; change nothing here without a new generator id:

- Philox-4x32-10 (``gvcodec.philox``) with key ``(seed mod 2^32, gop mod 2^32)`` and counter
  ``(j, k, (step << 16) | frame, 0)``: ``k`` is the atom index, ``j`` the block of 8 coordinates
  ``8j .. 8j + 7`` of that atom, ``step`` the sampler step (``0xFFFF`` is reserved for the initial noise
  x_T), ``frame`` the latent frame.
- Output word ``w`` (0..3) of block ``j`` gives coordinates ``8j + 2w`` (its low 16 bits) and
  ``8j + 2w + 1`` (its high 16 bits); each 16-bit value ``i`` becomes ``T[i]``
  (:func:`gvcodec.codebook.gaussian.normal_quantiles`, stored as float32).
- An atom of dimension ``D`` is its first ``D`` coordinates, so a longer atom extends a shorter one.

Only integer operations and a table lookup produce an atom, so every device yields the same bits. A
search scores all ``K`` atoms: ``K D`` draws, which the fused native kernel does on the CPU.
"""
from __future__ import annotations

from typing import Sequence

import torch

from gvcodec.codebook.gaussian import gaussian_table
from gvcodec.codebook.keys import AtomChoice, AtomKey, check_atom_indices
from gvcodec.codebook.mixing import signed_sums
from gvcodec.errors import InputError
from gvcodec.native.atoms import atom_scores as native_atom_scores
from gvcodec.native.atoms import generate as native_generate
from gvcodec.philox import MASK32, philox4x32

COORDINATES_PER_BLOCK = 8
PHILOX_CHUNK_COUNTERS = {"cpu": 1 << 17, "cuda": 1 << 23}
SCORE_BATCH_ATOMS = 512


def dense_atoms(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Dense atoms ``z_k ~ N(0, I_dim)`` for ``k`` in ``indices``: float32 ``(len(indices), dim)`` on ``device``.

    Row ``i`` is atom ``indices[i]`` whatever else is in the batch. On the CPU the fused native kernel
    generates them (bit-identical to :func:`torch_dense_atoms`, which serves other devices).
    """
    return dense_atom_rows((key,), (indices.reshape(-1).tolist(),), dim, device)


def dense_atom_rows(
    keys: Sequence[AtomKey], indices: Sequence[Sequence[int]], dim: int, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """The atoms ``indices[i]`` of ``keys[i]`` for every ``i``, rows concatenated in that order: float32
    ``(sum_i len(indices[i]), dim)`` on ``device``. The keys share seed and GOP (one Philox key) and may
    differ in step and frame, so one batch serves every latent frame of a step."""
    if torch.device(device).type == "cpu":
        _checked_rows(keys, indices, dim)
        table = gaussian_table("cpu")
        per_key = [
            native_generate(key.seed & MASK32, key.gop & MASK32, key.position, torch.tensor(rows), dim, table)
            for key, rows in zip(keys, indices)
        ]
        return per_key[0] if len(per_key) == 1 else torch.cat(per_key)
    return torch_dense_atom_rows(keys, indices, dim, device)


def torch_dense_atoms(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """:func:`dense_atoms` in torch integer ops on any device: the reference the native kernel is tested against."""
    return torch_dense_atom_rows((key,), (indices.reshape(-1).tolist(),), dim, device)


def _checked_rows(keys: Sequence[AtomKey], indices: Sequence[Sequence[int]], dim: int) -> tuple[int, int]:
    """``(seed, gop)`` of ``keys``, after checking one index list per key, one Philox key, the index range
    and the dimension."""
    if len(keys) != len(indices) or not keys:
        raise InputError(
            f"need one index list per atom key and at least one key, got {len(keys)} keys and {len(indices)} lists"
        )
    philox_keys = {(key.seed & MASK32, key.gop & MASK32) for key in keys}
    if len(philox_keys) != 1:
        raise InputError(f"atom keys batched together must share seed and GOP, got {sorted(philox_keys)}")
    check_atom_indices(indices)
    if dim < 0:
        raise InputError(f"atom dimension must be non-negative, got {dim}")
    return philox_keys.pop()


def torch_dense_atom_rows(
    keys: Sequence[AtomKey], indices: Sequence[Sequence[int]], dim: int, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """:func:`dense_atom_rows` in torch integer ops on any device: one Philox pass whose counters carry each
    row's own position word ``(step << 16) | frame``.

    The counters are built on the host and cross without waiting for the device (non_blocking), so on a
    GPU a step's atoms are queued behind the model call in flight instead of stalling until it ends.
    """
    seed, gop = _checked_rows(keys, indices, dim)
    device = torch.device(device)
    flat = [index for rows in indices for index in rows]
    positions = [key.position for key, rows in zip(keys, indices) for _ in rows]
    atom_index = torch.tensor(flat, dtype=torch.int64).to(device, non_blocking=True).reshape(-1, 1)
    position = torch.tensor(positions, dtype=torch.int64).to(device, non_blocking=True).reshape(-1, 1)
    blocks = -(-dim // COORDINATES_PER_BLOCK)
    block = torch.arange(blocks, dtype=torch.int64, device=device).reshape(1, -1)
    zero = torch.zeros((), dtype=torch.int64, device=device)
    table = gaussian_table(device)
    atoms = torch.empty(atom_index.shape[0], blocks, COORDINATES_PER_BLOCK, dtype=torch.float32, device=device)
    # Counters are independent, so chunking changes no value; it keeps CPU temporaries cache-sized.
    rows = max(1, PHILOX_CHUNK_COUNTERS.get(device.type, PHILOX_CHUNK_COUNTERS["cuda"]) // max(blocks, 1))
    for row in range(0, atom_index.shape[0], rows):
        counter = (block, atom_index[row : row + rows], position[row : row + rows], zero)
        words = torch.stack(torch.broadcast_tensors(*philox4x32(counter, (seed, gop))), dim=-1)
        halves = torch.stack((words & 0xFFFF, words >> 16), dim=-1)
        torch.index_select(table, 0, halves.view(-1), out=atoms[row : row + rows].view(-1))
    atoms = atoms.reshape(atom_index.shape[0], blocks * COORDINATES_PER_BLOCK)
    return atoms if dim == blocks * COORDINATES_PER_BLOCK else atoms[:, :dim].contiguous()


def torch_dense_scores(
    key: AtomKey, gap: torch.Tensor, codebook_size: int, batch_atoms: int = SCORE_BATCH_ATOMS
) -> torch.Tensor:
    """``s_k = <z_k, r>`` for ``k < K`` (float32 ``(K,)`` on the gap's device), generating
    ``batch_atoms`` atoms at a time.

    The path for non-CPU devices, and the reference the native CPU kernel is tested against.
    """
    if batch_atoms < 1:
        raise InputError(f"batch_atoms must be at least 1, got {batch_atoms}")
    target = gap.to(torch.float32)
    scores = torch.empty(codebook_size, dtype=torch.float32, device=gap.device)
    for start in range(0, codebook_size, batch_atoms):
        batch = range(start, min(start + batch_atoms, codebook_size))
        scores[start : start + len(batch)] = dense_atom_rows((key,), (batch,), target.numel(), gap.device) @ target
    return scores


def dense_scores(keys: Sequence[AtomKey], gaps: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """``s_{f,k} = <z_k of keys[f], r_f>`` for ``k < K`` (float32 ``(F, K)``, ``gaps`` is ``(F, D)``): the fused
    native kernel on the CPU, :func:`torch_dense_scores` elsewhere, one frame at a time."""
    if gaps.device.type == "cpu":
        table = gaussian_table("cpu")
        per_frame = [
            native_atom_scores(key.seed, key.gop, key.position, gap, codebook_size, table)
            for key, gap in zip(keys, gaps)
        ]
    else:
        per_frame = [torch_dense_scores(key, gap, codebook_size) for key, gap in zip(keys, gaps)]
    return torch.stack(per_frame)


def dense_mixes(
    keys: Sequence[AtomKey], choices: Sequence[AtomChoice], dim: int, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """``sum_k sign_k z_k`` of every ``(keys[f], choices[f])`` in float64 ``(F, dim)`` over the chosen dense atoms."""
    device = torch.device(device)
    indices = [choice.indices for choice in choices]

    def rows_of(first: int, end: int) -> torch.Tensor:
        return dense_atom_rows(keys[first:end], indices[first:end], dim, device)

    return signed_sums(choices, dim, device, rows_of)
