"""FLF2V mode: every GOP is conditioned on its intra-coded first and last frames.

Neighbouring GOPs share their boundary frame: GOP ``g`` spans source frames ``[(L - 1) g, (L - 1) g + L - 1]``
(``[32 g, 32 g + 32]`` for 33-frame GOPs), GOP 0 codes its first and last frame and GOP ``g > 0`` only its
last, its first condition being GOP ``g - 1``'s decoded last anchor. ``N`` GOPs carry ``N + 1`` anchors;
the shared frame is output once, by GOP ``g - 1``.
"""
from __future__ import annotations

from gvcodec.modes.base import Capabilities, Frame, Mode, anchored_unsupported


class FLF2V(Mode):
    name = "flf2v"
    chained = True
    default_shift = 5.0

    def anchor_roles(self, gop_index: int, span: int) -> tuple[str, ...]:
        """GOP 0 codes ``first`` and ``last``, later GOPs ``last``; a one-frame GOP 0 codes its frame once,
        as ``first``, which also serves as the last anchor."""
        if gop_index > 0:
            return ("last",)
        return ("first",) if span == 1 else ("first", "last")

    def condition_frames(self, decoded: dict[str, Frame], carried: Frame | None) -> tuple[Frame | None, Frame | None]:
        first = decoded.get("first", carried)
        return first, decoded.get("last", first)

    def carry(self, outputs: list[Frame], last: Frame | None) -> Frame | None:
        return last

    def unsupported_by(self, backbone: Capabilities) -> str | None:
        return anchored_unsupported(backbone, self.name, 2)


MODE = FLF2V()
