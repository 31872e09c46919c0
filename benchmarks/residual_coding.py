"""Tail residual coding against 8-bit + zlib (issue #6), on the residuals a real I2V encode sends.

For each clip, the first GOP frames are encoded as one I2V GOP (``gvcodec.Encoder(..., mode="i2v")`` at
the codec defaults, for each ``--residual-steps`` value). The GOP packet's residual payload is decoded back
to its integer symbols ``q`` of shape ``(C, k, h, w)`` and its step ``s`` (re-encoding them must give the
payload back, which checks the latent geometry), and the same residual is coded three ways:

- (a) gvcodec: the payload itself, a per-channel Laplace model and a range coder (``gvcodec.residual``);
- (b) int8 + zlib: ``clip(q, -128, 127)`` as int8, zlib level 9 (the clipped symbols are counted);
- (c) the research code: ``r = s q`` min-max scaled, ``u = round(255 (r - min r) / (max r - min r))``, as
  uint8, zlib level 9, plus 8 bytes for ``min r`` and ``max r`` (float32). It is lossy on top of ``q``:
  its largest error ``max |min r + u (max r - min r) / 255 - r|`` is reported.

Saving of (a) against X: ``1 - bytes_a / bytes_X``. Also reported: the order-0 entropy of ``q``,
``-sum_v n_v log2(n_v / n) / 8`` bytes, the floor of any coder with one fixed symbol distribution.

    python benchmarks/residual_coding.py [--model nano|DIR] [--folder ../shared/testvideos]
        [--clips bear_448x256 foreman_352x288 videocall_448x256 mobile_352x288] [--gop 17]
        [--residual-steps 0.1 0.2 0.4] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from gvcodec.backbones import Backbone, load_backbone
from gvcodec.bench.machine import device_name, run_context, set_threads, write_record
from gvcodec.cli.common import run_command
from gvcodec.codec import Encoder, encode_stream, read_stream
from gvcodec.errors import InputError, StreamError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.open import open_input
from gvcodec.gop.geometry import padded_size
from gvcodec.residual import decode_residual, dequantise, encode_residual

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = REPO.parent / "shared" / "testvideos"
DEFAULT_CLIPS = ("bear_448x256", "foreman_352x288", "videocall_448x256", "mobile_352x288")
DEFAULT_STEPS = (0.1, 0.2, 0.4)
ZLIB_LEVEL = 9
MINMAX_BYTES = 8  # min r and max r as two float32


def int8_zlib(symbols: np.ndarray) -> tuple[int, int]:
    """(b): bytes of ``zlib(clip(q, -128, 127) as int8, level 9)`` and how many symbols the clip changed."""
    clipped = np.clip(symbols, -128, 127)
    return len(zlib.compress(clipped.astype(np.int8).tobytes(), ZLIB_LEVEL)), int(np.count_nonzero(clipped != symbols))


def minmax_uint8_zlib(residual: np.ndarray) -> tuple[int, float]:
    """(c): bytes of ``zlib(u, level 9) + 8`` with ``u = round(255 (r - min r) / (max r - min r))`` as uint8,
    and its largest reconstruction error ``max |min r + u (max r - min r) / 255 - r|`` (``u = 0`` for a constant r)."""
    values = residual.astype(np.float32).reshape(-1)
    low, high = np.float32(values.min()), np.float32(values.max())
    scale = (high - low) / np.float32(255) if high > low else np.float32(1)
    levels = np.round((values - low) / scale).astype(np.uint8)
    error = float(np.abs(low + levels.astype(np.float32) * scale - values).max())
    return len(zlib.compress(levels.tobytes(), ZLIB_LEVEL)) + MINMAX_BYTES, error


def entropy_bytes(symbols: np.ndarray) -> float:
    """Order-0 entropy of ``symbols`` in bytes: ``-sum_v n_v log2(n_v / n) / 8``."""
    _, counts = np.unique(symbols, return_counts=True)
    return float(-(counts * np.log2(counts / symbols.size)).sum() / 8)


@dataclass(frozen=True)
class ResidualBytes:
    """One GOP's tail residual coded the three ways (see the module docstring)."""

    tail_frames: int
    step: float
    symbols: int
    zero_share: float
    gvcodec_bytes: int
    int8_zlib_bytes: int
    int8_clipped: int
    research_bytes: int
    research_max_error: float
    entropy_bytes: float


def compare(payload: bytes, channels: int, height: int, width: int) -> ResidualBytes:
    """Decode a residual payload for a ``(channels, k, height, width)`` tail and code its symbols three ways."""
    symbols, step = decode_residual(payload, channels, height, width)
    if encode_residual(symbols, step) != payload:
        raise StreamError(
            f"the residual payload does not re-encode to itself as a ({channels}, k, {height}, {width}) latent tail: "
            "the latent geometry assumed here is wrong"
        )
    int8_bytes, clipped = int8_zlib(symbols)
    research_bytes, research_error = minmax_uint8_zlib(dequantise(symbols, step).numpy())
    return ResidualBytes(
        tail_frames=symbols.shape[1],
        step=step,
        symbols=symbols.size,
        zero_share=float(np.count_nonzero(symbols == 0) / symbols.size),
        gvcodec_bytes=len(payload),
        int8_zlib_bytes=int8_bytes,
        int8_clipped=clipped,
        research_bytes=research_bytes,
        research_max_error=research_error,
        entropy_bytes=entropy_bytes(symbols),
    )


def first_frames(path: Path, count: int) -> tuple[list[Yuv420Frame], Fraction]:
    """The first ``count`` frames of ``path`` and its frame rate."""
    with open_input(str(path)) as source:
        frames = [frame for _, frame in zip(range(count), source)]
        fps = source.info.fps
    if len(frames) < count:
        raise InputError(f"{path} has {len(frames)} frames; one {count}-frame GOP needs {count}")
    return frames, fps


def encode_i2v(backbone: Backbone, frames: Sequence[Yuv420Frame], fps: Fraction, gop: int, step: float) -> bytes:
    """The ``.gvc`` stream of ``frames`` in I2V mode at the codec defaults, residual step ``step``."""
    encoder = Encoder(
        frames[0].width, frames[0].height, fps, frame_count=len(frames), backbone=backbone,
        mode="i2v", gop=gop, residual_step=step, quiet=True,
    )
    return encode_stream(encoder, frames)


def stream_residuals(stream: bytes, backbone: Backbone) -> list[ResidualBytes]:
    """:func:`compare` for every GOP of ``stream`` that carries a residual; the tail is
    ``(C, k, H_pad / f, W_pad / f)`` with ``f`` the VAE's spatial factor."""
    header, packets = read_stream(io.BytesIO(stream))
    padded_width, padded_height = padded_size(header.width, header.height, backbone.pixel_multiple)
    factor = backbone.layout.spatial_factor
    return [
        compare(packet.residual, backbone.latent_channels, padded_height // factor, padded_width // factor)
        for packet in packets
        if packet.residual
    ]


def measure_clip(backbone: Backbone, clip: str, frames: Sequence[Yuv420Frame], fps: Fraction, gop: int, step: float) -> dict:
    """Encode one clip at one step; its residual bytes summed over its GOPs, and the savings of (a)."""
    started = time.perf_counter()
    stream = encode_i2v(backbone, frames, fps, gop, step)
    seconds = time.perf_counter() - started
    gops = stream_residuals(stream, backbone)
    if not gops:
        raise StreamError(f"the I2V stream of {clip} carries no tail residual (is --tail-frames 0 the default?)")
    summed = {key: sum(asdict(g)[key] for g in gops) for key in ("symbols", "gvcodec_bytes", "int8_zlib_bytes",
                                                                 "int8_clipped", "research_bytes", "entropy_bytes")}
    return {
        "clip": clip,
        "width": frames[0].width,
        "height": frames[0].height,
        "frames": len(frames),
        "residual_step": step,
        "tail_frames": gops[0].tail_frames,
        "stream_bytes": len(stream),
        "encode_seconds": seconds,
        **summed,
        "zero_share": sum(g.zero_share * g.symbols for g in gops) / summed["symbols"],
        "research_max_error": max(g.research_max_error for g in gops),
        **savings(summed),
        "gops": [asdict(g) for g in gops],
    }


def savings(row: dict) -> dict[str, float]:
    """``1 - bytes_a / bytes_X`` against (b) and (c), and (a) over the order-0 entropy."""
    return {
        "saving_vs_int8_zlib": 1 - row["gvcodec_bytes"] / row["int8_zlib_bytes"],
        "saving_vs_research": 1 - row["gvcodec_bytes"] / row["research_bytes"],
        "gvcodec_over_entropy": row["gvcodec_bytes"] / row["entropy_bytes"] if row["entropy_bytes"] else float("inf"),
    }


def totals(rows: Sequence[dict], steps: Sequence[float]) -> list[dict]:
    """Per step: bytes and symbols summed over the clips, and the savings of the sums."""
    keys = ("symbols", "gvcodec_bytes", "int8_zlib_bytes", "int8_clipped", "research_bytes", "entropy_bytes", "stream_bytes")
    result = []
    for step in steps:
        group = [row for row in rows if row["residual_step"] == step]
        summed = {key: sum(row[key] for row in group) for key in keys}
        result.append({"residual_step": step, "clips": len(group), **summed, **savings(summed)})
    return result


def table(result: dict) -> str:
    """The Markdown table: one row per (step, clip) and a total per step."""
    lines = [
        "| step | clip | symbols | clipped to int8 | (a) gvcodec B | (b) int8 + zlib B | saving vs (b) | "
        "(c) min-max 8-bit + zlib B | saving vs (c) | order-0 entropy B |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]

    def line(step: float, name: str, row: dict) -> str:
        return (
            f"| {step:g} | {name} | {row['symbols']} | {row['int8_clipped']} | {row['gvcodec_bytes']} | "
            f"{row['int8_zlib_bytes']} | {100 * row['saving_vs_int8_zlib']:.1f}% | {row['research_bytes']} | "
            f"{100 * row['saving_vs_research']:.1f}% | {row['entropy_bytes']:.0f} |"
        )

    for total in result["totals"]:
        step = total["residual_step"]
        for row in (r for r in result["clips"] if r["residual_step"] == step):
            lines.append(line(step, row["clip"], row))
        lines.append(line(step, "**total**", total))
    return "\n".join(lines)


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="nano", help="'nano' (default) or a Wan2.1-layout model folder with I2V")
    parser.add_argument(
        "--folder", type=Path, default=DEFAULT_FOLDER, help="folder of NAME.y4m clips (default ../shared/testvideos)"
    )
    parser.add_argument(
        "--clips", nargs="+", default=list(DEFAULT_CLIPS), help="clip names without .y4m (default: %(default)s)"
    )
    parser.add_argument("--gop", type=int, default=17, help="GOP length = frames coded per clip, one GOP (default 17)")
    parser.add_argument(
        "--residual-steps", type=float, nargs="+", default=list(DEFAULT_STEPS),
        help="residual quantiser steps, one encode each (default: %(default)s)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--json", help="write every row, the totals, the machine and the date to this JSON file")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, arguments: Sequence[str]) -> None:
    set_threads(args.threads)
    if any(not step > 0 for step in args.residual_steps):
        raise InputError(f"--residual-steps must be positive, got {args.residual_steps}")
    missing = [name for name in args.clips if not (args.folder / f"{name}.y4m").is_file()]
    if missing:
        raise InputError(f"clips {', '.join(missing)} are not in {args.folder} (expected NAME.y4m)")
    backbone = load_backbone(args.model)
    rows = []
    with tqdm(total=len(args.clips) * len(args.residual_steps), desc="I2V encodes", unit="encode") as bar:
        for clip in args.clips:
            frames, fps = first_frames(args.folder / f"{clip}.y4m", args.gop)
            for step in args.residual_steps:
                rows.append(measure_clip(backbone, clip, frames, fps, args.gop, step))
                bar.update()
    rows.sort(key=lambda row: (row["residual_step"], row["clip"]))
    result = {
        "benchmark": "residual_coding",
        "machine": device_name(torch.device("cpu")),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        **run_context(),
        "command": " ".join(["python", "benchmarks/residual_coding.py", *arguments]),
        "model": backbone.name,
        "mode": "i2v",
        "gop": args.gop,
        "latent_channels": backbone.latent_channels,
        "folder": str(args.folder),
        "residual_steps": sorted(args.residual_steps),
        "zlib_level": ZLIB_LEVEL,
        "totals": totals(rows, sorted(args.residual_steps)),
        "clips": rows,
    }
    print(
        f"{result['machine']} ({result['cpus']} CPUs, {result['threads']} threads), torch {result['torch']}, "
        f"{result['date']}: model {result['model']}, I2V, one {args.gop}-frame GOP per clip"
    )
    print(table(result))
    write_record(args.json, result)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    args = parse_arguments(arguments)
    return run_command("residual_coding.py", lambda: run(args, arguments))


if __name__ == "__main__":
    sys.exit(main())
