"""What every mode shares about a GOP: its plan, padded geometry and coded trajectory.

A GOP of ``n`` source frames is coded as the smallest ``F = 4k + 1 >= n`` frames (the last frame is
repeated), at a size padded up to the backbone's pixel multiple (edges replicated). The trajectory is
:func:`gvcodec.sampler.sample_trajectory`, driven by a codebook search on the encoder and by a replay of
the recorded choices on the decoder. Modes differ only in their :class:`GopPlan` and in the anchor
frames they pass as the condition; the loop is the same.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.nn.functional as F
from tqdm import tqdm

from gvcodec.backbones import Backbone, Condition
from gvcodec.codebook import AtomChoice, initial_noise
from gvcodec.noise import AtomLayout, CodebookReplay, CodebookSearch
from gvcodec.sampler import SamplerSettings, sample_trajectory

Frame = TypeVar("Frame")


@dataclass(frozen=True)
class CodingParams:
    """Stream-wide coding parameters: sampler settings, atom generator, seed, codebook size ``K`` and atoms ``M``."""

    sampler: SamplerSettings
    atom_generator: int
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


@dataclass(frozen=True)
class GopPlan:
    """How a mode cuts a clip into GOPs and which anchor frames each GOP codes.

    ``chained``: GOP ``g > 0`` starts on the last frame of GOP ``g - 1`` (one shared frame, output once,
    by GOP ``g - 1``), so with GOP length ``L`` GOP ``g`` spans source frames ``[(L - 1) g, (L - 1) g + L - 1]``.
    ``first_anchor``: GOP 0 carries an intra-coded first frame. ``last_anchor``: every GOP carries an
    intra-coded last frame, which is also the next GOP's first condition frame.
    """

    mode: str
    chained: bool
    first_anchor: bool
    last_anchor: bool
    default_shift: float
    default_tail_frames: int = 0

    def overlap(self, gop_index: int) -> int:
        """Frames GOP ``gop_index`` shares with the previous GOP (0 or 1)."""
        return int(self.chained and gop_index > 0)

    def new_frames(self, gop_index: int, gop_length: int) -> int:
        """Source frames a full GOP ``gop_index`` adds to the output: ``L`` minus its overlap."""
        return gop_length - self.overlap(gop_index)

    def gop_frame_ranges(self, total_frames: int, gop_length: int) -> list[tuple[int, int]]:
        """``[(first, count), ...]`` of the new (output) frames of each GOP covering ``total_frames`` frames."""
        ranges, first = [], 0
        while first < total_frames:
            count = min(self.new_frames(len(ranges), gop_length), total_frames - first)
            ranges.append((first, count))
            first += count
        return ranges

    def anchor_roles(self, gop_index: int, span: int) -> tuple[str, ...]:
        """Roles of the anchors GOP ``gop_index`` codes when it spans ``span`` frames.

        A one-frame span codes its frame once, as ``first``; it also serves as the last anchor.
        """
        roles = []
        if self.first_anchor and gop_index == 0:
            roles.append("first")
        if self.last_anchor and not (span == 1 and roles):
            roles.append("last")
        return tuple(roles)

    def condition_frames(
        self, decoded: dict[str, Frame], carried: Frame | None
    ) -> tuple[Frame | None, Frame | None]:
        """``(first, last)`` condition frames of a GOP from its decoded anchors by role and the frame carried
        over from the previous GOP (``None`` for GOP 0 and unchained modes)."""
        first = decoded.get("first", carried)
        last = decoded.get("last", first) if self.last_anchor else None
        return first, last

    @property
    def carries_output(self) -> bool:
        """Whether the next GOP starts on this GOP's decoded output (I2V), so the encoder must decode it."""
        return self.chained and not self.last_anchor

    def carry(self, outputs: list[Frame], last: Frame | None) -> Frame | None:
        """The frame the next GOP starts on: the last condition frame when GOPs carry a last anchor, else
        the GOP's last output frame (the chain of I2V); ``None`` when GOPs are independent."""
        if not self.chained:
            return None
        return last if self.last_anchor else outputs[-1]


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


def tail_atom_counts(params: CodingParams, latent_frames: int, tail_frames: int, tail_atoms: int) -> tuple[int, ...]:
    """Adaptive allocation: ``M_tail`` atoms on the last ``tail_frames`` latent frames, ``M`` elsewhere, at
    every coded step (step-major, like the packet's atom counts)."""
    first_tail = latent_frames - tail_frames
    per_step = tuple(tail_atoms if frame >= first_tail else params.atoms for frame in range(latent_frames))
    return per_step * params.sampler.coded_steps


def _layout(params: CodingParams, gop_index: int, atom_counts: tuple[int, ...], latent_frames: int) -> AtomLayout:
    return AtomLayout(
        generator=params.atom_generator,
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


def encode_gop(
    backbone: Backbone,
    video: torch.Tensor,
    gop_index: int,
    params: CodingParams,
    prompt: str,
    atom_counts: tuple[int, ...],
    first: torch.Tensor | None = None,
    last: torch.Tensor | None = None,
    quiet: bool = False,
) -> tuple[CodedGop, torch.Tensor, torch.Tensor]:
    """Code one padded GOP ``(3, F, H, W)`` conditioned on optional ``(3, H, W)`` anchor frames.

    Returns the coded choices, the trajectory's final latent and the target latent (the VAE latent of
    ``video``), both ``(C, F', h, w)``.
    """
    _, frames, height, width = video.shape
    condition = backbone.condition(prompt, frames, height, width, first=first, last=last)
    target = backbone.encode_video(video.to(backbone.device))
    coded, latent = encode_trajectory(backbone, condition, target, gop_index, params, atom_counts, quiet)
    return coded, latent, target


def decode_gop(
    backbone: Backbone,
    coded: CodedGop,
    gop_index: int,
    params: CodingParams,
    prompt: str,
    frames: int,
    height: int,
    width: int,
    first: torch.Tensor | None = None,
    last: torch.Tensor | None = None,
    quiet: bool = False,
) -> torch.Tensor:
    """Replay one GOP of ``frames`` padded frames from its coded choices; return its final latent."""
    condition = backbone.condition(prompt, frames, height, width, first=first, last=last)
    return decode_trajectory(backbone, condition, coded, gop_index, params, condition.latent_shape, quiet)
