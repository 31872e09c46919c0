"""Atoms of any generator: generation, the top-M search, the unit-variance mix and the initial noise."""
from __future__ import annotations

import math
from typing import Sequence

import torch

from gvcodec.codebook.dense import dense_atom_rows
from gvcodec.codebook.generators import AtomGenerator, atom_generator
from gvcodec.codebook.keys import DENSE_GENERATOR, INITIAL_NOISE_STEP, AtomChoice, AtomKey
from gvcodec.errors import InputError
from gvcodec.philox import MASK32

def generate_atoms(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Atoms ``z_k`` of ``key``'s codebook for ``k`` in ``indices``: float32 ``(len(indices), dim)`` on ``device``,
    the same bits on every device."""
    return atom_generator(key.generator).atoms(key, indices, dim, device)


def _generator_of(keys: Sequence[AtomKey]) -> AtomGenerator:
    """The one generator of a batch of keys (one per latent frame)."""
    generators = {key.generator for key in keys}
    if len(generators) != 1:
        raise InputError(f"a batch of atom keys needs exactly one generator, got {sorted(generators) or 'no keys'}")
    return atom_generator(generators.pop())


def frame_scores(keys: Sequence[AtomKey], gaps: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """``s_{f,k} = <z_k, r_f>`` in the codebook of ``keys[f]`` for every ``k < K``: float32 ``(F, K)`` on the
    gaps' device. ``gaps`` is ``(F, D)``, one row per key."""
    if gaps.dim() != 2 or gaps.shape[0] != len(keys):
        raise InputError(f"need gaps of shape (F, D) with F = {len(keys)} keys, got {tuple(gaps.shape)}")
    return _generator_of(keys).scores(keys, gaps, codebook_size)


def search_frames(
    keys: Sequence[AtomKey], gaps: torch.Tensor, codebook_size: int, atoms: Sequence[int]
) -> list[AtomChoice]:
    """Per frame ``f``: the ``M_f = atoms[f]`` atoms with the largest ``|<z_k, r_f>|`` among ``k < K`` of
    ``keys[f]``'s codebook, with signs ``sign(<z_k, r_f>)`` (0 -> +1).

    ``gaps`` is ``(F, D)``; all frames are scored together on the gaps' device, and their
    choices cross to the host once.
    """
    if len(atoms) != len(keys):
        raise InputError(f"need one atom count per key, got {len(atoms)} counts for {len(keys)} keys")
    if not all(1 <= count <= codebook_size <= MASK32 + 1 for count in atoms):
        raise InputError(
            f"need 1 <= atoms <= codebook size <= 2^32, got atoms={list(atoms)}, codebook size={codebook_size}"
        )
    scores = frame_scores(keys, gaps, codebook_size)
    best = torch.topk(scores.abs(), max(atoms), dim=1).indices
    negative = torch.gather(scores, 1, best) < 0
    choices = []
    for count, indices, signs in zip(atoms, best.tolist(), negative.tolist()):
        chosen = sorted(zip(indices[:count], signs[:count]))
        signs_of_chosen = tuple(-1 if is_negative else 1 for _, is_negative in chosen)
        choices.append(AtomChoice(indices=tuple(index for index, _ in chosen), signs=signs_of_chosen))
    return choices


def mix_frames(
    keys: Sequence[AtomKey], choices: Sequence[AtomChoice], dim: int, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """``z_f = (1 / sqrt(M_f)) sum_k sign_k z_k`` over ``choices[f]`` in ``keys[f]``'s codebook: float32 ``(F, dim)``
    on ``device``, each row unit variance, the injected noise of latent frame ``f``.

    The sums run in exact float64 (:func:`gvcodec.codebook.mixing.signed_sums`), so they do not depend
    on the summation order or on which frames share a batch: every device gives the same bits.
    """
    if len(choices) != len(keys):
        raise InputError(f"need one atom choice per key, got {len(choices)} choices for {len(keys)} keys")
    if any(not choice.indices for choice in choices):
        raise InputError("an atom choice with no atoms has no noise to mix; give it at least one atom")
    signed_sums = _generator_of(keys).mixes(keys, choices, dim, torch.device(device))
    norms = torch.tensor([math.sqrt(len(choice.indices)) for choice in choices], dtype=torch.float64)
    return (signed_sums / norms.to(signed_sums.device, non_blocking=True).unsqueeze(1)).to(torch.float32)


def initial_noise(seed: int, gop: int, shape: tuple[int, ...], device: torch.device | str = "cpu") -> torch.Tensor:
    """x_T of shape ``(C, F, h, w)``: latent frame ``f`` is dense atom 0 (generator 1, whatever generator the
    stream's codebook uses) of ``AtomKey(seed, gop, 0xFFFF, f)``, reshaped to ``(C, h, w)``."""
    if len(shape) != 4:
        raise InputError(f"initial noise needs a latent shape (C, F, h, w), got {shape}")
    channels, frames, height, width = shape
    keys = [AtomKey(seed, gop, INITIAL_NOISE_STEP, frame, generator=DENSE_GENERATOR) for frame in range(frames)]
    atoms = dense_atom_rows(keys, [(0,)] * frames, channels * height * width, device)
    return atoms.reshape(frames, channels, height, width).transpose(0, 1).contiguous()
