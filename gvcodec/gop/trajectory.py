"""A GOP's coded trajectory: stream-wide coding parameters, the atom allocation and one sampler run.

The trajectory is :func:`gvcodec.sampler.sample_trajectory` from ``x_T`` (derived from the stream seed
and the GOP index), driven by a codebook search on the encoder and by a replay of the recorded choices
on the decoder: the same call with another noise source.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from gvcodec.backbones import Backbone, Condition
from gvcodec.codebook import AtomChoice, initial_noise
from gvcodec.io.progress import Progress
from gvcodec.noise_sources import AtomLayout
from gvcodec.sampler import NoiseSource, SamplerSettings, sample_trajectory

StepCallback = Callable[[int, int, int], None]
"""Told after each sampler step of a GOP: ``(gop_index, steps_done, num_steps)`` (a player's progress)."""


@dataclass(frozen=True)
class CodingParams:
    """Stream-wide coding parameters: sampler settings, atom generator, seed, codebook size ``K`` and atoms ``M``."""

    sampler: SamplerSettings
    atom_generator: int
    seed: int
    codebook_size: int
    atoms: int

    def layout(self, gop_index: int, atom_counts: tuple[int, ...], latent_frames: int) -> AtomLayout:
        """Where GOP ``gop_index``'s codebook sits, with ``atom_counts`` atoms per (coded step, latent frame)."""
        return AtomLayout(
            generator=self.atom_generator,
            seed=self.seed,
            gop=gop_index,
            codebook_size=self.codebook_size,
            atom_counts=atom_counts,
            latent_frames=latent_frames,
        )


@dataclass(frozen=True)
class CodedGop:
    """The codebook part of a GOP: per-(step, frame) atom counts and the chosen atoms, step-major."""

    coded_steps: int
    latent_frames: int
    atom_counts: tuple[int, ...]
    choices: tuple[AtomChoice, ...]


def tail_atom_counts(params: CodingParams, latent_frames: int, tail_frames: int, tail_atoms: int) -> tuple[int, ...]:
    """Adaptive allocation: ``M_tail`` atoms on the last ``tail_frames`` latent frames, ``M`` elsewhere, at
    every coded step (step-major, like the packet's atom counts)."""
    first_tail = latent_frames - tail_frames
    per_step = tuple(tail_atoms if frame >= first_tail else params.atoms for frame in range(latent_frames))
    return per_step * params.sampler.coded_steps


def run_trajectory(
    backbone: Backbone,
    condition: Condition,
    params: CodingParams,
    gop_index: int,
    source: NoiseSource,
    quiet: bool,
    verb: str,
    on_step: StepCallback | None = None,
) -> torch.Tensor:
    """The final latent ``x_0`` of GOP ``gop_index``'s trajectory from ``x_T = initial_noise(seed, gop)``,
    its coded steps' noise taken from ``source`` (``verb`` labels the progress bar; ``on_step`` is told each step)."""
    initial = initial_noise(params.seed, gop_index, condition.latent_shape).to(backbone.device)
    bar = Progress(f"{verb} GOP {gop_index}", params.sampler.num_steps, "step", quiet)

    def step_done(done: int) -> None:
        bar.update(1)
        if on_step is not None:
            on_step(gop_index, done, params.sampler.num_steps)

    with bar:
        return sample_trajectory(lambda x, t: backbone.velocity(x, t, condition), initial, params.sampler, source, step_done)
