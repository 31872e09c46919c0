"""The scale-out options gvc-enc and gvc-dec share: --workers and --ray-address (DESIGN.md, Scale-out)."""
from __future__ import annotations

import argparse

from gvcodec.cli.common import argument_type, positive_int
from gvcodec.errors import InputError


def add_worker_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """Add ``--workers N`` and ``--ray-address ADDR`` for a command that ``verb``s GOPs."""
    parser.add_argument(
        "--workers", type=argument_type(positive_int), default=None, metavar="N",
        help=f"{verb} GOPs in parallel on N Ray workers, each holding the model (one GPU each on CUDA, else a share "
        "of the cores), on a local Ray cluster unless --ray-address; the output is byte-identical. T2V and FLF2V "
        "GOPs run in parallel; I2V GOPs run in order (each starts on the GOP before's decoded last frame). "
        "Needs pip install 'gvcodec[ray]'",
    )
    parser.add_argument(
        "--ray-address", metavar="ADDR", default=None,
        help="run the --workers on this Ray cluster ('auto': the one 'ray start' made on this machine); "
        "gvcodec must be installed on its nodes",
    )


def parallel_workers(args: argparse.Namespace) -> int | None:
    """The worker count a parsed command line asks for, or ``None`` for the single-process path."""
    if args.ray_address is not None and args.workers is None:
        raise InputError("--ray-address needs --workers N: how many workers to start on that cluster")
    return args.workers
