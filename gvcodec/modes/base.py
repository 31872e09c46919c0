"""What a conditioning mode is: a strategy that cuts a clip into GOPs and says what conditions each one.

A mode decides, for GOP ``g``: how many frames it shares with GOP ``g - 1`` (its overlap), which of its
frames are intra-coded anchors (by role, ``first`` / ``last``), which frames condition the model
(``first`` / ``last`` condition frames, from the decoded anchors and the frame carried over from GOP
``g - 1``), what it carries over to GOP ``g + 1``, and what it needs of a backbone. The GOP coder
(:mod:`gvcodec.gop.coder`) asks these questions identically on both sides.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Protocol, TypeVar

Frame = TypeVar("Frame")


class Capabilities(Protocol):
    """What a backbone can condition on (:class:`gvcodec.backbones.Backbone` has these attributes)."""

    anchored: bool
    image_anchors: int


class Mode(ABC):
    """One conditioning mode. Subclasses set the class attributes and the three anchor methods.

    ``name``: the ``--mode`` value and the container's mode name. ``chained``: GOP ``g > 0`` starts on the
    last frame of GOP ``g - 1`` (one shared frame, output once, by GOP ``g - 1``), so with GOP length ``L``
    GOP ``g`` spans source frames ``[(L - 1) g, (L - 1) g + L - 1]``. ``carries_output``: the next GOP
    starts on this GOP's decoded output, so the encoder must VAE-decode every GOP.
    """

    name: ClassVar[str]
    chained: ClassVar[bool]
    carries_output: ClassVar[bool] = False
    default_shift: ClassVar[float]
    default_tail_frames: ClassVar[int] = 0

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

    @property
    def codes_anchors(self) -> bool:
        """Whether the stream carries any intra-coded anchor (GOP 0 of any length codes all there are)."""
        return bool(self.anchor_roles(0, 2))

    def shortest_gop(self, temporal_factor: int) -> int:
        """The shortest GOP length the mode can chain with: ``r + 1`` when GOPs share a frame, else 1."""
        return 1 + temporal_factor if self.chained else 1

    @abstractmethod
    def anchor_roles(self, gop_index: int, span: int) -> tuple[str, ...]:
        """Roles of the anchors GOP ``gop_index`` codes when it spans ``span`` frames."""

    @abstractmethod
    def condition_frames(self, decoded: dict[str, Frame], carried: Frame | None) -> tuple[Frame | None, Frame | None]:
        """``(first, last)`` condition frames of a GOP from its decoded anchors by role and the frame carried
        over from the previous GOP (``None`` for GOP 0 and unchained modes)."""

    @abstractmethod
    def carry(self, outputs: list[Frame], last: Frame | None) -> Frame | None:
        """The frame the next GOP starts on, from this GOP's output frames and last condition frame."""

    @abstractmethod
    def unsupported_by(self, backbone: Capabilities) -> str | None:
        """Why ``backbone`` cannot code this mode (completing "the model ..."), or ``None`` when it can."""


ANCHOR_COUNT_WORDS = {1: "one", 2: "two"}


def anchored_unsupported(backbone: Capabilities, mode: str, anchors: int) -> str | None:
    """Why ``backbone`` cannot code a mode conditioned on ``anchors`` frames (completing "the model ..."), or
    ``None``: it needs the frame mask and condition latent, and CLIP tokens of no anchor or of exactly these."""
    if not backbone.anchored:
        return "is text-to-video only: its transformer takes no frame mask and condition latent"
    given = backbone.image_anchors
    if given not in (0, anchors):
        return (
            f"conditions every GOP on CLIP tokens of {given} anchor frame{'s' if given != 1 else ''}, "
            f"{mode} has {ANCHOR_COUNT_WORDS[anchors]}"
        )
    return None
