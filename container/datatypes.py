"""The in-memory form of a stream: plain frozen dataclasses, one per structure of ``schema.py``."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from container.schema import ATOM_GENERATOR, FORMAT_VERSION


@dataclass(frozen=True)
class SamplerParams:
    """The sampler settings the decoder must reproduce (DESIGN.md section 1)."""

    num_steps: int
    tail_steps: int
    shift: float
    g_scale: float
    codebook_size: int
    atoms: int
    seed: int


@dataclass(frozen=True)
class StreamHeader:
    """Everything a decoder needs before the first GOP packet.

    ``frame_count`` is ``None`` when unknown (a stream written to a pipe); ``mode`` is one of
    ``"t2v"``, ``"i2v"``, ``"flf2v"``.
    """

    width: int
    height: int
    fps: Fraction
    frame_count: int | None
    mode: str
    gop_length: int
    fingerprint: bytes
    sampler: SamplerParams
    prompt: str
    pixel_format: str = "yuv420p"
    atom_generator: int = ATOM_GENERATOR
    format_version: int = FORMAT_VERSION


@dataclass(frozen=True)
class Anchor:
    """An intra-coded anchor frame of a GOP; ``role`` is ``"first"`` or ``"last"``."""

    role: str
    codec: str
    quality: int
    data: bytes


@dataclass(frozen=True)
class GopPacket:
    """One GOP: its frame range, anchors, per-(step, latent frame) atom counts and coded payloads.

    ``atom_counts`` is row major, step then latent frame, ``coded_steps * latent_frames`` values.
    Sequences given as lists are stored as tuples, so equal packets compare equal.
    """

    gop_index: int
    first_frame: int
    frame_count: int
    anchors: tuple[Anchor, ...]
    coded_steps: int
    latent_frames: int
    atom_counts: tuple[int, ...]
    choices: bytes
    residual: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors", tuple(self.anchors))
        object.__setattr__(self, "atom_counts", tuple(self.atom_counts))


@dataclass(frozen=True)
class PacketRecord:
    """A packet as read from a stream, with its size on disk split by purpose.

    ``sections`` has the keys ``"anchors"`` (anchor data), ``"codebook"`` (the choices payload),
    ``"residual"`` (the residual payload) and ``"framing"`` (every other byte: sync, lengths, counts,
    atom counts, CRC); they sum to ``size`` exactly.
    """

    packet: GopPacket
    size: int
    sections: dict[str, int]
