"""Drift inside a GOP (issue #14): PSNR-RGB by frame position, for the model's VAE alone and for the codec.

For each evaluation clip, its first ``--frames`` frames (one GOP at the default 33) are
- passed through the VAE alone (the backbone's ``decode_latent(encode_video(.))`` on the clip cropped to the
  model's pixel multiple), and
- coded by gvcodec (``--mode``, ``--atoms``, other options at their defaults) and decoded;
the per-frame PSNR-RGB of each is averaged over the clips, for the positions every clip reaches. A codec or
latent space that drifts loses quality (or colour) from the first frame of a GOP to the last; the curve
shows where, and ``drop`` gives first minus last.

    python benchmarks/frame_curve.py [--folder ../shared/testvideos] [--model nano] [--frames 33]
        [--mode t2v] [--atoms 64] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from gvcodec.backbones import Backbone, load_backbone
from gvcodec.bench.machine import run_context, set_threads, write_record
from gvcodec.bench.points import load_clip
from gvcodec.cli.common import run_command
from gvcodec.codec import Encoder, decode_stream, encode_stream
from gvcodec.colour import yuv420_to_rgb
from gvcodec.errors import InputError
from gvcodec.io.atomic import input_files
from gvcodec.metrics.psnr import frame_psnr_rgb
from gvcodec.train.evaluate import position_means

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "testvideos"


def vae_curve(backbone: Backbone, video: torch.Tensor) -> list[float]:
    """Per-frame PSNR-RGB of the VAE alone on ``(3, F, H, W)`` (F = 4k + 1), cropped to the pixel multiple."""
    multiple = backbone.pixel_multiple
    height, width = video.shape[2] // multiple * multiple, video.shape[3] // multiple * multiple
    video = video[:, :, :height, :width]
    reconstruction = backbone.decode_latent(backbone.encode_video(video))
    return frame_psnr_rgb(video.transpose(0, 1), reconstruction.transpose(0, 1)).tolist()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="folder of .y4m clips")
    parser.add_argument("--model", default="nano", help="nano or a model folder")
    parser.add_argument("--frames", type=int, default=33, help="frames per clip (default 33: one GOP)")
    parser.add_argument("--mode", default="t2v", help="gvcodec mode (default t2v)")
    parser.add_argument("--atoms", type=int, default=64, help="atoms per step (default 64)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--json", help="write the curves as JSON here")
    args = parser.parse_args(argv)

    def body() -> None:
        set_threads(args.threads)
        paths = input_files(args.folder, "*.y4m")
        if not paths:
            raise InputError(f"no .y4m clips in {args.folder}")
        backbone = load_backbone(args.model)
        vae, codec, clips = [], [], {}
        for path in paths:
            clip = load_clip(path, args.frames)
            usable = (len(clip.frames) - 1) // backbone.temporal_factor * backbone.temporal_factor + 1
            source = yuv420_to_rgb(clip.frames[:usable])
            vae.append(vae_curve(backbone, source))
            encoder = Encoder(clip.info.width, clip.info.height, clip.info.fps, len(clip.frames), backbone=backbone,
                              mode=args.mode, atoms=args.atoms, quiet=True)
            stream = encode_stream(encoder, clip.frames)
            decoded = decode_stream(stream, backbone=backbone)
            codec.append(frame_psnr_rgb(yuv420_to_rgb(clip.frames).transpose(0, 1),
                                        yuv420_to_rgb(decoded).transpose(0, 1)).tolist())
            clips[clip.name] = {"vae": vae[-1], "codec": codec[-1], "bytes": len(stream)}
            print(f"{clip.name}: VAE {sum(vae[-1]) / len(vae[-1]):.2f} dB, codec {sum(codec[-1]) / len(codec[-1]):.2f} dB "
                  f"({len(stream)} bytes)", flush=True)
        record = {**run_context(), "model": args.model, "mode": args.mode, "atoms": args.atoms, "clips": clips}
        for name, curves in (("vae", vae), ("codec", codec)):
            curve = position_means(curves)
            record[name] = {"curve": curve, "drop": curve[0] - curve[-1]}
            print(f"{name}: " + " ".join(f"{v:.1f}" for v in curve) + f"  (first - last {curve[0] - curve[-1]:+.2f} dB)")
        write_record(args.json, record)

    return run_command("frame_curve", body)


if __name__ == "__main__":
    sys.exit(main())
