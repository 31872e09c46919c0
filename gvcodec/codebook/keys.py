"""What names one codebook and one choice in it: :class:`AtomKey` and :class:`AtomChoice`, and the generator ids.

Generator ids are part of the bitstream (the header's ``atom_generator``): 1 is the dense codebook
(``gvcodec.codebook.dense``), 2 the shifted codebook (``gvcodec.codebook.shifted``); the registry that
gives each id its functions is :mod:`gvcodec.codebook.generators`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from gvcodec.errors import InputError
from gvcodec.philox import MASK32

DENSE_GENERATOR = 1
SHIFTED_GENERATOR = 2
INITIAL_NOISE_STEP = 0xFFFF


def check_atom_indices(indices: Sequence[Sequence[int]]) -> None:
    """``InputError`` unless every atom index in every list lies in ``[0, 2^32)``, the range a stream can name."""
    lowest = min((min(rows) for rows in indices if len(rows)), default=0)
    highest = max((max(rows) for rows in indices if len(rows)), default=0)
    if lowest < 0 or highest > MASK32:
        raise InputError(f"atom indices must lie in [0, 2^32), got the range [{lowest}, {highest}]")


@dataclass(frozen=True)
class AtomKey:
    """Which codebook: stream seed and GOP (the Philox key), sampler step, latent frame and generator id
    (checked where the key is used, :func:`gvcodec.codebook.generators.atom_generator`)."""

    seed: int
    gop: int
    step: int
    frame: int
    generator: int = field(kw_only=True)

    def __post_init__(self) -> None:
        if not 0 <= self.step <= INITIAL_NOISE_STEP:
            raise InputError(f"sampler step must lie in [0, {INITIAL_NOISE_STEP}], got {self.step}")
        if not 0 <= self.frame <= 0xFFFF:
            raise InputError(f"latent frame index must lie in [0, 65535], got {self.frame}")

    @property
    def position(self) -> int:
        """The third Philox counter word: ``(step << 16) | frame``."""
        return (self.step << 16) | self.frame


@dataclass(frozen=True)
class AtomChoice:
    """The atoms injected at one (step, frame): ascending distinct indices and their signs (+1 / -1)."""

    indices: tuple[int, ...]
    signs: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.indices) != len(self.signs):
            raise InputError(f"{len(self.indices)} atom indices but {len(self.signs)} signs; they must pair up")
        if any(b <= a for a, b in zip(self.indices, self.indices[1:])) or (self.indices and self.indices[0] < 0):
            raise InputError(f"atom indices must be ascending, distinct and non-negative, got {self.indices}")
        if any(sign not in (1, -1) for sign in self.signs):
            raise InputError(f"atom signs must be +1 or -1, got {self.signs}")
