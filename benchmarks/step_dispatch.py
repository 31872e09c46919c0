"""Operations the codebook dispatches per coded step: encoder (search + mix) and decoder (mix), counted with
torch's profiler, with the wall time of one step.

On a GPU every operation that is not a view or an allocation is a kernel launch, and a step's launches,
not its arithmetic, are what the codebook costs there. ``--gpu-path`` counts on the CPU what a CUDA device
runs: atoms from the torch Philox implementation (not the native CPU kernel) in GPU-sized chunks, so the
launch count of a GPU step is measured on a machine without one. The noise's SHA-256 is printed too:
the count changes, the bits must not.

    python benchmarks/step_dispatch.py [--latent 16x9x90x160] [--atoms 64] [--codebook 16384]
                                       [--atom-generator 2] [--gpu-path] [--device cpu|cuda] [--json OUT]
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import sys
import time
from collections.abc import Callable, Iterator

import torch
from torch.profiler import ProfilerActivity, profile

import gvcodec.codebook.dense as dense
import gvcodec.codebook.mixing as mixing
import gvcodec.codebook.shifted as shifted
from gvcodec.backbones.placement import resolve_device
from gvcodec.bench.machine import device_name, run_context, set_threads, write_record
from gvcodec.cli.common import run_command
from gvcodec.codebook import DEFAULT_GENERATOR
from gvcodec.errors import InputError
from gvcodec.noise_sources import AtomLayout, CodebookReplay, CodebookSearch

# Operations that launch no kernel: views, allocations, dtype/device plumbing that forwards to a copy.
NO_LAUNCH = frozenset(
    "aten::" + name
    for name in (
        "view alias as_strided expand slice select unsqueeze squeeze reshape _reshape_alias _unsafe_view "
        "transpose permute t unfold unbind split chunk detach lift_fresh broadcast_tensors result_type "
        "empty empty_like empty_strided resize_ to _to_copy contiguous"
    ).split()
)
STEP = 1


@contextlib.contextmanager
def gpu_path() -> Iterator[None]:
    """Generate dense atoms with the torch Philox implementation, in the chunk sizes CUDA uses, on any device."""
    patched = [(dense, "dense_atom_rows", dense.torch_dense_atom_rows),
               (shifted, "dense_atom_rows", dense.torch_dense_atom_rows)]
    originals = [(module, name, getattr(module, name)) for module, name, _ in patched]
    chunks = [(dense.PHILOX_CHUNK_COUNTERS, dict(dense.PHILOX_CHUNK_COUNTERS)),
              (mixing.MIX_CHUNK_ELEMENTS, dict(mixing.MIX_CHUNK_ELEMENTS))]
    try:
        for module, name, replacement in patched:
            setattr(module, name, replacement)
        for table, _ in chunks:
            table["cpu"] = table["cuda"]
        yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
        for table, saved in chunks:
            table.clear()
            table.update(saved)


def count_operations(call: Callable[[], torch.Tensor]) -> tuple[int, int, torch.Tensor]:
    """(all aten operations, those that launch a kernel) dispatched by ``call``, and its result."""
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        result = call()
    events = [event for event in profiler.key_averages() if event.key.startswith("aten::")]
    total = sum(event.count for event in events)
    return total, total - sum(event.count for event in events if event.key in NO_LAUNCH), result


def step_record(call: Callable[[], torch.Tensor], device: torch.device) -> dict:
    """Operations, wall milliseconds (a second, unprofiled call) and noise SHA-256 of one step."""
    total, launches, noise = count_operations(call)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    call()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - started
    digest = hashlib.sha256(noise.cpu().numpy().tobytes()).hexdigest()
    return {"aten_ops": total, "launching_ops": launches, "ms": 1000 * seconds, "noise_sha256": digest}


def measure(shape: tuple[int, int, int, int], atoms: int, codebook: int, generator: int, device: torch.device) -> dict:
    """One encoder step (search and mix of every latent frame) and one decoder step (mix) at latent ``shape``."""
    channels, frames, height, width = shape
    layout = AtomLayout(generator=generator, seed=20261126, gop=0, codebook_size=codebook,
                        atom_counts=(atoms,) * (frames * (STEP + 1)), latent_frames=frames)
    target = torch.randn(shape, generator=torch.Generator().manual_seed(0)).to(device)
    clean = torch.zeros(shape, device=device)
    search = CodebookSearch(layout, target)
    for step in range(STEP):
        search.noise(step, clean)  # builds the per-device tables outside the counts
    encoder = step_record(lambda: search.noise(STEP, clean), device)
    replay = CodebookReplay(layout, search.choices[: (STEP + 1) * frames])
    decoder = step_record(lambda: replay.noise(STEP, clean), device)
    return {"encoder_step": encoder, "decoder_step": decoder}


def parse_latent(text: str) -> tuple[int, int, int, int]:
    try:
        shape = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise InputError(f"--latent must be CxFxHxW with positive sizes, got {text!r}")
    return shape  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latent", default="16x9x90x160", help="latent C x F x H x W (default: 720p Wan, 33 frames)")
    parser.add_argument("--atoms", type=int, default=64, help="M, atoms per (step, latent frame) (default 64)")
    parser.add_argument("--codebook", type=int, default=16384, help="K, codebook size (default 16384)")
    parser.add_argument("--atom-generator", type=int, default=DEFAULT_GENERATOR, help="atom generator id")
    parser.add_argument("--gpu-path", action="store_true", help="count the operations a CUDA device runs, on the CPU")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--json", help="write the counts, device, torch version and date to this JSON file")
    args = parser.parse_args(argv)

    def run() -> None:
        set_threads(args.threads)
        shape = parse_latent(args.latent)
        device = resolve_device(args.device)
        with gpu_path() if args.gpu_path else contextlib.nullcontext():
            counts = measure(shape, args.atoms, args.codebook, args.atom_generator, device)
        record = {"device": str(device), "device_name": device_name(device), **run_context(), "latent": list(shape),
                  "atoms": args.atoms, "codebook": args.codebook, "atom_generator": args.atom_generator,
                  "gpu_path": args.gpu_path, **counts}
        for side in ("encoder_step", "decoder_step"):
            step = counts[side]
            print(f"{side}: {step['aten_ops']} aten ops, {step['launching_ops']} launching, {step['ms']:.1f} ms, "
                  f"noise sha256 {step['noise_sha256'][:16]}")
        write_record(args.json, record)

    return run_command("step_dispatch.py", run)


if __name__ == "__main__":
    sys.exit(main())
