"""The atom generators, registered once: id (the stream header's ``atom_generator``), name, and how each
generates atoms, scores a codebook against gaps and mixes chosen atoms.

Everything else that names generators (the encoder option and its help, the decoder's check, ``gvc-bench``'s
labels) is derived from :data:`GENERATORS`; the container's list is checked against it by a test.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from gvcodec.codebook.dense import dense_atoms, dense_mixes, dense_scores
from gvcodec.codebook.keys import DENSE_GENERATOR, SHIFTED_GENERATOR, AtomChoice, AtomKey
from gvcodec.codebook.shifted import shifted_atoms, shifted_mixes, shifted_scores
from gvcodec.errors import InputError


@dataclass(frozen=True)
class AtomGenerator:
    """One generator: ``atoms(key, indices, D, device)`` -> ``(n, D)`` atoms; ``scores(keys, gaps, K)`` ->
    ``(F, K)`` inner products; ``mixes(keys, choices, D, device)`` -> ``(F, D)`` exact float64 signed sums."""

    id: int
    name: str
    summary: str
    atoms: Callable[[AtomKey, torch.Tensor, int, torch.device | str], torch.Tensor]
    scores: Callable[[Sequence[AtomKey], torch.Tensor, int], torch.Tensor]
    mixes: Callable[[Sequence[AtomKey], Sequence[AtomChoice], int, torch.device], torch.Tensor]


GENERATORS: dict[int, AtomGenerator] = {
    generator.id: generator
    for generator in (
        AtomGenerator(DENSE_GENERATOR, "dense", "slow search", dense_atoms, dense_scores, dense_mixes),
        AtomGenerator(SHIFTED_GENERATOR, "shifted", "FFT search", shifted_atoms, shifted_scores, shifted_mixes),
    )
}
DEFAULT_GENERATOR = SHIFTED_GENERATOR


def atom_generator(generator: int) -> AtomGenerator:
    """The generator with id ``generator``, or ``InputError`` naming the ones this release implements."""
    if generator not in GENERATORS:
        raise InputError(f"atom generator {generator} is not implemented; this release implements {generator_list()}")
    return GENERATORS[generator]


def generator_list() -> str:
    """``1 dense (slow search), 2 shifted (FFT search)``: every generator for help texts and messages."""
    return ", ".join(f"{g.id} {g.name} ({g.summary})" for g in GENERATORS.values())
