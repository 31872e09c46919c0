"""gvc-enc: encode a video into a .gvc stream.

    gvc-enc clip.y4m -o clip.gvc
    ffmpeg -i x.mp4 -f rawvideo -pix_fmt yuv420p - | gvc-enc -s 448x256 -r 30 - -o x.gvc
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
from typing import BinaryIO

from tqdm import tqdm

from gvcodec.cli.common import argument_type, run_command
from gvcodec.cli.workers import add_worker_arguments, parallel_workers
from gvcodec.codec import Encoder, Packet
from gvcodec.errors import InputError
from gvcodec.io.binary import atomic_output
from gvcodec.io.open import VideoSink, open_input, open_output, parse_fps, parse_size
from gvcodec.options import add_encoder_arguments, options_from_arguments
from gvcodec.rate import bits_per_pixel


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gvc-enc", description="Encode a video with gvcodec.")
    parser.add_argument("input", help=".y4m file, '-' for stdin (y4m, or raw yuv420p with -s/-r), or any file PyAV opens")
    parser.add_argument("-o", "--output", required=True, help="output .gvc file, or '-' for stdout")
    parser.add_argument("-s", "--size", type=argument_type(parse_size), help="WxH of raw yuv420p input")
    parser.add_argument("-r", "--rate", type=argument_type(parse_fps), help="frame rate of raw input, e.g. 30 or 30000/1001")
    parser.add_argument("--frames", type=int, help="encode only the first N frames")
    add_encoder_arguments(parser)
    parser.add_argument("--recon", help="also write the encoder's reconstruction to this .y4m file")
    add_worker_arguments(parser, "encode")
    return parser


def encode(args: argparse.Namespace) -> None:
    started = time.monotonic()
    if args.frames is not None and args.frames < 0:
        raise InputError(f"--frames must be 0 or more, got {args.frames}")
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(open_input(args.input, size=args.size, fps=args.rate))
        info = source.info
        frame_total = info.frame_count if args.frames is None else min(args.frames, info.frame_count or args.frames)
        shape = (info.width, info.height, info.fps)
        options = dict(frame_count=frame_total, **options_from_arguments(args), keep_recon=args.recon is not None)
        workers = parallel_workers(args)
        if workers is None:
            encoder = Encoder(*shape, **options)
        else:
            from gvcodec.parallel import ParallelEncoder  # imports Ray: only a parallel run loads it

            encoder = stack.enter_context(
                ParallelEncoder(*shape, workers=workers, ray_address=args.ray_address, **options)
            )
        output = stack.enter_context(atomic_output(args.output))
        recon = stack.enter_context(open_output(args.recon, info)) if args.recon else None
        bar = stack.enter_context(tqdm(total=frame_total, desc="gvc-enc", unit="frame", disable=args.quiet))
        output.write(encoder.extradata)
        written, frames = len(encoder.extradata), 0
        for frame in source:
            if args.frames is not None and frames >= args.frames:
                break
            frames += 1
            for packet in encoder.encode(frame):
                written += _emit(packet, output, encoder, recon, bar)
        for packet in encoder.encode(None):
            written += _emit(packet, output, encoder, recon, bar)
    elapsed = time.monotonic() - started
    bpp = bits_per_pixel(written, frames, info.width, info.height)
    print(
        f"gvc-enc: {frames} frames {info.width}x{info.height}, {written} bytes, {bpp:.5f} bpp, {elapsed:.1f} s",
        file=sys.stderr,
    )


def _emit(packet: Packet, output: BinaryIO, encoder: Encoder, recon: VideoSink | None, bar: tqdm) -> int:
    """Write one GOP packet (and its reconstruction when asked); return the bytes written."""
    output.write(packet.data)
    output.flush()
    if recon is not None:
        for frame in encoder.take_recon():
            recon.write(frame)
    bar.update(packet.duration)
    return len(packet.data)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("gvc-enc", lambda: encode(args))


if __name__ == "__main__":
    sys.exit(main())
