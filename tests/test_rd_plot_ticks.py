"""The bpp axis of the RD plots: plain decimal labels that never overlap, on narrow and wide rate ranges."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from gvcodec.bench.report import label_bpp_axis


@pytest.mark.parametrize("bpps", [(0.021, 0.062), (0.004, 0.5), (0.0005, 2.0), (0.11, 0.13)])
def test_bpp_tick_labels_are_plain_decimals_that_do_not_overlap(bpps: tuple[float, float]) -> None:
    figure, axis = plt.subplots(figsize=(4.2, 3.6))
    axis.plot(bpps, (20, 30), marker="o")
    label_bpp_axis(axis)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    labels = [label for label in axis.get_xticklabels(which="both") if label.get_text() and label.get_visible()]
    low, high = axis.get_xlim()
    shown = [label for label in labels if low <= label.get_position()[0] <= high]
    boxes = sorted((label.get_window_extent(renderer) for label in shown), key=lambda box: box.x0)
    plt.close(figure)
    assert len(shown) >= 1
    assert all("times" not in label.get_text() and "^" not in label.get_text() for label in shown)
    assert all(left.x1 < right.x0 for left, right in zip(boxes, boxes[1:]))
