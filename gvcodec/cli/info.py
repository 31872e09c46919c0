"""gvc-info: the header fields and the per-GOP byte and bit counts of a .gvc stream.

The counts add up to the file size exactly: header bytes + the sum of every packet's bytes, and each
packet's bytes split into anchors, codebook, residual and framing.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any, BinaryIO

from container import ContainerError, StreamReader
from gvcodec.cli.common import add_version, run_command
from gvcodec.combinatorial import choice_bits
from gvcodec.errors import stream_error
from gvcodec.io.binary import open_binary_input


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gvc-info", description="Describe a gvcodec stream.")
    parser.add_argument("input", help=".gvc file, or '-' for stdin")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_version(parser)
    return parser


def stream_report(stream: BinaryIO) -> dict[str, Any]:
    """Header fields, per-GOP sections and totals of a stream, as plain JSON-ready data."""
    try:
        reader = StreamReader(stream)
        records = list(reader)
    except ContainerError as error:
        raise stream_error(error) from error
    header = reader.header
    sampler = header.sampler
    gops = []
    for record in records:
        packet = record.packet
        gops.append(
            {
                "gop": packet.gop_index,
                "first_frame": packet.first_frame,
                "frames": packet.frame_count,
                "bytes": record.size,
                "sections": dict(record.sections),
                "anchors": len(packet.anchors),
                "coded_steps": packet.coded_steps,
                "latent_frames": packet.latent_frames,
                "codebook_bits_per_step_frame": [choice_bits(sampler.codebook_size, m) for m in packet.atom_counts],
            }
        )
    frames = sum(g["frames"] for g in gops)
    total = reader.header_size + sum(g["bytes"] for g in gops)
    header_fields = asdict(header)
    header_fields["fps"] = str(header.fps)
    header_fields["fingerprint"] = header.fingerprint.hex()
    return {
        "header": header_fields,
        "header_bytes": reader.header_size,
        "gops": gops,
        "frames": frames,
        "total_bytes": total,
        "bpp": 8 * total / (frames * header.width * header.height) if frames else None,
    }


def _print_text(report: dict[str, Any]) -> None:
    header = report["header"]
    sampler = header["sampler"]
    print(f"gvcodec stream, format {header['format_version']}, mode {header['mode']}")
    print(f"  {header['width']}x{header['height']} @ {header['fps']} fps, {report['frames']} frames, GOP {header['gop_length']}")
    print(
        f"  sampler: N={sampler['num_steps']} tail={sampler['tail_steps']} shift={sampler['shift']} "
        f"g={sampler['g_scale']} K={sampler['codebook_size']} M={sampler['atoms']} seed={sampler['seed']} "
        f"atom generator {header['atom_generator']}"
    )
    print(f"  model fingerprint {header['fingerprint']}")
    print(f"  prompt {header['prompt']!r}")
    print(f"  header: {report['header_bytes']} bytes")
    for gop in report["gops"]:
        parts = ", ".join(f"{name} {size}" for name, size in gop["sections"].items())
        print(f"  GOP {gop['gop']}: frames {gop['first_frame']}+{gop['frames']}, {gop['bytes']} bytes ({parts})")
    bpp = report["bpp"]
    print(f"  total: {report['total_bytes']} bytes" + (f", {bpp:.5f} bpp" if bpp is not None else ""))


def info(args: argparse.Namespace) -> None:
    with open_binary_input(args.input) as stream:
        report = stream_report(stream)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        _print_text(report)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("gvc-info", lambda: info(args))


if __name__ == "__main__":
    sys.exit(main())
