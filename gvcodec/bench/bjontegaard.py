"""Bjontegaard delta rate: the average bitrate difference between two rate-distortion curves."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def bd_rate(
    anchor_bpp: Sequence[float],
    anchor_quality: Sequence[float],
    test_bpp: Sequence[float],
    test_quality: Sequence[float],
) -> float | None:
    """Average rate change of ``test`` against ``anchor`` at equal quality, in percent.

    Each curve is fitted as ``log r = p(q)`` (a polynomial of degree ``min(3, n - 1)`` in quality ``q``,
    higher = better), both fits are integrated over the overlap ``[q_lo, q_hi]`` of the two quality
    ranges, and ``BD = exp((I_test - I_anchor) / (q_hi - q_lo)) - 1``. Negative: the test needs fewer bits.
    ``None`` when the curves do not overlap in quality or a curve has fewer than two points.
    """
    curves = []
    for bpp, quality in ((anchor_bpp, anchor_quality), (test_bpp, test_quality)):
        points = sorted({(float(q), float(r)) for r, q in zip(bpp, quality) if r > 0 and math.isfinite(q)})
        if len(points) < 2:
            return None
        qualities = np.array([q for q, _ in points])
        log_rates = np.log([r for _, r in points])
        curves.append((qualities, np.polyfit(qualities, log_rates, min(3, len(points) - 1))))
    low = max(curve[0].min() for curve in curves)
    high = min(curve[0].max() for curve in curves)
    if not high > low:
        return None
    integrals = [np.polyval(np.polyint(fit), high) - np.polyval(np.polyint(fit), low) for _, fit in curves]
    return float((math.exp((integrals[1] - integrals[0]) / (high - low)) - 1) * 100)
