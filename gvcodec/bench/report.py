"""gvc-bench's outputs: the CSV of every point, rate-distortion plots, and the BD-rate table."""
from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen before pyplot loads)
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter  # noqa: E402

from gvcodec.bench.bjontegaard import bd_rate  # noqa: E402
from gvcodec.codebook import DEFAULT_GENERATOR, GENERATORS  # noqa: E402

PLOTTED = ("psnr_rgb", "psnr_y", "msssim", "lpips", "vmaf")
HIGHER_IS_BETTER = {"psnr_rgb": True, "psnr_y": True, "msssim": True, "lpips": False, "vmaf": True}
BD_METRICS = ("psnr_rgb", "lpips")
AVERAGE = "average"


def write_csv(points: Sequence[dict], path: Path) -> None:
    columns = list(dict.fromkeys(key for point in points for key in point))
    with open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        writer.writerows(points)


def curves(points: Sequence[dict]) -> dict[str, dict[str, list[dict]]]:
    """``{clip: {curve: points sorted by bpp}}``; a curve is a codec, gvcodec split by mode; plus the
    ``average`` clip: each curve's points averaged over the clips that have the same setting."""
    by_clip: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for point in points:
        by_clip[point["clip"]][_curve_name(point)].append(point)
    clips = sorted(by_clip)
    average: dict[str, list[dict]] = {}
    for name in sorted({curve for clip in clips for curve in by_clip[clip]}):
        settings = defaultdict(list)
        for clip in clips:
            for point in by_clip[clip].get(name, []):
                settings[point["setting"]].append(point)
        complete = [group for group in settings.values() if len(group) == len(clips)]
        average[name] = [_mean_point(group) for group in complete]
    result = {clip: {name: sorted(pts, key=lambda p: p["bpp"]) for name, pts in by_clip[clip].items()} for clip in clips}
    result[AVERAGE] = {name: sorted(pts, key=lambda p: p["bpp"]) for name, pts in average.items() if pts}
    return result


def _curve_name(point: dict) -> str:
    """A baseline's name, or ``gvcodec MODE`` plus the generator's name for any but the default (``dense``) and
    ``anchor-q=Q`` for a chosen anchor quality and ``seed=S`` for a chosen seed: every gvcodec setting but
    the atom count."""
    if point["codec"] != "gvcodec":
        return point["codec"]
    mode, *options = point["setting"].split()
    settings = dict(option.split("=", 1) for option in options)
    generator = int(settings.get("atom_generator", DEFAULT_GENERATOR))
    generator_name = "" if generator == DEFAULT_GENERATOR else f" {GENERATORS[generator].name}"
    anchor = f" anchor-q={settings['anchor_quality']}" if "anchor_quality" in settings else ""
    seed = f" seed={settings['seed']}" if "seed" in settings else ""
    return f"gvcodec {mode}{generator_name}{anchor}{seed}"


def _mean_point(group: Sequence[dict]) -> dict:
    mean = {key: sum(p[key] for p in group) / len(group) for key in ("bpp", *PLOTTED) if key in group[0]}
    return {**mean, "setting": group[0]["setting"]}


def plot_curves(clip: str, clip_curves: dict[str, list[dict]], path: Path) -> None:
    """One PNG per clip: bpp against each metric, one line per codec."""
    metrics = [m for m in PLOTTED if any(m in p for pts in clip_curves.values() for p in pts)]
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    for axis, metric in zip(axes[0], metrics):
        for name, pts in sorted(clip_curves.items()):
            axis.plot([p["bpp"] for p in pts], [p[metric] for p in pts], marker="o", label=name)
        label_bpp_axis(axis)
        axis.set_ylabel(metric + ("" if HIGHER_IS_BETTER[metric] else " (lower is better)"))
        axis.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize="small")
    figure.suptitle(f"{clip}: rate-distortion")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def label_bpp_axis(axis: Axes) -> None:
    """A log bpp axis labelled in plain decimals (0.01, 0.02, 0.05, ...) at 1-2-5 steps, at the decades alone
    when it spans more than two, at 3 evenly spaced values when it is too narrow to hold two 1-2-5 steps;
    minor ticks unlabelled, so labels never run into each other."""
    axis.set_xscale("log")
    low, high = axis.get_xlim()
    steps = (1.0, 2.0, 5.0) if high / low <= 100 else (1.0,)
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    inside = [step * 10.0**decade for decade in decades for step in steps if low <= step * 10.0**decade <= high]
    axis.xaxis.set_major_locator(LogLocator(base=10, subs=steps) if len(inside) >= 2 else MaxNLocator(nbins=3))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.xaxis.set_minor_formatter(NullFormatter())
    axis.set_xlabel("bpp")


def bd_table(all_curves: dict[str, dict[str, list[dict]]]) -> list[dict]:
    """BD-rate of every gvcodec curve against every baseline, per clip and on the average, on PSNR and LPIPS."""
    rows = []
    for clip, clip_curves in all_curves.items():
        tests = [name for name in clip_curves if name.startswith("gvcodec")]
        anchors = [name for name in clip_curves if not name.startswith("gvcodec")]
        for test in tests:
            for anchor in anchors:
                row = {"clip": clip, "gvcodec": test, "baseline": anchor}
                for metric in BD_METRICS:
                    sign = 1 if HIGHER_IS_BETTER[metric] else -1
                    value = bd_rate(
                        [p["bpp"] for p in clip_curves[anchor]], [sign * p[metric] for p in clip_curves[anchor]],
                        [p["bpp"] for p in clip_curves[test]], [sign * p[metric] for p in clip_curves[test]],
                    )
                    row[f"bd_rate_{metric}"] = value
                rows.append(row)
    return rows


def bd_markdown(rows: Sequence[dict]) -> str:
    """The BD-rate rows as a Markdown table (percent; negative = gvcodec needs fewer bits)."""
    lines = ["| clip | gvcodec | baseline | BD-rate PSNR-RGB | BD-rate LPIPS |", "| --- | --- | --- | --- | --- |"]
    for row in rows:
        cells = [_percent(row.get(f"bd_rate_{metric}")) for metric in BD_METRICS]
        lines.append(f"| {row['clip']} | {row['gvcodec']} | {row['baseline']} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def _percent(value: float | None) -> str:
    return "no overlap" if value is None else f"{value:+.1f}%"
