"""gvc-enc: encode a video into a .gvc stream.

    gvc-enc clip.y4m -o clip.gvc
    ffmpeg -i x.mp4 -f yuv4mpegpipe - | gvc-enc > x.gvc
    ffmpeg -i x.mp4 -f rawvideo -pix_fmt yuv420p - | gvc-enc -s 448x256 -r 30 > x.gvc
    cat x.mp4 | gvc-enc > x.gvc

Every argument and option range is checked, and the input opened, before torch and the model are loaded.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
from typing import TYPE_CHECKING

from gvcodec.cli.common import (
    add_version,
    argument_type,
    check_input_piped,
    check_not_terminal,
    positive_int,
    run_command,
)
from gvcodec.cli.workers import add_worker_arguments, parallel_workers
from gvcodec.errors import InputError, TruncatedInputError
from gvcodec.io.binary import BinaryOutput, atomic_output
from gvcodec.io.open import VideoSink, open_input, open_output, parse_fps, parse_size
from gvcodec.io.progress import Progress, stage
from gvcodec.options import add_encoder_arguments, check_picture_size, encoder_options, options_from_arguments
from gvcodec.rate import bits_per_pixel

if TYPE_CHECKING:
    from gvcodec.codec import Encoder, Packet

GOP_1_WARNING = (
    "gvc-enc: warning: --gop 1 codes every frame as its own GOP, each with all the sampler steps and its own "
    "packet: many times the bits and time of --gop 17 or 33"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gvc-enc", description="Encode a video with gvcodec.")
    parser.add_argument(
        "input", nargs="?", default="-",
        help=".y4m file, any file PyAV opens, or '-' (the default): stdin, read as y4m, as a container "
        "(mp4, mkv, webm, ...) or as raw yuv420p with -s/-r",
    )
    parser.add_argument("-o", "--output", default="-", help="output .gvc file, or '-' for stdout (the default)")
    parser.add_argument("-s", "--size", type=argument_type(parse_size), help="WxH of raw yuv420p input")
    parser.add_argument("-r", "--rate", type=argument_type(parse_fps), help="frame rate of raw input, e.g. 30 or 30000/1001")
    parser.add_argument("--frames", type=argument_type(positive_int), help="encode only the first N frames (N >= 1)")
    add_encoder_arguments(parser)
    parser.add_argument("--recon", help="also write the encoder's reconstruction to this .y4m file")
    add_worker_arguments(parser, "encode")
    add_version(parser)
    return parser


def encode(args: argparse.Namespace) -> None:
    started = time.monotonic()
    check_not_terminal("gvc-enc", args.output, "a .gvc stream")
    check_input_piped(args.input, "a video file")
    options = encoder_options(**options_from_arguments(args))
    workers = parallel_workers(args)
    if options.gop == 1:
        print(GOP_1_WARNING, file=sys.stderr)
    truncated: TruncatedInputError | None = None
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(open_input(args.input, size=args.size, fps=args.rate))
        info = source.info
        check_picture_size(info.width, info.height)
        if info.frame_count == 0:
            raise InputError(f"{_input_name(args.input)} holds no frames")
        frame_total = info.frame_count if args.frames is None else min(args.frames, info.frame_count or args.frames)
        coding = dict(frame_count=frame_total, **options_from_arguments(args), keep_recon=args.recon is not None)
        with stage(f"gvc-enc: loading model {options.model}", args.quiet, leave=True):
            if workers is None:
                from gvcodec.codec import Encoder

                encoder = Encoder(info.width, info.height, info.fps, **coding)
            else:
                from gvcodec.parallel import ParallelEncoder  # imports Ray: only a parallel run loads it

                encoder = stack.enter_context(
                    ParallelEncoder(
                        info.width, info.height, info.fps, workers=workers, ray_address=args.ray_address, **coding
                    )
                )
        output = stack.enter_context(atomic_output(args.output))
        recon = stack.enter_context(open_output(args.recon, info)) if args.recon else None
        bar = stack.enter_context(Progress("gvc-enc", frame_total, "frame", args.quiet, leave=True, log_line=False))
        output.write(encoder.extradata)
        written, frames = len(encoder.extradata), 0
        try:
            for frame in source:
                if args.frames is not None and frames >= args.frames:
                    break
                frames += 1
                for packet in encoder.encode(frame):
                    written += _emit(packet, output, encoder, recon, bar)
        except TruncatedInputError as error:
            if frames == 0:
                raise InputError(f"{error}: there is no complete frame to encode") from error
            truncated = error
        if frames == 0:
            raise InputError(f"{_input_name(args.input)} holds no frames")
        for packet in encoder.encode(None):
            written += _emit(packet, output, encoder, recon, bar)
    elapsed = time.monotonic() - started
    bpp = bits_per_pixel(written, frames, info.width, info.height)
    print(
        f"gvc-enc: {frames} frames {info.width}x{info.height}, {written} bytes, {bpp:.5f} bpp, {elapsed:.1f} s",
        file=sys.stderr,
    )
    if truncated is not None:
        where = "stdout" if args.output == "-" else repr(args.output)
        raise InputError(f"{truncated}; the {frames} complete frames before it were encoded and kept in {where}")


def _input_name(source: str) -> str:
    return "stdin" if source == "-" else repr(source)


def _emit(packet: Packet, output: BinaryOutput, encoder: Encoder, recon: VideoSink | None, bar: Progress) -> int:
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
