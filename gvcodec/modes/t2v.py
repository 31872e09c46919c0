"""T2V mode: every GOP is coded from the codebook alone, conditioned only on the stream's prompt.

GOPs are independent: GOP ``g`` covers source frames ``[g L, (g + 1) L)`` for GOP length ``L``.
"""
from __future__ import annotations

from gvcodec.modes.base import Capabilities, Frame, Mode


class T2V(Mode):
    name = "t2v"
    chained = False
    default_shift = 3.0

    def anchor_roles(self, gop_index: int, span: int) -> tuple[str, ...]:
        return ()

    def condition_frames(self, decoded: dict[str, Frame], carried: Frame | None) -> tuple[None, None]:
        return None, None

    def carry(self, outputs: list[Frame], last: Frame | None) -> None:
        return None

    def unsupported_by(self, backbone: Capabilities) -> str | None:
        if backbone.image_anchors:
            return f"conditions every GOP on CLIP tokens of {backbone.image_anchors} anchor frame(s)"
        return None


MODE = T2V()
