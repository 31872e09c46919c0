"""The fused native atom kernel: ``s_k = <z_k, r>`` with each atom generated on the fly and never stored.

The C source (``atoms.c``) implements generator 1 exactly as ``gvcodec.codebook`` documents it; this
module only validates arguments, splits the atom range over threads (the compiled calls release the
GIL) and hands memory to C. It knows nothing of codebook keys: callers pass the Philox key words, the
counter's position word ``(step << 16) | frame`` and the float32 quantile table.
"""
from __future__ import annotations

import functools
import importlib
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import numpy as np
import torch

from gvcodec.errors import InputError, InstallError

MASK32 = 0xFFFFFFFF
TABLE_SIZE = 1 << 16
MAX_DIM = 8 << 32
_MIN_ATOMS_PER_TASK = 64
_TASKS_PER_THREAD = 4

__all__ = ["atom_scores", "generate", "simd_available"]


@functools.cache
def _extension() -> ModuleType:
    try:
        return importlib.import_module("gvcodec.native._atoms")
    except ImportError as error:
        raise InstallError(
            "gvcodec's compiled atom kernel (gvcodec.native._atoms) is missing or does not load "
            f"({error}); the CPU atom search needs it. Reinstall gvcodec from its source folder with a "
            "C compiler available: pip install -e ."
        ) from error


def simd_available() -> bool:
    """Whether this CPU runs the AVX2 + FMA kernel (otherwise the portable C kernel runs)."""
    return bool(_extension().lib.gvc_simd_available())


def _checked_table(table: torch.Tensor) -> torch.Tensor:
    if table.dtype != torch.float32 or table.dim() != 1 or table.numel() != TABLE_SIZE or table.device.type != "cpu":
        raise InputError(
            f"the quantile table must be a 1-D float32 CPU tensor of {TABLE_SIZE} entries, got "
            f"{table.dtype} of shape {tuple(table.shape)} on {table.device}"
        )
    return table.contiguous()


def _checked_words(seed: int, gop: int, position: int) -> tuple[int, int, int]:
    if not 0 <= position <= MASK32:
        raise InputError(f"the counter position word must lie in [0, 2^32), got {position}")
    return seed & MASK32, gop & MASK32, position


def atom_scores(
    seed: int,
    gop: int,
    position: int,
    gap: torch.Tensor,
    codebook_size: int,
    table: torch.Tensor,
    threads: int | None = None,
    simd: bool = True,
) -> torch.Tensor:
    """``s_k = sum_d z_k[d] r[d]`` for ``0 <= k < K``: a float32 CPU tensor ``(K,)``.

    ``z_k`` is the atom of key ``(seed, gop)`` and position word ``position``; sums run in float64, so
    ``s_k`` is the exact inner product rounded once to float32 (up to float64 rounding of the sums).
    ``threads`` defaults to ``torch.get_num_threads()``; every score is computed by one thread alone, so
    the result does not depend on it. ``simd=False`` forces the portable kernel.
    """
    if gap.dim() != 1:
        raise InputError(f"the gap must be a 1-D tensor (D,), got shape {tuple(gap.shape)}")
    if not 0 <= codebook_size <= MASK32 + 1:
        raise InputError(f"the codebook size must lie in [0, 2^32], got {codebook_size}")
    if gap.numel() > MAX_DIM:
        raise InputError(f"atoms have at most 2^35 coordinates, got a gap of {gap.numel()}")
    threads = torch.get_num_threads() if threads is None else threads
    if threads < 1:
        raise InputError(f"threads must be at least 1, got {threads}")
    seed, gop, position = _checked_words(seed, gop, position)
    table = _checked_table(table)
    target = gap.detach().to(device="cpu", dtype=torch.float32).contiguous()
    scores = torch.empty(codebook_size, dtype=torch.float32)
    extension = _extension()
    ffi, lib = extension.ffi, extension.lib
    gap_ptr = ffi.cast("const float *", target.data_ptr())
    table_ptr = ffi.cast("const float *", table.data_ptr())
    scores_ptr = ffi.cast("float *", scores.data_ptr())

    def score_range(bounds: tuple[int, int]) -> int:
        first, end = bounds
        return lib.gvc_atom_scores(
            seed, gop, position, gap_ptr, target.numel(), first, end, table_ptr, int(simd), scores_ptr + first
        )

    per_task = max(_MIN_ATOMS_PER_TASK, -(-codebook_size // (threads * _TASKS_PER_THREAD)))
    ranges = [(first, min(first + per_task, codebook_size)) for first in range(0, codebook_size, per_task)]
    if threads == 1 or len(ranges) <= 1:
        statuses = [score_range(bounds) for bounds in ranges]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            statuses = list(pool.map(score_range, ranges))
    if any(statuses):
        raise MemoryError(f"the atom kernel could not allocate its tables for a gap of {target.numel()} values")
    return scores


def generate(
    seed: int, gop: int, position: int, indices: torch.Tensor, dim: int, table: torch.Tensor, simd: bool = True
) -> torch.Tensor:
    """Atoms ``z_k`` for ``k`` in ``indices`` from the C kernel: float32 ``(len(indices), dim)``.

    ``gvcodec.codebook.generate_atoms`` uses it on the CPU; the tests prove it equals the torch reference
    ``gvcodec.codebook.torch_generate_atoms`` bit for bit.
    """
    flat = indices.detach().to(device="cpu", dtype=torch.int64).reshape(-1)
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) > MASK32):
        raise InputError(f"atom indices must lie in [0, 2^32), got the range [{int(flat.min())}, {int(flat.max())}]")
    if not 0 <= dim <= MAX_DIM:
        raise InputError(f"atom dimension must lie in [0, 2^35], got {dim}")
    seed, gop, position = _checked_words(seed, gop, position)
    table = _checked_table(table)
    atoms = np.ascontiguousarray(flat.numpy().astype(np.uint32))
    out = torch.empty(flat.numel(), dim, dtype=torch.float32)
    extension = _extension()
    ffi, lib = extension.ffi, extension.lib
    status = lib.gvc_generate_atoms(
        seed, gop, position, ffi.from_buffer("uint32_t[]", atoms), atoms.size, dim,
        ffi.cast("const float *", table.data_ptr()), int(simd), ffi.cast("float *", out.data_ptr()),
    )
    if status:
        raise MemoryError(f"the atom kernel could not allocate its block table for atoms of {dim} coordinates")
    return out
