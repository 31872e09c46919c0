"""gvc-dec: decode a .gvc stream to .y4m (file or stdout), raw .yuv, or .mp4/.mkv through PyAV.

    gvc-dec clip.gvc -o clip.y4m
    gvc-dec < clip.gvc | ffmpeg -i - out.mp4

Arguments are checked before torch and the model are loaded.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
import time
from typing import TYPE_CHECKING, Iterator

from gvcodec.cli.common import add_version, argument_type, check_input_piped, check_not_terminal, run_command
from gvcodec.cli.workers import add_worker_arguments, parallel_workers
from gvcodec.errors import InputError
from gvcodec.io.atomic import AtomicFileSink
from gvcodec.io.binary import open_binary_input
from gvcodec.io.frames import VideoInfo
from gvcodec.io.open import VideoSink, open_output
from gvcodec.io.output_errors import GuardedSink, writing
from gvcodec.io.progress import Progress, stage
from gvcodec.options import add_model_arguments, parse_memory

if TYPE_CHECKING:
    from container import GopPacket, StreamHeader
    from gvcodec.codec import Decoder
    from gvcodec.errors import StreamError


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
    parser.add_argument(
        "--ignore-errors", action="store_true",
        help="decode past a damaged or missing GOP, repeating the last good frame over its span (one warning "
        "per GOP on stderr, exit status 0)",
    )
    parser.add_argument(
        "--keep-partial", action="store_true",
        help="on a failure, keep the frames decoded before it (if any) in the output file (default: no file)",
    )
    add_worker_arguments(parser, "decode")
    add_version(parser)
    return parser


def decode(args: argparse.Namespace) -> None:
    started = time.monotonic()
    frames = 0
    check_not_terminal("gvc-dec", args.output, "y4m video")
    check_input_piped(args.input, "a .gvc stream")
    workers = parallel_workers(args)
    if workers is not None and args.ignore_errors:
        raise InputError("--ignore-errors decodes in one process: drop --workers to decode past damage")
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(open_binary_input(args.input))
        with stage(f"gvc-dec: loading model {args.model}", args.quiet, leave=True):
            from gvcodec.codec import Decoder, read_stream, read_stream_past_damage

            header, packets = (read_stream_past_damage if args.ignore_errors else read_stream)(stream)
            options = dict(
                model=args.model, device=args.device, dtype=args.dtype, quiet=args.quiet, max_memory=args.max_memory
            )
            if workers is None:
                decoder = Decoder(header, **options)
            else:
                from gvcodec.parallel import ParallelDecoder  # imports Ray: only a parallel run loads it

                decoder = stack.enter_context(
                    ParallelDecoder(header, workers=workers, ray_address=args.ray_address, **options)
                )
        info = VideoInfo(width=header.width, height=header.height, fps=header.fps, frame_count=header.frame_count)
        with writing(args.output):  # y4m on stdout writes its header at once
            sink = open_output(args.output, info)
        sink = stack.enter_context(GuardedSink(sink, args.output) if args.output == "-" else sink)
        bar = stack.enter_context(
            Progress("gvc-dec", header.frame_count, "frame", args.quiet, leave=True, log_line=False)
        )
        try:
            if args.ignore_errors:
                frames = _decode_past_damage(header, packets, decoder, sink, bar)
            else:
                # None flushes: a parallel decoder returns the frames of GOPs still decoding only then.
                for packet in itertools.chain(packets, [None]):
                    for frame in decoder.decode_yuv(packet):
                        sink.write(frame)
                        frames += 1
                        bar.update(1)
        except BaseException:
            if args.keep_partial and isinstance(sink, AtomicFileSink) and sink.frames_written:
                sink.keep()
                print(f"gvc-dec: kept the {sink.frames_written} frames decoded before the failure in {args.output}",
                      file=sys.stderr)
            raise
    print(f"gvc-dec: {frames} frames {header.width}x{header.height}, {time.monotonic() - started:.1f} s", file=sys.stderr)


def _decode_past_damage(
    header: StreamHeader, packets: Iterator[GopPacket | StreamError], decoder: Decoder, sink: VideoSink, bar: Progress
) -> int:
    """Decode every GOP that can be, conceal the others with one warning each and a summary; return the frames."""
    from gvcodec.concealment import ConcealedGop, IgnoredData, decode_past_damage

    frames, concealed, concealed_gops = 0, 0, 0
    for gop in decode_past_damage(header, packets, decoder):
        if isinstance(gop, IgnoredData):
            print(f"gvc-dec: warning: damaged data ignored: {gop.reason}", file=sys.stderr)
            continue
        if isinstance(gop, ConcealedGop):
            concealed, concealed_gops = concealed + len(gop.frames), concealed_gops + 1
            last = gop.first_frame + len(gop.frames) - 1
            print(
                f"gvc-dec: warning: GOP {gop.gop_index} (frames {gop.first_frame}-{last}) not decoded, the last good "
                f"frame repeated: {gop.reason}",
                file=sys.stderr,
            )
        for frame in gop.frames:
            sink.write(frame)
            frames += 1
        bar.update(len(gop.frames))
    if concealed:
        print(
            f"gvc-dec: warning: {concealed_gops} GOPs not decoded; {concealed} of the {frames} frames written "
            "repeat the last good frame (--ignore-errors)",
            file=sys.stderr,
        )
    return frames


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("gvc-dec", lambda: decode(args))


if __name__ == "__main__":
    sys.exit(main())
