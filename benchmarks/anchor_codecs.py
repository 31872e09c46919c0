"""Anchor codecs compared (issue #6): libsvtav1 against libx265 intra, by rate and quality, on the eval clips.

For each clip, frames 0 and GOP - 1 (the two anchors of an FLF2V GOP, 17 frames by default) are coded with
:func:`gvcodec.anchors.code_anchor` at every CRF of each codec's sweep. A point is the two anchors' bytes,
``bpp = 8 bytes / (2 W H)``, and the mean over the two anchors of PSNR-Y and PSNR-RGB of the decoded
anchor against its source. The Bjontegaard delta rate of libsvtav1 against libx265, on PSNR-RGB (the
figure of merit) and on PSNR-Y, is taken per clip and on the average curve (each CRF's bpp and PSNR
averaged over the clips, as ``gvc-bench`` does); negative means libsvtav1 needs fewer bytes for the same
PSNR. Both codecs are also reported at their default CRF (``ANCHOR_CODECS``), the one ``gvc-enc`` uses when
``--anchor-q`` is not given.

No model is involved (so there is no ``--model``): anchors are coded by the conventional codecs alone.

    python benchmarks/anchor_codecs.py [--folder ../shared/testvideos] [--clips NAME ...] [--gop 17]
        [--crf libsvtav1=16,24,32,40,48,56] [--crf libx265=16,22,28,34,40,46] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import av
import torch
from tqdm import tqdm

from gvcodec.anchors import ANCHOR_CODECS, check_quality, code_anchor
from gvcodec.bench.bjontegaard import bd_rate
from gvcodec.bench.machine import device_name, run_context, set_threads, write_record
from gvcodec.cli.common import argument_type, run_command
from gvcodec.errors import InputError
from gvcodec.io.atomic import input_files
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.open import open_input
from gvcodec.metrics import psnr_rgb, psnr_y

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = REPO.parent / "shared" / "testvideos"
# Six CRFs per codec from near-transparent to the coarsest useful anchor, each holding the codec's default.
SWEEPS: dict[str, tuple[int, ...]] = {
    "libsvtav1": (16, 24, 32, 40, 48, 56),
    "libx265": (16, 22, 28, 34, 40, 46),
}
TEST_CODEC, REFERENCE_CODEC = "libsvtav1", "libx265"
BD_METRICS = ("psnr_rgb", "psnr_y")
AVERAGE = "average"


def parse_sweep(text: str) -> tuple[str, tuple[int, ...]]:
    """``CODEC=Q1,Q2,...`` -> ``(codec, CRFs)``, each CRF checked against the codec's range."""
    codec, _, values = text.partition("=")
    if codec not in ANCHOR_CODECS or not values:
        raise InputError(f"--crf takes CODEC=Q1,Q2,... with CODEC one of {', '.join(ANCHOR_CODECS)}, got {text!r}")
    try:
        qualities = tuple(sorted({int(value) for value in values.split(",")}))
    except ValueError as error:
        raise InputError(f"--crf {text!r}: the CRFs must be integers separated by commas") from error
    for quality in qualities:
        check_quality(codec, quality)
    return codec, qualities


def anchor_frames(path: Path, gop: int) -> list[Yuv420Frame]:
    """Frames 0 and ``gop - 1`` of ``path``."""
    with open_input(str(path)) as source:
        frames = [frame for _, frame in zip(range(gop), source)]
    if len(frames) < gop:
        raise InputError(f"{path} has {len(frames)} frames; anchors of a {gop}-frame GOP need {gop}")
    return [frames[0], frames[-1]]


def measure(frames: Sequence[Yuv420Frame], codec: str, quality: int) -> dict[str, float | int]:
    """One point: both anchors coded at CRF ``quality``; bytes, bpp, mean PSNR-Y / PSNR-RGB, seconds."""
    started = time.perf_counter()
    coded = [code_anchor(frame, codec, quality) for frame in frames]
    seconds = time.perf_counter() - started
    total = sum(len(data) for data, _ in coded)
    decoded = [picture for _, picture in coded]
    pixels = sum(frame.width * frame.height for frame in frames)
    return {
        "bytes": total,
        "bpp": 8 * total / pixels,
        "psnr_y": psnr_y(frames, decoded),
        "psnr_rgb": psnr_rgb(frames, decoded),
        "seconds": seconds,
    }


def average_curve(points: Sequence[dict], codec: str, clips: Sequence[str]) -> list[dict]:
    """``codec``'s points averaged over ``clips`` CRF by CRF (bytes, bpp, PSNR-Y, PSNR-RGB, seconds)."""
    by_quality: dict[int, list[dict]] = {}
    for point in points:
        if point["codec"] == codec:
            by_quality.setdefault(point["crf"], []).append(point)
    curve = []
    for quality, group in sorted(by_quality.items()):
        if len(group) == len(clips):
            keys = ("bytes", "bpp", "psnr_y", "psnr_rgb", "seconds")
            curve.append({"codec": codec, "crf": quality, **{key: sum(p[key] for p in group) / len(group) for key in keys}})
    return curve


def codec_bd_rate(points: Sequence[dict], metric: str) -> float | None:
    """BD-rate (%) on ``metric`` of :data:`TEST_CODEC` against :data:`REFERENCE_CODEC` over ``points``."""
    reference = [p for p in points if p["codec"] == REFERENCE_CODEC]
    test = [p for p in points if p["codec"] == TEST_CODEC]
    return bd_rate(
        [p["bpp"] for p in reference], [p[metric] for p in reference],
        [p["bpp"] for p in test], [p[metric] for p in test],
    )


def mean_or_none(values: Sequence[float | None]) -> float | None:
    """The mean of the values that are not None (None when none is)."""
    finite = [value for value in values if value is not None]
    return sum(finite) / len(finite) if finite else None


def percent(value: float | None) -> str:
    return "no overlap" if value is None else f"{value:+.1f}%"


def tables(result: dict) -> str:
    """Markdown: per clip BD-rate and both codecs at their default CRF; then the average curves."""
    defaults = {codec: ANCHOR_CODECS[codec].default_quality for codec in (TEST_CODEC, REFERENCE_CODEC)}
    heads = " | ".join(f"{codec} CRF {q}: bytes, PSNR-Y, PSNR-RGB" for codec, q in defaults.items())
    lines = [
        f"| clip | BD-rate {TEST_CODEC} vs {REFERENCE_CODEC}: PSNR-RGB | PSNR-Y | {heads} |",
        "| --- | --- | --- | --- | --- |",
    ]
    for clip in [*result["clips"], AVERAGE]:
        cells = []
        for codec in defaults:
            point = result["at_default"][clip][codec]
            cells.append(f"{point['bytes']:.0f} B, {point['psnr_y']:.2f} dB, {point['psnr_rgb']:.2f} dB")
        name = f"**{clip}**" if clip == AVERAGE else clip
        rates = " | ".join(percent(result["bd_rate"][metric][clip]) for metric in BD_METRICS)
        lines.append(f"| {name} | {rates} | {' | '.join(cells)} |")
    lines += [
        "",
        "| codec | CRF | bytes (2 anchors) | bpp | PSNR-Y | PSNR-RGB | s (2 anchors) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for codec in (TEST_CODEC, REFERENCE_CODEC):
        for point in result["average_curves"][codec]:
            lines.append(
                f"| {codec} | {point['crf']} | {point['bytes']:.0f} | {point['bpp']:.3f} | {point['psnr_y']:.2f} | "
                f"{point['psnr_rgb']:.2f} | {point['seconds']:.2f} |"
            )
    return "\n".join(lines)


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--folder", type=Path, default=DEFAULT_FOLDER, help="folder of NAME.y4m clips (default ../shared/testvideos)"
    )
    parser.add_argument("--clips", nargs="+", help="clip names without .y4m (default: every .y4m in the folder)")
    parser.add_argument("--gop", type=int, default=17, help="GOP length: the anchors are frames 0 and GOP - 1 (default 17)")
    parser.add_argument(
        "--crf", type=argument_type(parse_sweep), action="append", default=[],
        help="CODEC=Q1,Q2,... replaces a codec's CRF sweep (repeatable; defaults: "
        + "; ".join(f"{codec}={','.join(map(str, q))}" for codec, q in SWEEPS.items()) + ")",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for the metrics (default 1)")
    parser.add_argument("--json", help="write every point, the BD-rates, the machine and the date to this JSON file")
    return parser.parse_args(argv)


def clip_names(folder: Path, clips: Sequence[str] | None) -> list[str]:
    """The requested clips, or every ``.y4m`` in ``folder``; each must exist there."""
    names = list(clips) if clips else [path.stem for path in input_files(folder, "*.y4m")]
    if not names:
        raise InputError(f"no .y4m clips in {folder}")
    missing = [name for name in names if not (folder / f"{name}.y4m").is_file()]
    if missing:
        raise InputError(f"clips {', '.join(missing)} are not in {folder} (expected NAME.y4m)")
    return names


def run(args: argparse.Namespace, arguments: Sequence[str]) -> None:
    if args.gop < 2:
        raise InputError(f"--gop must be at least 2 (two distinct anchors), got {args.gop}")
    set_threads(args.threads)
    sweeps = {**SWEEPS, **dict(args.crf)}
    for codec, spec in ANCHOR_CODECS.items():
        sweeps[codec] = tuple(sorted({*sweeps[codec], spec.default_quality}))
    clips = clip_names(args.folder, args.clips)
    points: list[dict] = []
    with tqdm(total=len(clips) * sum(map(len, sweeps.values())), desc="anchor points", unit="point") as bar:
        for clip in clips:
            frames = anchor_frames(args.folder / f"{clip}.y4m", args.gop)
            for codec, qualities in sweeps.items():
                for quality in qualities:
                    points.append({"clip": clip, "codec": codec, "crf": quality, **measure(frames, codec, quality)})
                    bar.update()
    curves = {codec: average_curve(points, codec, clips) for codec in sweeps}
    by_clip = {clip: [p for p in points if p["clip"] == clip] for clip in clips}
    average_points = [p for curve in curves.values() for p in curve]
    points_by_clip = {**by_clip, AVERAGE: average_points}
    bd_rates = {
        metric: {clip: codec_bd_rate(clip_points, metric) for clip, clip_points in points_by_clip.items()}
        for metric in BD_METRICS
    }
    at_default = {
        clip: {codec: next(p for p in clip_points if p["codec"] == codec and p["crf"] == spec.default_quality)
               for codec, spec in ANCHOR_CODECS.items()}
        for clip, clip_points in points_by_clip.items()
    }
    result = {
        "benchmark": "anchor_codecs",
        "machine": device_name(torch.device("cpu")),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        **run_context(),
        "pyav": av.__version__,
        "libavcodec": ".".join(map(str, av.library_versions["libavcodec"])),
        "command": " ".join(["python", "benchmarks/anchor_codecs.py", *arguments]),
        "folder": str(args.folder),
        "clips": clips,
        "gop": args.gop,
        "anchor_frames": [0, args.gop - 1],
        "codecs": {codec: {"decoder": spec.decoder, "options": dict(spec.options), "default_crf": spec.default_quality}
                   for codec, spec in ANCHOR_CODECS.items()},
        "sweeps": {codec: list(qualities) for codec, qualities in sweeps.items()},
        "bd_rate_test": TEST_CODEC,
        "bd_rate_reference": REFERENCE_CODEC,
        "bd_rate": bd_rates,
        "mean_of_clip_bd_rates": {metric: mean_or_none([bd_rates[metric][clip] for clip in clips]) for metric in BD_METRICS},
        "at_default": at_default,
        "average_curves": curves,
        "points": points,
    }
    print(
        f"{result['machine']} ({result['cpus']} CPUs), PyAV {result['pyav']}, {result['date']}: {len(clips)} clips, "
        f"anchors = frames {result['anchor_frames']}"
    )
    print(tables(result))
    means = result["mean_of_clip_bd_rates"]
    print("mean of the per-clip BD-rates: " + ", ".join(f"{metric} {percent(means[metric])}" for metric in BD_METRICS))
    write_record(args.json, result)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    args = parse_arguments(arguments)
    return run_command("anchor_codecs.py", lambda: run(args, arguments))


if __name__ == "__main__":
    sys.exit(main())
