"""Time one GOP through the encoder and the decoder, split into stages.

Stages: VAE encode, model calls (velocity), atom search, noise mixing (the chosen atoms regenerated),
entropy coding (index-set ranks + signs packed), VAE decode, colour conversion and the rest ("other").
The backbone is wrapped in a timing proxy; the codebook functions the sampler calls are wrapped the same
way, so nothing in the codec changes for the measurement.

    python benchmarks/gop_speed.py [--model nano] [--clip ../shared/testvideos/bedroom_448x256.y4m]
                                   [--frames 33] [--device cpu] [--threads 2]
"""
from __future__ import annotations

import argparse
import io
import platform
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import torch

import gvcodec.codec
import gvcodec.noise
from gvcodec.backbones import load_backbone
from gvcodec.codec import Decoder, Encoder, read_stream
from gvcodec.io.y4m import Y4MReader

DEFAULT_CLIP = Path(__file__).resolve().parents[2] / "shared" / "testvideos" / "bedroom_448x256.y4m"
STAGES = ("vae encode", "model calls", "atom search", "noise mixing", "entropy coding", "vae decode", "other")


class Stopwatch:
    """Accumulates wall seconds per stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started

        return timed


class TimedBackbone:
    """A backbone whose VAE and velocity calls are timed; everything else is delegated."""

    def __init__(self, backbone: Any, watch: Stopwatch) -> None:
        self._backbone = backbone
        self.encode_video = watch.wrap("vae encode", backbone.encode_video)
        self.decode_latent = watch.wrap("vae decode", backbone.decode_latent)
        self.velocity = watch.wrap("model calls", backbone.velocity)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backbone, name)


ORIGINALS = {
    (gvcodec.noise, "search_atoms"): "atom search",
    (gvcodec.noise, "mix_atoms"): "noise mixing",
    (gvcodec.codec, "pack_choices"): "entropy coding",
    (gvcodec.codec, "unpack_choices"): "entropy coding",
}
UNWRAPPED = {place: getattr(*place) for place in ORIGINALS}


def instrument(watch: Stopwatch) -> None:
    """Time the codebook functions where the sampler and the codec look them up (fresh wrappers each run)."""
    for (module, name), stage in ORIGINALS.items():
        setattr(module, name, watch.wrap(stage, UNWRAPPED[(module, name)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="nano")
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--frames", type=int, default=33)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--atoms", type=int, default=64)
    parser.add_argument("--codebook", type=int, default=16384)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.clip, "rb") as stream:
        reader = Y4MReader(stream)
        frames = [frame for _, frame in zip(range(args.frames), reader)]
    info = reader.info
    backbone = load_backbone(args.model, args.device, args.dtype)
    results = {}
    for side in ("encode", "decode"):
        watch = Stopwatch()
        instrument(watch)
        timed = TimedBackbone(backbone, watch)
        started = time.perf_counter()
        if side == "encode":
            encoder = Encoder(info.width, info.height, info.fps, backbone=timed, gop=args.frames, quiet=True,
                              atoms=args.atoms, codebook=args.codebook)
            stream = encoder.extradata + b"".join(p.data for f in (*frames, None) for p in encoder.encode(f))
        else:
            header, packets = read_stream(io.BytesIO(stream))
            decoder = Decoder(header, backbone=timed, quiet=True)
            decoded = [f for p in packets for f in decoder.decode_yuv(p)]
            assert len(decoded) == len(frames)
        total = time.perf_counter() - started
        watch.seconds["other"] = total - sum(watch.seconds.values())
        results[side] = (total, dict(watch.seconds))
    print(f"{args.model} on {args.device} ({platform.processor() or platform.machine()}, {args.threads} threads), "
          f"{args.frames} frames {info.width}x{info.height}, K={args.codebook} M={args.atoms}, {date.today()}")
    print("| stage | encode s | decode s |\n| --- | --- | --- |")
    for stage in STAGES:
        print(f"| {stage} | {results['encode'][1].get(stage, 0.0):.2f} | {results['decode'][1].get(stage, 0.0):.2f} |")
    print(f"| **total** | **{results['encode'][0]:.2f}** | **{results['decode'][0]:.2f}** |")
    print(f"encode / decode = {results['encode'][0] / results['decode'][0]:.2f}; "
          f"atom search = {100 * results['encode'][1].get('atom search', 0.0) / results['encode'][0]:.1f}% of encode")


if __name__ == "__main__":
    main()
