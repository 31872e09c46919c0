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

import torch

from gvcodec.codebook.gaussian import gaussian_table
from gvcodec.codebook.keys import AtomChoice, AtomKey
from gvcodec.errors import InputError
from gvcodec.native.atoms import atom_scores as native_atom_scores
from gvcodec.native.atoms import generate as native_generate
from gvcodec.philox import MASK32, philox4x32

COORDINATES_PER_BLOCK = 8
_CHUNK_COUNTERS = {"cpu": 1 << 17, "cuda": 1 << 23}
SCORE_BATCH_ATOMS = 512


def dense_atoms(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Dense atoms ``z_k ~ N(0, I_dim)`` for ``k`` in ``indices``: float32 ``(len(indices), dim)`` on ``device``.

    Row ``i`` is atom ``indices[i]`` whatever else is in the batch. On the CPU the fused native kernel
    generates them (bit-identical to :func:`torch_dense_atoms`, which serves other devices).
    """
    if torch.device(device).type == "cpu":
        return native_generate(key.seed & MASK32, key.gop & MASK32, key.position, indices, dim, gaussian_table("cpu"))
    return torch_dense_atoms(key, indices, dim, device)


def torch_dense_atoms(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """:func:`dense_atoms` in torch integer ops on any device: the reference the native kernel is tested against."""
    device = torch.device(device)
    atom_index = indices.to(device=device, dtype=torch.int64).reshape(-1, 1)
    if atom_index.numel() and (int(atom_index.min()) < 0 or int(atom_index.max()) > MASK32):
        raise InputError(
            f"atom indices must lie in [0, 2^32), got the range [{int(atom_index.min())}, {int(atom_index.max())}]"
        )
    if dim < 0:
        raise InputError(f"atom dimension must be non-negative, got {dim}")
    blocks = -(-dim // COORDINATES_PER_BLOCK)
    block = torch.arange(blocks, dtype=torch.int64, device=device).reshape(1, -1)
    position = torch.tensor(key.position, dtype=torch.int64, device=device)
    table = gaussian_table(device)
    atoms = torch.empty(atom_index.shape[0], blocks, COORDINATES_PER_BLOCK, dtype=torch.float32, device=device)
    # Counters are independent, so chunking changes no value; it keeps CPU temporaries cache-sized.
    rows = max(1, _CHUNK_COUNTERS.get(device.type, _CHUNK_COUNTERS["cuda"]) // max(blocks, 1))
    for row in range(0, atom_index.shape[0], rows):
        counter = (block, atom_index[row : row + rows], position, torch.zeros_like(position))
        words = torch.stack(torch.broadcast_tensors(*philox4x32(counter, (key.seed, key.gop))), dim=-1)
        halves = torch.stack((words & 0xFFFF, words >> 16), dim=-1)
        torch.index_select(table, 0, halves.view(-1), out=atoms[row : row + rows].view(-1))
    atoms = atoms.reshape(atom_index.shape[0], blocks * COORDINATES_PER_BLOCK)
    return atoms if dim == blocks * COORDINATES_PER_BLOCK else atoms[:, :dim].contiguous()


def torch_dense_scores(
    key: AtomKey, residual: torch.Tensor, codebook_size: int, batch_atoms: int = SCORE_BATCH_ATOMS
) -> torch.Tensor:
    """``s_k = <z_k, r>`` for ``k < K`` (float32 ``(K,)`` on the residual's device), generating
    ``batch_atoms`` atoms at a time.

    The path for non-CPU devices, and the reference the native CPU kernel is tested against.
    """
    if batch_atoms < 1:
        raise InputError(f"batch_atoms must be at least 1, got {batch_atoms}")
    target = residual.to(torch.float32)
    scores = torch.empty(codebook_size, dtype=torch.float32, device=residual.device)
    for start in range(0, codebook_size, batch_atoms):
        batch = torch.arange(start, min(start + batch_atoms, codebook_size), device=residual.device)
        scores[start : start + batch.numel()] = dense_atoms(key, batch, target.numel(), residual.device) @ target
    return scores


def dense_scores(key: AtomKey, residual: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """``s_k = <z_k, r>`` for ``k < K``: the fused native kernel on the CPU, :func:`torch_dense_scores` elsewhere."""
    if residual.device.type == "cpu":
        return native_atom_scores(key.seed, key.gop, key.position, residual, codebook_size, gaussian_table("cpu"))
    return torch_dense_scores(key, residual, codebook_size)


def dense_mix(key: AtomKey, choice: AtomChoice, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``sum_k sign_k z_k`` in float64 ``(dim,)`` over the chosen dense atoms."""
    rows = dense_atoms(key, torch.tensor(choice.indices, dtype=torch.int64), dim, device).to(torch.float64)
    signs = torch.tensor(choice.signs, dtype=torch.float64, device=rows.device)
    return signs @ rows
