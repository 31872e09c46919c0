"""FLF2V mode: every GOP is conditioned on its intra-coded first and last frames.

Neighbouring GOPs share their boundary frame: GOP ``g`` spans source frames ``[(L - 1) g, (L - 1) g + L - 1]``
(``[32 g, 32 g + 32]`` for 33-frame GOPs), GOP 0 codes its first and last frame and GOP ``g > 0`` only its
last, its first condition being GOP ``g - 1``'s decoded last anchor. ``N`` GOPs carry ``N + 1`` anchors;
the shared frame is output once, by GOP ``g - 1``.
"""
from __future__ import annotations

from gvcodec.modes.gop import GopPlan

PLAN = GopPlan(mode="flf2v", chained=True, first_anchor=True, last_anchor=True, default_shift=5.0)
