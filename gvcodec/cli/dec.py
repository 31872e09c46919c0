"""gvc-dec: decode a .gvc stream to .y4m (file or stdout), raw .yuv, or .mp4/.mkv through PyAV.

    gvc-dec clip.gvc -o clip.y4m
    gvc-dec < clip.gvc | ffmpeg -i - out.mp4

Arguments are checked before torch and the model are loaded.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time

from gvcodec.cli.common import add_version, argument_type, check_input_piped, check_not_terminal, run_command
from gvcodec.io.binary import open_binary_input
from gvcodec.io.frames import VideoInfo
from gvcodec.io.open import open_output
from gvcodec.io.progress import Progress, stage
from gvcodec.options import add_model_arguments, parse_memory


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gvc-dec", description="Decode a gvcodec stream.")
    parser.add_argument("input", nargs="?", default="-", help=".gvc file, or '-' for stdin (the default)")
    parser.add_argument(
        "-o", "--output", default="-", help="output .y4m/.yuv/.mp4/.mkv file, or '-' for y4m on stdout (the default)"
    )
    add_model_arguments(parser)
    parser.add_argument(
        "--max-memory", type=argument_type(parse_memory), default=None,
        help="refuse a stream whose GOPs need more memory than this, e.g. 16G (default: what the device has)",
    )
    add_version(parser)
    return parser


def decode(args: argparse.Namespace) -> None:
    started = time.monotonic()
    frames = 0
    check_not_terminal("gvc-dec", args.output, "y4m video")
    check_input_piped(args.input, "a .gvc stream")
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(open_binary_input(args.input))
        with stage(f"gvc-dec: loading model {args.model}", args.quiet, leave=True):
            from gvcodec.codec import Decoder, read_stream

            header, packets = read_stream(stream)
            decoder = Decoder(
                header, model=args.model, device=args.device, dtype=args.dtype, quiet=args.quiet,
                max_memory=args.max_memory,
            )
        info = VideoInfo(width=header.width, height=header.height, fps=header.fps, frame_count=header.frame_count)
        sink = stack.enter_context(open_output(args.output, info))
        bar = stack.enter_context(
            Progress("gvc-dec", header.frame_count, "frame", args.quiet, leave=True, log_line=False)
        )
        for packet in packets:
            for frame in decoder.decode_yuv(packet):
                sink.write(frame)
                frames += 1
            bar.update(packet.frame_count)
    print(f"gvc-dec: {frames} frames {header.width}x{header.height}, {time.monotonic() - started:.1f} s", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("gvc-dec", lambda: decode(args))


if __name__ == "__main__":
    sys.exit(main())
