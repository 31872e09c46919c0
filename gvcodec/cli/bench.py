"""gvc-bench: rate-distortion of gvcodec against HEVC, VVC, AV1 and H.264 over a folder of .y4m clips.

    gvc-bench ../shared/testvideos -o bench/             # full run (resumable)
    gvc-bench ../shared/testvideos -o bench/ --quick     # two clips, short, CI-sized

Writes ``points.jsonl`` (appended as points are measured; a rerun skips them), ``points.csv``,
``rd_<clip>.png`` and ``rd_average.png`` (bpp against PSNR, MS-SSIM, LPIPS and VMAF) and
``bd_rate.md`` / ``bd_rate.json`` (Bjontegaard delta rate of gvcodec against each baseline).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from gvcodec.bench.baselines import CODECS, rate_points
from gvcodec.bench.points import (
    GvcSetting,
    append_point,
    baseline_point,
    gvcodec_point,
    load_clip,
    point_key,
    read_points,
)
from gvcodec.bench.report import AVERAGE, bd_markdown, bd_table, curves, plot_curves, write_csv
from gvcodec.cli.common import add_version, run_command
from gvcodec.codec import MODES
from gvcodec.errors import InputError
from gvcodec.io.atomic import input_files
from gvcodec.io.progress import Progress
from gvcodec.metrics import METRICS
from gvcodec.options import EncoderOptions, choices_of, encoder_options

QUICK_PRESETS = {"x264": "medium", "x265": "fast", "vvenc": "faster", "svtav1": "8"}


@dataclass(frozen=True)
class Plan:
    clips: list[Path]
    frames: int
    settings: list[GvcSetting]
    baselines: list[tuple[str, int]]
    presets: dict[str, str]

DEFAULTS = EncoderOptions()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gvc-bench", description="Rate-distortion benchmark of gvcodec against conventional codecs.")
    parser.add_argument("folder", type=Path, help="folder of .y4m clips")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output folder (resumable)")
    parser.add_argument("--clips", nargs="+", help="clip names (file stems) to use; default all")
    parser.add_argument("--frames", type=int, default=33, help="frames per clip (default 33)")
    parser.add_argument(
        "--modes", nargs="+", default=[DEFAULTS.mode], choices=choices_of("mode"), help=f"gvcodec modes (default {DEFAULTS.mode})"
    )
    parser.add_argument("--atoms", nargs="+", type=int, default=[8, 32, 128], help="gvcodec atom counts (default 8 32 128)")
    parser.add_argument("--codebook", type=int, default=DEFAULTS.codebook, help=f"codebook size K (default {DEFAULTS.codebook})")
    parser.add_argument(
        "--atom-generators",
        nargs="+",
        type=int,
        default=[DEFAULTS.atom_generator],
        choices=choices_of("atom_generator"),
        help=f"gvcodec atom generators (default {DEFAULTS.atom_generator})",
    )
    parser.add_argument(
        "--anchor-q", nargs="+", type=int, help="anchor qualities of i2v and flf2v (default: the anchor codec's default)"
    )
    parser.add_argument(
        "--seeds", nargs="+", type=int, help="stream seeds, one curve each, to see the spread of RD (default: 0 alone)"
    )
    parser.add_argument("--steps", type=int, default=DEFAULTS.steps, help=f"sampler steps (default {DEFAULTS.steps})")
    parser.add_argument(
        "--codecs", nargs="*", default=list(CODECS), help=f"baselines, none for gvcodec alone (default {' '.join(CODECS)})"
    )
    parser.add_argument("--metrics", nargs="+", choices=METRICS, default=list(METRICS), help=f"metrics (default {' '.join(METRICS)})")
    parser.add_argument("--model", default=DEFAULTS.model, help=f"gvcodec model (default {DEFAULTS.model})")
    parser.add_argument("--device", default=DEFAULTS.device, help=f"cpu, cuda or cuda:N (default {DEFAULTS.device})")
    parser.add_argument("--quick", action="store_true", help="CI-sized run: 2 clips, 9 frames, small settings, fast presets")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_version(parser)
    return parser


def make_plan(args: argparse.Namespace) -> Plan:
    clips = input_files(args.folder, "*.y4m")
    if args.clips:
        wanted = set(args.clips)
        clips = [clip for clip in clips if clip.stem in wanted]
        missing = wanted - {clip.stem for clip in clips}
        if missing:
            raise InputError(f"no clip named {', '.join(sorted(missing))} in {args.folder}")
    if not clips:
        raise InputError(f"no .y4m clips in {args.folder}")
    if args.quick:
        clips = clips[:2]
        atoms, codebook, steps, frames = [4, 16], 1024, 10, 9
        baselines = [(codec, quality) for codec in args.codecs for quality in rate_points(codec)[-2:]]
        presets = {codec: QUICK_PRESETS[codec] for codec in args.codecs}
    else:
        atoms, codebook, steps, frames = args.atoms, args.codebook, args.steps, args.frames
        baselines = [(codec, quality) for codec in args.codecs for quality in rate_points(codec)]
    if frames < 1:
        raise InputError(f"--frames must be 1 or more, got {frames}")
    for m in atoms:  # the encoder's own range checks, before any clip is coded
        encoder_options(atoms=m, codebook=codebook, steps=steps, device=args.device)
        presets = {}
    settings = [
        GvcSetting(
            mode, (("atoms", m), ("codebook", codebook), ("steps", steps), ("atom_generator", generator), *anchor, *seed)
        )
        for mode in args.modes
        for anchor in _anchor_options(mode, args.anchor_q)
        for seed in ([(("seed", s),) for s in args.seeds] if args.seeds else [()])
        for generator in args.atom_generators
        for m in atoms
    ]
    return Plan(clips=clips, frames=frames, settings=settings, baselines=baselines, presets=presets)


def _anchor_options(mode: str, qualities: list[int] | None) -> list[tuple[tuple[str, int], ...]]:
    """One anchor-quality option per ``--anchor-q`` value for modes that code anchors; none otherwise or by default."""
    if not MODES[mode].codes_anchors or not qualities:
        return [()]
    return [(("anchor_quality", quality),) for quality in qualities]


def bench(args: argparse.Namespace) -> None:
    plan = make_plan(args)
    args.output.mkdir(parents=True, exist_ok=True)
    store = args.output / "points.jsonl"
    points = list(read_points(store))
    done = {point_key(point) for point in points}
    jobs = len(plan.clips) * (len(plan.settings) + len(plan.baselines))
    with Progress("gvc-bench", jobs, "point", args.quiet, leave=True) as bar:
        for path in plan.clips:
            clip = load_clip(path, plan.frames)
            workdir = args.output / "work"
            workdir.mkdir(exist_ok=True)
            for setting in plan.settings:
                if (clip.name, "gvcodec", setting.label) not in done:
                    points.append(gvcodec_point(clip, setting, args.model, args.device, args.metrics))
                    append_point(store, points[-1])
                bar.update(1)
            for codec, quality in plan.baselines:
                if (clip.name, codec, f"q={quality}") not in done:
                    points.append(baseline_point(clip, codec, quality, workdir, plan.presets.get(codec), args.metrics))
                    append_point(store, points[-1])
                bar.update(1)
    write_csv(points, args.output / "points.csv")
    all_curves = curves(points)
    for clip, clip_curves in all_curves.items():
        plot_curves(clip, clip_curves, args.output / f"rd_{clip}.png")
    rows = bd_table(all_curves)
    (args.output / "bd_rate.json").write_text(json.dumps(rows, indent=2))
    (args.output / "bd_rate.md").write_text(bd_markdown(rows))
    print(bd_markdown([row for row in rows if row["clip"] == AVERAGE]), end="")
    print(f"gvc-bench: {len(points)} points in {args.output}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("gvc-bench", lambda: bench(args))


if __name__ == "__main__":
    sys.exit(main())
