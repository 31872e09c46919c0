"""Atoms of any generator: generation, the top-M search, the unit-variance mix and the initial noise."""
from __future__ import annotations

import math

import torch

from gvcodec.codebook.dense import dense_atoms, dense_mix, dense_scores
from gvcodec.codebook.keys import DENSE_GENERATOR, INITIAL_NOISE_STEP, SHIFTED_GENERATOR, AtomChoice, AtomKey
from gvcodec.codebook.shifted import shifted_atoms, shifted_mix, shifted_scores
from gvcodec.errors import InputError
from gvcodec.philox import MASK32

_ATOMS = {DENSE_GENERATOR: dense_atoms, SHIFTED_GENERATOR: shifted_atoms}
_SCORES = {DENSE_GENERATOR: dense_scores, SHIFTED_GENERATOR: shifted_scores}
_SIGNED_SUMS = {DENSE_GENERATOR: dense_mix, SHIFTED_GENERATOR: shifted_mix}


def generate_atoms(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Atoms ``z_k`` of ``key``'s codebook for ``k`` in ``indices``: float32 ``(len(indices), dim)`` on ``device``,
    the same bits on every device."""
    return _ATOMS[key.generator](key, indices, dim, device)


def atom_scores(key: AtomKey, residual: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """``s_k = <z_k, r>`` for every ``k < K`` of ``key``'s codebook: float32 ``(K,)`` on the residual's device."""
    return _SCORES[key.generator](key, residual, codebook_size)


def search_atoms(key: AtomKey, residual: torch.Tensor, codebook_size: int, atoms: int) -> AtomChoice:
    """The ``M`` atoms with the largest ``|<z_k, r>|`` among ``k < K``, with signs ``sign(<z_k, r>)`` (0 -> +1).

    ``residual`` is 1-D ``(D,)``; the scores come from :func:`atom_scores` on the residual's device.
    """
    if residual.dim() != 1:
        raise InputError(f"the residual must be a 1-D tensor (D,), got shape {tuple(residual.shape)}")
    if not 1 <= atoms <= codebook_size <= MASK32 + 1:
        raise InputError(
            f"need 1 <= atoms <= codebook size <= 2^32, got atoms={atoms}, codebook size={codebook_size}"
        )
    scores = atom_scores(key, residual, codebook_size)
    best = torch.topk(scores.abs(), atoms).indices.sort().values
    signs = torch.where(scores[best] < 0, -1, 1)
    return AtomChoice(indices=tuple(best.tolist()), signs=tuple(signs.tolist()))


def mix_atoms(key: AtomKey, choice: AtomChoice, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``z = (1 / sqrt(M)) sum_k sign_k z_k``, float32 of shape ``(dim,)``: unit variance, the injected noise.

    The sum runs in float64, where it is exact for ``M`` below about 3700 (table values are multiples
    of 2^-39 below 4.4 in magnitude), so it does not depend on the summation order: every device
    gives the same bits.
    """
    if not choice.indices:
        raise InputError("an atom choice with no atoms has no noise to mix; give it at least one atom")
    signed_sum = _SIGNED_SUMS[key.generator](key, choice, dim, device)
    return (signed_sum / math.sqrt(len(choice.indices))).to(torch.float32)

def initial_noise(seed: int, gop: int, shape: tuple[int, ...], device: torch.device | str = "cpu") -> torch.Tensor:
    """x_T of shape ``(C, F, h, w)``: latent frame ``f`` is dense atom 0 (generator 1, whatever generator the
    stream's codebook uses) of ``AtomKey(seed, gop, 0xFFFF, f)``, reshaped to ``(C, h, w)``."""
    if len(shape) != 4:
        raise InputError(f"initial noise needs a latent shape (C, F, h, w), got {shape}")
    channels, frames, height, width = shape
    first_atom = torch.zeros(1, dtype=torch.int64)
    per_frame = [
        dense_atoms(
            AtomKey(seed, gop, INITIAL_NOISE_STEP, frame, generator=DENSE_GENERATOR),
            first_atom,
            channels * height * width,
            device,
        ).reshape(channels, height, width)
        for frame in range(frames)
    ]
    return torch.stack(per_frame, dim=1)
