"""T2V mode: every GOP is coded from the codebook alone, conditioned only on the stream's prompt.

GOPs are independent: GOP ``g`` covers source frames ``[g L, (g + 1) L)`` for GOP length ``L``.
"""
from __future__ import annotations

from gvcodec.modes.gop import GopPlan

PLAN = GopPlan(mode="t2v", chained=False, first_anchor=False, last_anchor=False, default_shift=3.0)
