"""I2V mode: GOP 0 is conditioned on its intra-coded first frame, GOP ``g > 0`` on the decoded last
frame of GOP ``g - 1`` (an autoregressive chain; both sides use the decoded frame, so they cannot drift).

The model regenerates its condition frame as frame 0 of the GOP, so chained GOPs overlap by one frame:
GOP ``g > 0`` spans source frames ``[(L - 1) g, (L - 1) g + L - 1]`` and outputs all but its first,
which GOP ``g - 1`` already output. A clip of ``n`` frames thus takes ``ceil((n - 1) / (L - 1))`` GOPs,
and the only anchor in the stream is GOP 0's first frame.

Because the last frames seed the next GOP, by default the last 2 latent frames get more atoms and a
tail latent residual (:mod:`gvcodec.residual`).
"""
from __future__ import annotations

from gvcodec.modes.gop import GopPlan

PLAN = GopPlan(mode="i2v", chained=True, first_anchor=True, last_anchor=False, default_shift=5.0, default_tail_frames=2)
