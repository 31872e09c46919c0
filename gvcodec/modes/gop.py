"""What every mode shares about a GOP: its padded geometry and its coded trajectory.

A GOP of ``n`` source frames is coded as the smallest ``F = 4k + 1 >= n`` frames (the last frame is
repeated), at a size padded up to the backbone's pixel multiple (edges replicated). The trajectory is
:func:`gvcodec.sampler.sample_trajectory`, driven by a codebook search on the encoder and by a replay of
the recorded choices on the decoder.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm import tqdm

from gvcodec.backbones import Backbone, Condition
from gvcodec.codebook import AtomChoice, initial_noise
from gvcodec.noise import AtomLayout, CodebookReplay, CodebookSearch
from gvcodec.sampler import SamplerSettings, sample_trajectory


@dataclass(frozen=True)
class CodingParams:
    """Stream-wide coding parameters: sampler settings, seed, codebook size ``K`` and atoms ``M``."""

    sampler: SamplerSettings
    seed: int
    codebook_size: int
    atoms: int


@dataclass(frozen=True)
class CodedGop:
    """The codebook part of a GOP: per-(step, frame) atom counts and the chosen atoms, step-major."""

    coded_steps: int
    latent_frames: int
    atom_counts: tuple[int, ...]
    choices: tuple[AtomChoice, ...]


def coded_frame_count(frames: int, temporal_factor: int) -> int:
    """Smallest ``r k + 1 >= frames``: the frame count a GOP of ``frames`` source frames is coded with."""
    return temporal_factor * math.ceil((frames - 1) / temporal_factor) + 1


def padded_size(width: int, height: int, multiple: int) -> tuple[int, int]:
    """``(W, H)`` rounded up to multiples of ``multiple``."""
    return multiple * math.ceil(width / multiple), multiple * math.ceil(height / multiple)


def pad_video(video: torch.Tensor, frames: int, width: int, height: int) -> torch.Tensor:
    """Pad ``(3, n, H0, W0)`` to ``(3, frames, height, width)`` by repeating the last frame and edge pixels."""
    _, count, source_height, source_width = video.shape
    if count < frames:
        video = torch.cat([video, video[:, -1:].expand(-1, frames - count, -1, -1)], dim=1)
    if (source_height, source_width) != (height, width):
        video = F.pad(video, (0, width - source_width, 0, height - source_height), mode="replicate")
    return video


def uniform_atom_counts(params: CodingParams, latent_frames: int) -> tuple[int, ...]:
    """``M`` atoms at every (coded step, latent frame)."""
    return (params.atoms,) * (params.sampler.coded_steps * latent_frames)


def _layout(params: CodingParams, gop_index: int, atom_counts: tuple[int, ...], latent_frames: int) -> AtomLayout:
    return AtomLayout(
        seed=params.seed,
        gop=gop_index,
        codebook_size=params.codebook_size,
        atom_counts=atom_counts,
        latent_frames=latent_frames,
    )


def _progress(total: int, gop_index: int, quiet: bool, verb: str) -> tqdm:
    return tqdm(total=total, desc=f"{verb} GOP {gop_index}", unit="step", leave=False, disable=quiet)


def encode_trajectory(
    backbone: Backbone,
    condition: Condition,
    target: torch.Tensor,
    gop_index: int,
    params: CodingParams,
    atom_counts: tuple[int, ...],
    quiet: bool = False,
) -> tuple[CodedGop, torch.Tensor]:
    """Search the trajectory that lands near the target latent; return its choices and final latent."""
    latent_frames = target.shape[1]
    layout = _layout(params, gop_index, atom_counts, latent_frames)
    search = CodebookSearch(layout=layout, target=target)
    initial = initial_noise(params.seed, gop_index, tuple(target.shape)).to(target)
    with _progress(params.sampler.num_steps, gop_index, quiet, "encode") as bar:
        latent = sample_trajectory(
            lambda x, t: backbone.velocity(x, t, condition), initial, params.sampler, search, bar
        )
    coded = CodedGop(
        coded_steps=params.sampler.coded_steps,
        latent_frames=latent_frames,
        atom_counts=atom_counts,
        choices=tuple(search.choices),
    )
    return coded, latent


def decode_trajectory(
    backbone: Backbone,
    condition: Condition,
    coded: CodedGop,
    gop_index: int,
    params: CodingParams,
    latent_shape: tuple[int, int, int, int],
    quiet: bool = False,
) -> torch.Tensor:
    """Replay the recorded choices along the same trajectory and return the final latent."""
    layout = _layout(params, gop_index, coded.atom_counts, coded.latent_frames)
    replay = CodebookReplay(layout=layout, choices=coded.choices)
    initial = initial_noise(params.seed, gop_index, latent_shape).to(backbone.device)
    with _progress(params.sampler.num_steps, gop_index, quiet, "decode") as bar:
        return sample_trajectory(
            lambda x, t: backbone.velocity(x, t, condition), initial, params.sampler, replay, bar
        )
