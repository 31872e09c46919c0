"""Latent geometry of nano v2 (issue #14): how well a linear block transform (PCA / KLT) of each geometry
reconstructs the evaluation clips, before any learning.

For each block geometry (``r`` frames x ``s x s`` pixels, first frame a still block, as
:mod:`gvcodec.backbones.block_transform` cuts a video) the block mean and covariance are measured on random
windows of the *training* clips (:func:`gvcodec.train.transform_phase.block_statistics`), and every kept
channel count ``C`` is scored on the first ``4k + 1 <= 33`` frames of each *evaluation* clip: PSNR-RGB of
``W W^T (b - mu) + mu`` against the clip. The codec's rate-distortion for a geometry is measured separately,
with ``gvc-bench`` on a model folder the recipe makes with no training time
(``python -m gvcodec.train --channels C --vae-seconds 0 --flow-seconds 0``: the PCA and the Gaussian prior).

    python benchmarks/latent_geometry.py [--train ../shared/trainvideos] [--eval ../shared/testvideos]
        [--geometry 4x8:16,32,48,64 --geometry 4x4:16,32] [--windows 400] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from gvcodec.backbones.block_transform import blocks_video, project, unproject, video_blocks
from gvcodec.bench.machine import run_context, set_threads, write_record
from gvcodec.cli.common import argument_type, run_command
from gvcodec.errors import InputError
from gvcodec.io.atomic import input_files
from gvcodec.train.data import ClipSampler, VIDEO_SUFFIXES, read_clips
from gvcodec.train.evaluate import centre_crop, read_gop
from gvcodec.train.measures import psnr_from_mse
from gvcodec.train.transform_phase import block_statistics

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_GEOMETRIES = ((4, 8, (16, 32, 48, 64)), (4, 4, (16, 32)))


def parse_geometry(text: str) -> tuple[int, int, tuple[int, ...]]:
    """``RxS:C1,C2,...`` -> ``(frames r, pixels s, channel counts)``."""
    try:
        block, _, channels = text.partition(":")
        frames, _, pixels = block.partition("x")
        counts = tuple(int(c) for c in channels.split(","))
        geometry = int(frames), int(pixels), counts
    except ValueError:
        raise InputError(f"--geometry takes RxS:C1,C2,... (e.g. 4x8:16,32), got {text!r}") from None
    r, s, counts = geometry
    if r < 1 or s < 1 or not counts or min(counts) < 1 or max(counts) > 3 * r * s * s:
        raise InputError(f"--geometry {text!r}: channel counts must lie in 1..{3 * r * s * s}")
    return geometry


def linear_psnr(video: torch.Tensor, temporal: int, spatial: int, basis: torch.Tensor, mean: torch.Tensor) -> float:
    """PSNR-RGB of the block PCA reconstruction ``W W^T (b - mu) + mu`` of ``(3, F, H, W)``."""
    video = centre_crop(video, spatial)
    blocks = video_blocks(video[None], temporal, spatial)
    reconstruction = blocks_video(unproject(project(blocks, basis, mean), basis, mean), temporal, spatial)
    return psnr_from_mse(float((reconstruction.clamp(-1.0, 1.0) - video[None]).square().mean()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, default=SHARED / "trainvideos", help="training clips (fit)")
    parser.add_argument("--eval", type=Path, default=SHARED / "testvideos", help="evaluation clips (score)")
    parser.add_argument("--geometry", type=argument_type(parse_geometry), action="append",
                        help="RxS:C1,C2,... (default 4x8:16,32,48,64 and 4x4:16,32)")
    parser.add_argument("--windows", type=int, default=400, help="training windows of 17 frames x 128^2 (default 400)")
    parser.add_argument("--max-frames", type=int, default=48, help="frames read of each training clip (default 48)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--json", help="write the results as JSON here")
    args = parser.parse_args(argv)

    def body() -> None:
        set_threads(args.threads)
        clips = read_clips(args.train, max_frames=args.max_frames)
        evaluation = {p.stem: read_gop(p, 33) for p in input_files(args.eval, "*") if p.suffix in VIDEO_SUFFIXES}
        if not evaluation:
            raise InputError(f"no evaluation clips in {args.eval}")
        rows = []
        for temporal, spatial, counts in args.geometry or DEFAULT_GEOMETRIES:
            sampler = ClipSampler(clips, 17, 128, 128, (1, 2), torch.Generator().manual_seed(0))
            statistics = block_statistics(sampler, temporal, spatial, args.windows)
            for channels in counts:
                basis, _ = statistics.basis(channels)
                scores = {name: linear_psnr(v, temporal, spatial, basis, statistics.mean) for name, v in evaluation.items()}
                values = list(scores.values())
                rows.append({"frames": temporal, "pixels": spatial, "channels": channels,
                             "ratio": 3 * temporal * spatial**2 / channels, "psnr_rgb": scores,
                             "mean": sum(values) / len(values)})
                print(f"{temporal}x{spatial}x{spatial} -> {channels}: mean {rows[-1]['mean']:.2f} dB "
                      f"({min(values):.2f} .. {max(values):.2f})", flush=True)
        write_record(args.json, {**run_context(), "windows": args.windows, "rows": rows})

    return run_command("latent_geometry", body)


if __name__ == "__main__":
    sys.exit(main())
