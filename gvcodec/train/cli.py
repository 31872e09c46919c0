"""Command line of the nano recipe: ``python -m gvcodec.train --data DIR --out DIR [options]``.

Examples::

    python -m gvcodec.train --data ../shared/trainvideos --out weights/nano
    python -m gvcodec.train --data ../shared/trainvideos --out weights/nano --minutes 20
    python -m gvcodec.train --data ../shared/trainvideos --out weights/nano --resume runs/nano --minutes 20
    python -m gvcodec.train --data ../shared/trainvideos --out weights/nano --device cuda --resume weights/nano
    python -m gvcodec.train --eval-only --out weights/nano --eval-data ../shared/testvideos
    python -m gvcodec.train --data ../shared/trainvideos --out /tmp/nano --smoke
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from gvcodec.errors import GvcError, InputError
from gvcodec.train.archive import pack_parts
from gvcodec.train.checkpoint import fresh_state, load_state
from gvcodec.train.config import SMOKE, Z_DIM, nano_sizes
from gvcodec.train.flow_phase import FlowSchedule
from gvcodec.train.recipe import RoundPlan, run_round
from gvcodec.train.vae_phase import VaeSchedule


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gvcodec.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="folder of training videos (never the evaluation clips)")
    parser.add_argument("--out", type=Path, required=True, help="model folder to write (vae/, transformer/, prior/, ...)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--vae-seconds", type=float, default=900.0,
                        help="wall-clock budget of the VAE refinement phase over the whole run (default 900)")
    parser.add_argument("--flow-seconds", type=float, default=1800.0,
                        help="wall-clock budget of the flow phase over the whole run (default 1800)")
    parser.add_argument("--minutes", type=float,
                        help="stop this invocation after about this many minutes (checkpointed; continue with "
                             "--resume RUN_DIR)")
    parser.add_argument("--resume", type=Path, help="run folder (state.pt) or shipped model folder to continue")
    parser.add_argument("--run-dir", type=Path, default=Path("runs/nano"), help="where checkpoints go")
    parser.add_argument("--archive-to", type=Path, help="after each export, also pack --out as <=15 MiB tar parts here")
    parser.add_argument("--eval-data", type=Path, help="evaluation clips; evaluate and write MODEL_CARD.md when given")
    parser.add_argument("--eval-only", action="store_true", help="skip training: evaluate --out and write its card")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny models on 2 clips; the time budgets still apply, so add e.g. --vae-seconds 2 "
                             "--flow-seconds 1 for a quick check of the whole recipe")
    parser.add_argument("--channels", type=int, default=Z_DIM,
                        help=f"latent channels of a fresh model (default {Z_DIM}; ignored with --resume)")
    parser.add_argument("--max-frames", type=int, default=96, help="read at most this many frames of each training video")
    parser.add_argument("--vae-batch", type=int, help="VAE batch (default: 32 on cuda, 8 on cpu)")
    parser.add_argument("--flow-batch", type=int, help="flow batch (default: 32 on cuda, 8 on cpu)")
    return parser


def plan_from_args(args: argparse.Namespace, device: torch.device) -> RoundPlan:
    """The round plan: larger batches and crops on CUDA, tiny everything with ``--smoke``."""
    if args.data is None:
        raise InputError("--data is required to train (or pass --eval-only)")
    if args.minutes is not None and not args.minutes > 0:
        raise InputError(f"--minutes must be positive, got {args.minutes}")
    chunk = float("inf") if args.minutes is None else 60.0 * args.minutes
    cuda = device.type == "cuda"
    if args.smoke:
        return RoundPlan(
            data=args.data, out=args.out, run_dir=args.run_dir, device=device, chunk_seconds=chunk,
            vae=VaeSchedule(seconds=args.vae_seconds, batch=1, frames=5, crop=32),
            flow=FlowSchedule(seconds=args.flow_seconds, batch=2),
            clip_limit=2, max_frames=9, transform_windows=4, transform_frames=5, transform_crop=32,
            cache_frames=5, cache_crop=(32, 32), cache_batch=2, cache_items=2, cache_seconds=0.0,
        )
    return RoundPlan(
        data=args.data, out=args.out, run_dir=args.run_dir, device=device, max_frames=args.max_frames,
        chunk_seconds=chunk,
        vae=VaeSchedule(seconds=args.vae_seconds, batch=args.vae_batch or (32 if cuda else 8), crop=256 if cuda else 128),
        flow=FlowSchedule(seconds=args.flow_seconds, batch=args.flow_batch or (32 if cuda else 8)),
        transform_windows=2000 if cuda else 400,
        cache_batch=16 if cuda else 4, cache_items=4096 if cuda else 512, cache_min_items=256,
        cache_seconds=max(60.0, 0.05 * args.flow_seconds),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise InputError("--device cuda was asked for but torch sees no CUDA device; use --device cpu")
        if device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cudnn.benchmark = True
        if args.eval_only and args.eval_data is None:
            raise InputError("--eval-only needs --eval-data DIR (the evaluation clips)")
        if not args.eval_only:
            torch.manual_seed(0)
            state = load_state(args.resume) if args.resume else fresh_state(SMOKE if args.smoke else nano_sizes(args.channels))
            plan = plan_from_args(args, device)

            def after_export() -> None:
                if args.archive_to is not None:
                    pack_parts(args.out, args.archive_to, "nano")

            run_round(plan, state, after_export)
        if args.eval_data is not None:
            from gvcodec.train.report import evaluate_and_describe

            evaluate_and_describe(args.out, args.eval_data, smoke=args.smoke)
    except GvcError as error:
        print(f"gvcodec.train: error: {error}", file=sys.stderr)
        return 2
    return 0
