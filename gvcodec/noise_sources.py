"""Noise sources of the sampler: codebook search (encoder) and codebook replay (decoder).

Both build the injected noise of latent frame ``f`` at coded step ``i`` with the same function,
:func:`gvcodec.codebook.mix_frames` (all latent frames of a step at once), from the same
:class:`AtomChoice` list; they differ only in where the choices come from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch

from gvcodec.codebook import AtomChoice, AtomKey, mix_frames, search_frames


@dataclass(frozen=True)
class AtomLayout:
    """Where the codebook sits in a GOP: atom generator, stream seed, GOP index, codebook size and atoms per
    (step, frame)."""

    generator: int
    seed: int
    gop: int
    codebook_size: int
    atom_counts: tuple[int, ...]
    latent_frames: int

    def count(self, step: int, frame: int) -> int:
        """Atoms ``M_{i,f}`` of coded step ``i`` and latent frame ``f`` (row-major by step)."""
        return self.atom_counts[step * self.latent_frames + frame]

    def key(self, step: int, frame: int) -> AtomKey:
        return AtomKey(seed=self.seed, gop=self.gop, step=step, frame=frame, generator=self.generator)

    def keys(self, step: int) -> list[AtomKey]:
        """The keys of every latent frame at coded step ``step``."""
        return [self.key(step, frame) for frame in range(self.latent_frames)]


def _noise_from_choices(
    layout: AtomLayout, step: int, choices: Sequence[AtomChoice], like: torch.Tensor
) -> torch.Tensor:
    """``z[f] = mix_frames(keys(step), choices)[f]`` for every latent frame, shaped like ``like`` (C, F', h, w)."""
    channels, frames, height, width = like.shape
    mixed = mix_frames(layout.keys(step), choices, channels * height * width, device=like.device)
    return mixed.view(frames, channels, height, width).transpose(0, 1).contiguous().to(dtype=like.dtype)


@dataclass
class CodebookSearch:
    """Encoder side: choose, per latent frame, the atoms most aligned with ``r_f = x0[f] - x0_hat[f]``."""

    layout: AtomLayout
    target: torch.Tensor
    choices: list[AtomChoice] = field(default_factory=list)

    def noise(self, step: int, clean: torch.Tensor) -> torch.Tensor:
        gap = (self.target - clean).float().transpose(0, 1).reshape(clean.shape[1], -1)
        counts = [self.layout.count(step, frame) for frame in range(clean.shape[1])]
        step_choices = search_frames(self.layout.keys(step), gap, self.layout.codebook_size, counts)
        self.choices.extend(step_choices)
        return _noise_from_choices(self.layout, step, step_choices, clean)


@dataclass
class CodebookReplay:
    """Decoder side: replay the recorded choices, in the order the encoder made them."""

    layout: AtomLayout
    choices: Sequence[AtomChoice]

    def noise(self, step: int, clean: torch.Tensor) -> torch.Tensor:
        frames = clean.shape[1]
        step_choices = self.choices[step * frames : (step + 1) * frames]
        return _noise_from_choices(self.layout, step, step_choices, clean)
