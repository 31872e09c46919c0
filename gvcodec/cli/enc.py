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

from gvcodec.cli.common import add_model_arguments, argument_type, atomic_output, run_command
from gvcodec.anchors import ANCHOR_CODECS, DEFAULT_ANCHOR_CODEC
from gvcodec.codebook import DEFAULT_GENERATOR, GENERATORS
from gvcodec.codec import MODES, Encoder, Packet, bits_per_pixel
from gvcodec.io.open import VideoSink, open_input, open_output, parse_fps, parse_size


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gvc-enc", description="Encode a video with gvcodec.")
    parser.add_argument("input", help=".y4m file, '-' for stdin (y4m, or raw yuv420p with -s/-r), or any file PyAV opens")
    parser.add_argument("-o", "--output", required=True, help="output .gvc file, or '-' for stdout")
    parser.add_argument("-s", "--size", type=argument_type(parse_size), help="WxH of raw yuv420p input")
    parser.add_argument("-r", "--rate", type=argument_type(parse_fps), help="frame rate of raw input, e.g. 30 or 30000/1001")
    parser.add_argument("--frames", type=int, help="encode only the first N frames")
    parser.add_argument("--mode", default="t2v", choices=MODES, help="conditioning mode (default t2v)")
    parser.add_argument("--atoms", type=int, default=64, help="atoms per (step, latent frame), the quality knob (default 64)")
    parser.add_argument(
        "--target-bpp", type=float, help="target bits per pixel over the clip; chooses the atoms of each GOP (overrides --atoms)"
    )
    parser.add_argument("--codebook", type=int, default=16384, help="codebook size K (default 16384)")
    parser.add_argument(
        "--atom-generator",
        type=int,
        default=DEFAULT_GENERATOR,
        choices=GENERATORS,
        help=f"codebook atoms: 1 dense (slow search), 2 shifted (FFT search) (default {DEFAULT_GENERATOR})",
    )
    parser.add_argument("--steps", type=int, default=20, help="sampler steps N (default 20)")
    parser.add_argument("--tail-steps", type=int, default=3, help="final uncoded ODE steps (default 3)")
    parser.add_argument("--shift", type=float, help="timestep shift (default: 3 for t2v, 5 for i2v and flf2v)")
    parser.add_argument("--g-scale", type=float, default=3.0, help="SDE noise scale g(t) = g_scale t^2 (default 3)")
    parser.add_argument("--gop", type=int, default=33, help="frames per GOP, 4k+1 (default 33)")
    parser.add_argument("--seed", type=int, default=0, help="stream seed of the codebook (default 0)")
    parser.add_argument("--prompt", default="", help="text prompt (models with a text encoder only)")
    parser.add_argument(
        "--anchor-codec",
        default=DEFAULT_ANCHOR_CODEC,
        choices=sorted(ANCHOR_CODECS),
        help=f"intra codec of the anchor frames of i2v and flf2v (default {DEFAULT_ANCHOR_CODEC})",
    )
    parser.add_argument(
        "--anchor-q",
        type=int,
        help="anchor CRF, lower is better ("
        + ", ".join(f"{name}: 0-{codec.max_quality}, default {codec.default_quality}" for name, codec in sorted(ANCHOR_CODECS.items()))
        + ")",
    )
    parser.add_argument(
        "--tail-frames", type=int, help="last latent frames given --tail-atoms atoms and a coded residual (default: 2 for i2v, 0 otherwise)"
    )
    parser.add_argument("--tail-atoms", type=int, help="atoms per step on the tail latent frames (default: 2 x --atoms)")
    parser.add_argument(
        "--residual-step", type=float, default=0.2, help="quantiser step of the tail latent residual (default 0.2)"
    )
    parser.add_argument("--recon", help="also write the encoder's reconstruction to this .y4m file")
    add_model_arguments(parser)
    return parser


def encode(args: argparse.Namespace) -> None:
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(open_input(args.input, size=args.size, fps=args.rate))
        info = source.info
        frame_total = info.frame_count if args.frames is None else min(args.frames, info.frame_count or args.frames)
        encoder = Encoder(
            info.width,
            info.height,
            info.fps,
            frame_count=frame_total,
            model=args.model,
            device=args.device,
            dtype=args.dtype,
            mode=args.mode,
            atoms=args.atoms,
            target_bpp=args.target_bpp,
            codebook=args.codebook,
            atom_generator=args.atom_generator,
            steps=args.steps,
            tail_steps=args.tail_steps,
            shift=args.shift,
            g_scale=args.g_scale,
            gop=args.gop,
            seed=args.seed,
            prompt=args.prompt,
            anchor_codec=args.anchor_codec,
            anchor_quality=args.anchor_q,
            tail_frames=args.tail_frames,
            tail_atoms=args.tail_atoms,
            residual_step=args.residual_step,
            quiet=args.quiet,
            keep_recon=args.recon is not None,
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
