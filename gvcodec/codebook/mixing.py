"""Signed sums of the chosen atoms of several latent frames at once, in exact float64 arithmetic.

Everything that says which atoms and signs is built on the host and sent with non-blocking copies, so
mixing never waits for the device: on a GPU its kernels queue behind the model call in flight.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from gvcodec.codebook.keys import AtomChoice

# Atom coordinates materialised at once (float32 rows plus their float64 copy), by device type: on the CPU,
# temporaries that stay in cache; on GPUs, few large launches.
MIX_CHUNK_ELEMENTS = {"cpu": 1 << 19, "cuda": 1 << 26}

AtomRows = Callable[[int, int], torch.Tensor]


def frame_groups(counts: Sequence[int], dim: int, elements: int) -> list[tuple[int, int]]:
    """Runs ``(first, end)`` of consecutive frames whose ``sum counts[first:end] * dim`` stays within ``elements``;
    a frame that alone exceeds it forms a run of its own."""
    groups: list[tuple[int, int]] = []
    first, rows = 0, 0
    for frame, count in enumerate(counts):
        if frame > first and (rows + count) * dim > elements:
            groups.append((first, frame))
            first, rows = frame, 0
        rows += count
    if counts:
        groups.append((first, len(counts)))
    return groups


def sign_matrix(choices: Sequence[AtomChoice]) -> torch.Tensor:
    """The block-diagonal ``W`` (float64 ``(F, sum_f M_f)``): ``W[f, r] = sign_r`` where row ``r`` is an atom of
    frame ``f``, else 0."""
    counts = torch.tensor([len(choice.indices) for choice in choices], dtype=torch.int64)
    frame_of_row = torch.repeat_interleave(torch.arange(len(choices)), counts)
    weights = torch.zeros(len(choices), frame_of_row.numel(), dtype=torch.float64)
    signs = [sign for choice in choices for sign in choice.signs]
    weights[frame_of_row, torch.arange(frame_of_row.numel())] = torch.tensor(signs, dtype=torch.float64)
    return weights


def signed_sums(choices: Sequence[AtomChoice], dim: int, device: torch.device, rows_of: AtomRows) -> torch.Tensor:
    """``S[f] = sum_i sign_{f,i} a_{f,i}`` for every frame ``f``: float64 ``(F, dim)`` on ``device``.

    ``rows_of(first, end)`` gives the atoms ``a_{f,i}`` of frames ``first .. end - 1`` (float32, one row per
    chosen atom, frames in turn); each run of frames is one product ``W A`` with their block-diagonal sign
    matrix ``W``. Atom coordinates are table values, multiples of 2^-39 below 4.4 in magnitude, so float64
    sums of fewer than about 3700 of them are exact: no order of summation, and so no device, changes a bit.
    """
    counts = [len(choice.indices) for choice in choices]
    sums = torch.empty(len(choices), dim, dtype=torch.float64, device=device)
    elements = MIX_CHUNK_ELEMENTS.get(device.type, MIX_CHUNK_ELEMENTS["cuda"])
    for first, end in frame_groups(counts, dim, elements):
        weights = sign_matrix(choices[first:end]).to(device, non_blocking=True)
        torch.matmul(weights, rows_of(first, end).to(torch.float64), out=sums[first:end])
    return sums
