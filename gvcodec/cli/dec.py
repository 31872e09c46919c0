"""gvc-dec: decode a .gvc stream to .y4m (file or stdout), raw .yuv, or .mp4/.mkv through PyAV.

    gvc-dec clip.gvc -o clip.y4m
    cat clip.gvc | gvc-dec - -o - | ffmpeg -i - out.mp4
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
import time

from tqdm import tqdm

from gvcodec.cli.common import argument_type, run_command
from gvcodec.cli.workers import add_worker_arguments, parallel_workers
from gvcodec.codec import Decoder, read_stream
from gvcodec.io.binary import open_binary_input
from gvcodec.io.frames import VideoInfo
from gvcodec.io.open import open_output
from gvcodec.options import add_model_arguments, parse_memory


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gvc-dec", description="Decode a gvcodec stream.")
    parser.add_argument("input", help=".gvc file, or '-' for stdin")
    parser.add_argument("-o", "--output", required=True, help="output .y4m/.yuv/.mp4/.mkv file, or '-' for y4m on stdout")
    add_model_arguments(parser)
    parser.add_argument(
        "--max-memory", type=argument_type(parse_memory), default=None,
        help="refuse a stream whose GOPs need more memory than this, e.g. 16G (default: what the device has)",
    )
    add_worker_arguments(parser, "decode")
    return parser


def decode(args: argparse.Namespace) -> None:
    started = time.monotonic()
    frames = 0
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(open_binary_input(args.input))
        header, packets = read_stream(stream)
        options = dict(model=args.model, device=args.device, dtype=args.dtype, quiet=args.quiet, max_memory=args.max_memory)
        workers = parallel_workers(args)
        if workers is None:
            decoder = Decoder(header, **options)
        else:
            from gvcodec.parallel import ParallelDecoder  # imports Ray: only a parallel run loads it

            decoder = stack.enter_context(ParallelDecoder(header, workers=workers, ray_address=args.ray_address, **options))
        info = VideoInfo(width=header.width, height=header.height, fps=header.fps, frame_count=header.frame_count)
        sink = stack.enter_context(open_output(args.output, info))
        bar = stack.enter_context(tqdm(total=header.frame_count, desc="gvc-dec", unit="frame", disable=args.quiet))
        # None flushes: a parallel decoder returns the frames of GOPs still decoding only then.
        for packet in itertools.chain(packets, [None]):
            for frame in decoder.decode_yuv(packet):
                sink.write(frame)
                frames += 1
                bar.update()
    print(f"gvc-dec: {frames} frames {header.width}x{header.height}, {time.monotonic() - started:.1f} s", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("gvc-dec", lambda: decode(args))


if __name__ == "__main__":
    sys.exit(main())
