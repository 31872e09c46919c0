"""I2V mode: GOP 0 is conditioned on its intra-coded first frame, GOP ``g > 0`` on the decoded last
frame of GOP ``g - 1`` (an autoregressive chain; both sides use the decoded frame, so they cannot drift).

The model regenerates its condition frame as frame 0 of the GOP, so chained GOPs overlap by one frame:
GOP ``g > 0`` spans source frames ``[(L - 1) g, (L - 1) g + L - 1]`` and outputs all but its first,
which GOP ``g - 1`` already output. A clip of ``n`` frames thus takes ``ceil((n - 1) / (L - 1))`` GOPs,
and the only anchor in the stream is GOP 0's first frame.

Because the last frames seed the next GOP, by default the last 2 latent frames get more atoms and a
tail latent correction (:mod:`gvcodec.residual`).
"""
from __future__ import annotations

from gvcodec.modes.base import Capabilities, Frame, Mode, anchored_unsupported


class I2V(Mode):
    name = "i2v"
    chained = True
    carries_output = True
    default_shift = 5.0
    default_tail_frames = 2

    def anchor_roles(self, gop_index: int, span: int) -> tuple[str, ...]:
        return ("first",) if gop_index == 0 else ()

    def condition_frames(self, decoded: dict[str, Frame], carried: Frame | None) -> tuple[Frame | None, None]:
        return decoded.get("first", carried), None

    def carry(self, outputs: list[Frame], last: Frame | None) -> Frame:
        return outputs[-1]

    def unsupported_by(self, backbone: Capabilities) -> str | None:
        return anchored_unsupported(backbone, self.name, 1)


MODE = I2V()
