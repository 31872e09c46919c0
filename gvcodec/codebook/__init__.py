"""The noise codebook: seeded Gaussian atoms, top-M atom search, the unit-variance mix and choice packing.

Two atom generators (the stream header names one), registered in :mod:`gvcodec.codebook.generators`: 1,
the dense codebook (``dense``: ``K D`` draws per search), and 2, the shifted codebook (``shifted``: a few
FFTs per search; the default).
"""
from gvcodec.codebook.dense import dense_atoms, torch_dense_atoms, torch_dense_scores
from gvcodec.codebook.gaussian import gaussian_table, normal_quantiles
from gvcodec.codebook.generators import DEFAULT_GENERATOR, GENERATORS, AtomGenerator, atom_generator, generator_list
from gvcodec.codebook.keys import DENSE_GENERATOR, INITIAL_NOISE_STEP, SHIFTED_GENERATOR, AtomChoice, AtomKey
from gvcodec.codebook.packing import pack_choices, unpack_choices
from gvcodec.codebook.search import (
    frame_scores,
    generate_atoms,
    initial_noise,
    mix_frames,
    search_frames,
)
from gvcodec.codebook.shifted import scramble, shifted_atoms
from gvcodec.combinatorial import choice_bits

__all__ = [
    "DEFAULT_GENERATOR",
    "DENSE_GENERATOR",
    "GENERATORS",
    "INITIAL_NOISE_STEP",
    "SHIFTED_GENERATOR",
    "AtomChoice",
    "AtomGenerator",
    "AtomKey",
    "atom_generator",
    "choice_bits",
    "dense_atoms",
    "frame_scores",
    "gaussian_table",
    "generate_atoms",
    "generator_list",
    "initial_noise",
    "mix_frames",
    "normal_quantiles",
    "pack_choices",
    "scramble",
    "search_frames",
    "shifted_atoms",
    "torch_dense_atoms",
    "torch_dense_scores",
    "unpack_choices",
]
