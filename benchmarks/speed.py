"""Time one GOP through the encoder and the decoder, split into stages (issue #9, item 3).

Stages: VAE encode, model calls (velocity), atom search, noise mixing (the chosen atoms regenerated),
entropy coding (index-set ranks + signs, tail residual), VAE decode, and the rest ("other": colour
conversion, x_T, the SDE steps). The backbone is wrapped in a timing proxy and the codebook functions
are wrapped where the sampler and the codec look them up by name, so the codec runs unchanged. A stage
nested in another (a timed call made inside a timed call) is charged to the inner stage only, so the
stages never add up to more than the total. On CUDA every stage boundary synchronises the device, and
one untimed model call and VAE pass run first. Each side then runs again without stage timing: that
wall time ("total, no stage timing") is what a user waits, since there the host queues the next
kernels while the device still works on the last ones.

Models: ``nano`` (default), any Wan2.1-layout model folder, or ``wan2.1-1.3b-random``: the
Wan2.1-T2V-1.3B architecture with random weights (``gvcodec.testing.random_wan``; ``--layers`` shortens
it for tests). Input: ``--clip`` (any file ``gvc-enc`` reads, scaled to cover ``--size`` and
centre-cropped) or a synthetic moving pattern.

    python benchmarks/speed.py [--model nano|DIR|wan2.1-1.3b-random] [--layers N] [--device cpu|cuda]
                               [--size 448x256] [--frames 33] [--clip FILE] [--steps 20] [--threads N]
                               [--atom-generator ID] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F

import gvcodec.gop.coder
import gvcodec.noise_sources
from gvcodec.backbones import Backbone, load_backbone
from gvcodec.backbones.placement import resolve_device, resolve_dtype
from gvcodec.bench.machine import device_name, run_context, set_threads, write_record
from gvcodec.cli.common import argument_type, run_command
from gvcodec.codec import Encoder, decode_stream, encode_stream, read_stream
from gvcodec.colour import rgb_to_yuv420, yuv420_to_rgb
from gvcodec.errors import InputError, InstallError, StreamError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.open import open_input, parse_size
from gvcodec.gop.geometry import padded_size
from gvcodec.testing.random_wan import LAYERS, random_wan
from gvcodec.testing.random_wan import NAME as RANDOM_WAN

STAGES = ("vae encode", "model calls", "atom search", "noise mixing", "entropy coding", "vae decode", "other")
# Where the sampler and the codec look the codebook functions up, and the stage each one is charged to.
TIMED_FUNCTIONS: dict[tuple[ModuleType, str], str] = {
    (gvcodec.noise_sources, "search_frames"): "atom search",
    (gvcodec.noise_sources, "mix_frames"): "noise mixing",
    (gvcodec.gop.coder, "pack_choices"): "entropy coding",
    (gvcodec.gop.coder, "unpack_choices"): "entropy coding",
    (gvcodec.gop.coder, "encode_residual"): "entropy coding",
    (gvcodec.gop.coder, "decode_residual"): "entropy coding",
}
SYNTHETIC_SIZE = (448, 256)
SYNTHETIC_FPS = Fraction(30)


class Stopwatch:
    """Wall seconds and calls per stage; a nested timed call is charged to its own stage, not its caller's.

    ``synchronize`` runs at every boundary (``torch.cuda.synchronize`` on CUDA, where kernels run
    asynchronously and a stage would otherwise be charged to whichever stage next waits for the device).
    """

    def __init__(self, synchronize: Callable[[], None], clock: Callable[[], float] = time.perf_counter) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._synchronize = synchronize
        self._clock = clock
        self._nested: list[float] = []

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._synchronize()
            started = self._clock()
            self._nested.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                self._synchronize()
                elapsed = self._clock() - started
                self.seconds[stage] += elapsed - self._nested.pop()
                self.calls[stage] += 1
                if self._nested:
                    self._nested[-1] += elapsed

        return timed

    def total(self, body: Callable[[], Any]) -> tuple[Any, float]:
        """Run ``body``; return its result and wall seconds, and charge the untimed rest to ``"other"``."""
        self._synchronize()
        started = self._clock()
        result = body()
        self._synchronize()
        total = self._clock() - started
        self.seconds["other"] = total - sum(seconds for stage, seconds in self.seconds.items() if stage != "other")
        return result, total


class TimedBackbone:
    """A backbone whose VAE and velocity calls are timed; everything else is delegated."""

    def __init__(self, backbone: Backbone, watch: Stopwatch) -> None:
        self._backbone = backbone
        self.encode_video = watch.wrap("vae encode", backbone.encode_video)
        self.decode_latent = watch.wrap("vae decode", backbone.decode_latent)
        self.velocity = watch.wrap("model calls", backbone.velocity)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backbone, name)


@contextlib.contextmanager
def instrumented(watch: Stopwatch) -> Iterator[None]:
    """Time the codebook functions where they are looked up, and put the originals back afterwards."""
    originals = {}
    for (module, name), stage in TIMED_FUNCTIONS.items():
        if not hasattr(module, name):
            raise InstallError(
                f"{module.__name__}.{name} does not exist: this benchmark times it as {stage!r}; "
                "update TIMED_FUNCTIONS in benchmarks/speed.py to where the codec now calls it"
            )
        originals[module, name] = getattr(module, name)
    try:
        for (module, name), stage in TIMED_FUNCTIONS.items():
            setattr(module, name, watch.wrap(stage, originals[module, name]))
        yield
    finally:
        for (module, name), function in originals.items():
            setattr(module, name, function)


@dataclass(frozen=True)
class SideTiming:
    """One side (encode or decode) of the GOP: total wall seconds, seconds and calls per stage, and the wall
    seconds of a second run without stage timing (no device synchronisation at stage boundaries)."""

    total: float
    seconds: dict[str, float]
    calls: dict[str, int]
    plain_total: float

    def as_json(self) -> dict:
        return {
            "total_s": self.total,
            "plain_total_s": self.plain_total,
            "stages_s": {stage: self.seconds.get(stage, 0.0) for stage in STAGES},
            "calls": {stage: self.calls.get(stage, 0) for stage in STAGES if stage != "other"},
        }


def moving_pattern(width: int, height: int, frames: int) -> torch.Tensor:
    """A synthetic clip ``(3, F, H, W)`` in ``[-1, 1]``: stripes drifting 2 px per frame and a square crossing it.

    ``R = sin(2 pi (x + y - 2 t) / 32)``, ``G = 2 x / W - 1``, ``B = cos(2 pi (y + t) / 48)``; a white
    square of side ``H / 4`` moves right by ``W / (2 F)`` per frame.
    """
    t = torch.arange(frames, dtype=torch.float32).view(frames, 1, 1)
    y = torch.arange(height, dtype=torch.float32).view(1, height, 1)
    x = torch.arange(width, dtype=torch.float32).view(1, 1, width)
    red = torch.sin(2 * math.pi * (x + y - 2 * t) / 32)
    green = (2 * x / width - 1).expand(frames, height, width)
    blue = torch.cos(2 * math.pi * (y + t) / 48).expand(frames, height, width)
    video = torch.stack([red, green, blue])
    side = max(1, height // 4)
    for frame in range(frames):
        left = int(frame * width / (2 * max(frames, 1)))
        video[:, frame, height // 2 - side // 2 : height // 2 - side // 2 + side, left : left + side] = 1.0
    return video


def fit(video: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Scale ``(3, F, h, w)`` by ``s = max(W / w, H / h)`` (bilinear, antialiased), then centre-crop to ``W x H``."""
    _, _, source_height, source_width = video.shape
    if (source_width, source_height) == (width, height):
        return video
    scale = max(width / source_width, height / source_height)
    size = (max(height, round(source_height * scale)), max(width, round(source_width * scale)))
    scaled = F.interpolate(video.transpose(0, 1), size=size, mode="bilinear", antialias=True, align_corners=False)
    top, left = (size[0] - height) // 2, (size[1] - width) // 2
    return scaled[:, :, top : top + height, left : left + width].transpose(0, 1).clamp(-1.0, 1.0)


def clip_frames(path: Path, frames: int, size: tuple[int, int] | None) -> tuple[list[Yuv420Frame], Fraction]:
    """Up to ``frames`` frames of ``path`` at ``size`` (the clip's own when None), and its frame rate. A shorter
    clip is taken whole: the encoder pads the GOP to ``frames`` by repeating its last frame."""
    with open_input(str(path)) as source:
        read = [frame for _, frame in zip(range(frames), source)]
        fps = source.info.fps
    if not read:
        raise InputError(f"{path} has no frames")
    width, height = size or (read[0].width, read[0].height)
    if (read[0].width, read[0].height) == (width, height):
        return read, fps
    return rgb_to_yuv420(fit(yuv420_to_rgb(read), width, height)), fps


def input_frames(clip: Path | None, frames: int, size: tuple[int, int] | None) -> tuple[list[Yuv420Frame], Fraction]:
    """The frames to code: from ``clip`` when given, else :func:`moving_pattern` at ``size`` (448x256 by default)."""
    if clip is not None:
        return clip_frames(clip, frames, size)
    width, height = size or SYNTHETIC_SIZE
    return rgb_to_yuv420(moving_pattern(width, height, frames)), SYNTHETIC_FPS


def build_backbone(model: str, device: str, dtype: str | None, layers: int | None) -> Backbone:
    """``nano``, a model folder, or the random Wan2.1-1.3B architecture (bfloat16 transformer unless ``dtype``)."""
    if model != RANDOM_WAN:
        if layers is not None:
            raise InputError(f"--layers applies to --model {RANDOM_WAN} only")
        return load_backbone(model, device, dtype or "float32")
    return random_wan(resolve_device(device), resolve_dtype(dtype or "bfloat16"), LAYERS if layers is None else layers)


def warm_up(backbone: Backbone, width: int, height: int) -> None:
    """One untimed VAE encode, model call and VAE decode at the coded picture size (lazy CUDA set-up, kernel loads)."""
    padded_width, padded_height = padded_size(width, height, backbone.pixel_multiple)
    frames = 1 + backbone.temporal_factor
    video = torch.zeros(3, frames, padded_height, padded_width, device=backbone.device)
    latent = backbone.encode_video(video)
    backbone.velocity(latent, 0.5, backbone.condition("", frames, padded_height, padded_width))
    backbone.decode_latent(latent)


def synchronizer(device: torch.device) -> Callable[[], None]:
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def plain_seconds(device: torch.device, body: Callable[[], Any]) -> float:
    """Wall seconds of ``body`` with no stage timing: the device is synchronised at the start and the end only."""
    synchronize = synchronizer(device)
    synchronize()
    started = time.perf_counter()
    body()
    synchronize()
    return time.perf_counter() - started


def encode_with(backbone: Any, frames: list[Yuv420Frame], fps: Fraction, options: dict[str, Any]) -> bytes:
    """The stream of ``frames`` coded as one GOP by ``backbone`` (a timed or a plain one)."""
    return encode_stream(Encoder(frames[0].width, frames[0].height, fps, backbone=backbone, **options), frames)


def time_encode(
    backbone: Backbone, frames: list[Yuv420Frame], fps: Fraction, options: dict[str, Any]
) -> tuple[SideTiming, bytes]:
    """Encode ``frames`` as one GOP, with stage timing and then without; return the timing and the stream."""
    watch = Stopwatch(synchronizer(backbone.device))
    with instrumented(watch):
        stream, total = watch.total(lambda: encode_with(TimedBackbone(backbone, watch), frames, fps, options))
    plain = plain_seconds(backbone.device, lambda: encode_with(backbone, frames, fps, options))
    return SideTiming(total, dict(watch.seconds), dict(watch.calls), plain), stream


def time_decode(backbone: Backbone, stream: bytes, expected_frames: int) -> SideTiming:
    """Decode ``stream``, with stage timing and then without; return the timing after checking every frame
    came back."""
    watch = Stopwatch(synchronizer(backbone.device))
    with instrumented(watch):
        decoded, total = watch.total(lambda: decode_stream(stream, backbone=TimedBackbone(backbone, watch), quiet=True))
    if len(decoded) != expected_frames:
        raise StreamError(f"the decoder returned {len(decoded)} frames of the {expected_frames} encoded")
    plain = plain_seconds(backbone.device, lambda: decode_stream(stream, backbone=backbone, quiet=True))
    return SideTiming(total, dict(watch.seconds), dict(watch.calls), plain)


def table(result: dict) -> str:
    """The stage table in Markdown, as BENCHMARKS.md shows it."""
    encode, decode = result["encode"], result["decode"]
    lines = ["| stage | encode s | calls | decode s | calls |", "| --- | --- | --- | --- | --- |"]
    for stage in STAGES:
        calls = [side["calls"].get(stage, "") for side in (encode, decode)]
        lines.append(
            f"| {stage} | {encode['stages_s'][stage]:.2f} | {calls[0]} | {decode['stages_s'][stage]:.2f} | {calls[1]} |"
        )
    lines.append(f"| **total** | **{encode['total_s']:.2f}** | | **{decode['total_s']:.2f}** | |")
    lines.append(
        f"| **total, no stage timing** | **{encode['plain_total_s']:.2f}** | | **{decode['plain_total_s']:.2f}** | |"
    )
    return "\n".join(lines)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="nano", help=f"'nano', a Wan2.1-layout model folder, or {RANDOM_WAN!r}")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument(
        "--dtype", choices=("float32", "bfloat16"), help=f"transformer dtype (default float32; {RANDOM_WAN}: bfloat16)"
    )
    parser.add_argument("--layers", type=int, help=f"transformer layers of {RANDOM_WAN} (default 30, the real model's)")
    parser.add_argument("--size", type=argument_type(parse_size), help="WxH (default: the clip's size, or 448x256)")
    parser.add_argument("--frames", type=int, default=33, help="frames in the GOP, 4k + 1 (default 33)")
    parser.add_argument("--clip", type=Path, help="input video (default: a synthetic moving pattern)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--atoms", type=int, default=64, help="M, atoms per (step, latent frame) (default 64)")
    parser.add_argument("--codebook", type=int, default=16384, help="K, codebook size (default 16384)")
    parser.add_argument("--steps", type=int, default=20, help="N, sampler steps (default 20)")
    parser.add_argument("--atom-generator", type=int, help="atom generator id (default: the codec's)")
    parser.add_argument("--json", help="write the stage table, device, torch version and date to this JSON file")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    set_threads(args.threads)
    if args.frames < 1:
        raise InputError(f"--frames must be positive, got {args.frames}")
    backbone = build_backbone(args.model, args.device, args.dtype, args.layers)
    frames, fps = input_frames(args.clip, args.frames, args.size)
    width, height = frames[0].width, frames[0].height
    cuda = backbone.device.type == "cuda"
    if cuda:
        warm_up(backbone, width, height)
        torch.cuda.synchronize(backbone.device)
        torch.cuda.reset_peak_memory_stats(backbone.device)
    options = {"gop": args.frames, "steps": args.steps, "atoms": args.atoms, "codebook": args.codebook, "quiet": True}
    if args.atom_generator is not None:
        options["atom_generator"] = args.atom_generator
    encode, stream = time_encode(backbone, frames, fps, options)
    decode = time_decode(backbone, stream, len(frames))
    result = {
        "model": backbone.name,
        "device": str(backbone.device),
        "device_name": device_name(backbone.device),
        "dtype": str(getattr(backbone, "dtype", args.dtype)).removeprefix("torch."),
        **run_context(),
        "input": str(args.clip) if args.clip else "synthetic moving pattern",
        "width": width,
        "height": height,
        "frames": len(frames),
        "gop": args.frames,
        "codebook": args.codebook,
        "atoms": args.atoms,
        "steps": args.steps,
        "atom_generator": read_stream(io.BytesIO(stream))[0].atom_generator,
        "stream_bytes": len(stream),
        "stages": list(STAGES),
        "encode": encode.as_json(),
        "decode": decode.as_json(),
        "encode_over_decode": encode.total / decode.total,
        "atom_search_share_of_encode": encode.seconds.get("atom search", 0.0) / encode.total,
        "peak_gpu_memory_gib": torch.cuda.max_memory_allocated(backbone.device) / 2**30 if cuda else None,
    }
    print(
        f"{result['model']} ({result['dtype']}) on {result['device']} ({result['device_name']}, "
        f"{result['threads']} threads), torch {result['torch']}, {len(frames)} frames in a {args.frames}-frame GOP, "
        f"{width}x{height}, "
        f"N={args.steps} K={args.codebook} M={args.atoms} generator {result['atom_generator']}, {result['input']}, "
        f"{result['date']}"
    )
    print(table(result))
    print(
        f"encode / decode = {result['encode_over_decode']:.2f}; atom search = "
        f"{100 * result['atom_search_share_of_encode']:.1f}% of encode"
        + (f"; peak GPU memory {result['peak_gpu_memory_gib']:.1f} GiB" if cuda else "")
    )
    write_record(args.json, result)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    return run_command("speed.py", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
