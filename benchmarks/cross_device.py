"""Decode streams on another device than the one that encoded them (issue #9, item 4).

The clip is encoded once on each device ``A`` (keeping the encoder's reconstruction) and each stream is
decoded on each device ``B``. Per pair (A, B) it reports the PSNR of B's decode against A's recon and
against A's own decode of the same stream: model numerics differ between devices (DESIGN.md §5), so a
cross-device decode drifts; on one device the decoder must rebuild the recon bit for bit (PSNR = inf).
JSON writes an infinite PSNR as ``Infinity`` (Python's ``json`` reads it back as ``inf``).

    python benchmarks/cross_device.py [--model nano] [--clip examples/carphone_176x144_17f.y4m]
                                      [--devices cuda cpu] [--frames N] [--steps 20] [--threads N] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

from gvcodec.backbones import Backbone, load_backbone
from gvcodec.bench.machine import device_name, run_context, set_threads, write_record
from gvcodec.cli.common import run_command
from gvcodec.codec import MODES, Encoder, decode_stream, encode_stream
from gvcodec.colour import yuv420_to_rgb
from gvcodec.errors import InputError, StreamError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.open import open_input
from gvcodec.metrics.psnr import PEAK_8BIT, psnr_from_mse

DEFAULT_CLIP = Path(__file__).resolve().parents[1] / "examples" / "carphone_176x144_17f.y4m"


@dataclass(frozen=True)
class Encoded:
    """A stream encoded on one device, the encoder's reconstruction and the encoding time."""

    stream: bytes
    recon: list[Yuv420Frame]
    seconds: float


@dataclass(frozen=True)
class PairResult:
    """One (encoding device, decoding device) pair; PSNRs in dB, ``inf`` when the frames are identical."""

    encode_device: str
    decode_device: str
    stream_bytes: int
    encode_s: float
    decode_s: float
    psnr_vs_recon_db: float
    psnr_vs_encoder_device_decode_db: float | None


def clip_psnr_rgb(reference: Sequence[Yuv420Frame], distorted: Sequence[Yuv420Frame]) -> float:
    """``PSNR = 10 log10(255^2 / MSE)`` with ``MSE`` over every frame, pixel and RGB channel on the 0..255
    scale (BT.601 RGB of the 8-bit frames); ``inf`` when the clips are identical."""
    if len(reference) != len(distorted):
        raise StreamError(f"cannot compare {len(distorted)} decoded frames with {len(reference)} reference frames")
    difference = yuv420_to_rgb(reference).double() - yuv420_to_rgb(distorted).double()
    mse = difference.pow(2).mean() * (PEAK_8BIT / 2.0) ** 2
    return float(psnr_from_mse(mse.reshape(1), cap_db=math.inf)[0])


def read_frames(clip: Path, frames: int | None) -> tuple[list[Yuv420Frame], Fraction]:
    """The first ``frames`` frames of ``clip`` (all when None) and its frame rate."""
    with open_input(str(clip)) as source:
        read = list(source if frames is None else itertools.islice(source, frames))
        fps = source.info.fps
    if not read or (frames is not None and len(read) < frames):
        raise InputError(f"{clip} has {len(read)} frames; expected at least {frames or 1}")
    return read, fps


def encode(backbone: Backbone, frames: list[Yuv420Frame], fps: Fraction, steps: int, mode: str) -> Encoded:
    started = time.perf_counter()
    encoder = Encoder(
        frames[0].width,
        frames[0].height,
        fps,
        frame_count=len(frames),
        backbone=backbone,
        mode=mode,
        steps=steps,
        keep_recon=True,
        quiet=True,
    )
    stream = encode_stream(encoder, frames)
    return Encoded(stream, encoder.take_recon(), time.perf_counter() - started)


def decode(backbone: Backbone, stream: bytes) -> tuple[list[Yuv420Frame], float]:
    started = time.perf_counter()
    frames = decode_stream(stream, backbone=backbone, quiet=True)
    return frames, time.perf_counter() - started


def compare(
    backbones: dict[str, Backbone], frames: list[Yuv420Frame], fps: Fraction, steps: int, mode: str
) -> list[PairResult]:
    """Encode on every device, decode every stream on every device, and compare the decodes."""
    results = []
    for encode_device, encoder_backbone in backbones.items():
        encoded = encode(encoder_backbone, frames, fps, steps, mode)
        decodes = {device: decode(backbone, encoded.stream) for device, backbone in backbones.items()}
        home, _ = decodes[encode_device]
        for decode_device, (decoded, seconds) in decodes.items():
            results.append(
                PairResult(
                    encode_device=encode_device,
                    decode_device=decode_device,
                    stream_bytes=len(encoded.stream),
                    encode_s=encoded.seconds,
                    decode_s=seconds,
                    psnr_vs_recon_db=clip_psnr_rgb(encoded.recon, decoded),
                    psnr_vs_encoder_device_decode_db=(
                        None if decode_device == encode_device else clip_psnr_rgb(home, decoded)
                    ),
                )
            )
    return results


def table(results: list[PairResult]) -> str:
    lines = [
        "| encoded on | decoded on | bytes | PSNR vs encoder recon, dB | PSNR vs decode on encoder's device, dB "
        "| encode s | decode s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for pair in results:
        home = pair.psnr_vs_encoder_device_decode_db
        versus_home = "-" if home is None else f"{home:.2f}"
        lines.append(
            f"| {pair.encode_device} | {pair.decode_device} | {pair.stream_bytes} | {pair.psnr_vs_recon_db:.2f} | "
            f"{versus_home} | {pair.encode_s:.2f} | {pair.decode_s:.2f} |"
        )
    return "\n".join(lines)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="nano", help="'nano' or a Wan2.1-layout model folder")
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP, help="input video (default: the carphone example)")
    parser.add_argument("--frames", type=int, help="frames to code (default: all)")
    parser.add_argument(
        "--devices", nargs="+", default=["cuda", "cpu"], help="devices to encode and decode on, all pairs (default cuda cpu)"
    )
    parser.add_argument("--steps", type=int, default=20, help="N, sampler steps (default 20)")
    parser.add_argument("--mode", choices=MODES, default="t2v", help="conditioning mode (default t2v)")
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32", help="model precision")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--json", help="write the pairs, devices, torch version and date to this JSON file")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    set_threads(args.threads)
    frames, fps = read_frames(args.clip, args.frames)
    backbones = {device: load_backbone(args.model, device, args.dtype) for device in dict.fromkeys(args.devices)}
    results = compare(backbones, frames, fps, args.steps, args.mode)
    record = {
        "model": args.model,
        "clip": str(args.clip),
        "frames": len(frames),
        "width": frames[0].width,
        "height": frames[0].height,
        "dtype": args.dtype,
        "steps": args.steps,
        "mode": args.mode,
        "devices": {device: device_name(backbone.device) for device, backbone in backbones.items()},
        **run_context(),
        "pairs": [asdict(pair) for pair in results],
    }
    print(
        f"{args.model} ({args.dtype}, {args.mode}), {args.clip.name}, {len(frames)} frames, torch {record['torch']}, "
        f"{record['threads']} threads, {record['date']}; "
        + ", ".join(f"{device}: {name}" for device, name in record["devices"].items())
    )
    print(table(results))
    write_record(args.json, record)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    return run_command("cross_device.py", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
