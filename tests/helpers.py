"""What several test modules use: the repository and shared-clip paths, the command lines, small clips.

Tests that need ``../shared`` (the evaluation and training clips CI keeps beside the clone) skip, with
the reason, when it is absent, so a fresh clone's ``pytest`` reports no failures for it.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import imageio_ffmpeg
import pytest
import torch

from gvcodec.codebook import AtomChoice, AtomKey, frame_scores, mix_frames, search_frames
from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.y4m import Y4MReader

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# gvc-enc / gvc-dec arguments small enough for tiny models and a busy machine.
SMALL = ["--codebook", "256", "--atoms", "8", "--steps", "6", "--tail-steps", "2", "-q"]


def shared_path(*parts: str) -> Path:
    """A path under ``../shared``; skips the test, saying what is missing, when it does not exist."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path}: the shared clips CI keeps in ../shared beside the repository")
    return path


def eval_clip(name: str) -> Path:
    """Path of an evaluation clip from ``../shared/testvideos``."""
    return shared_path("testvideos", name)


def load_script(name: str) -> ModuleType:
    """A script of ``benchmarks/`` (not a package) imported from its path, registered as ``benchmarks_<name>``."""
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", REPO / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def run_cli(module: str, *args: str, stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", f"gvcodec.cli.{module}", *args], input=stdin, capture_output=True, timeout=600
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{module} failed ({result.returncode}):\n{result.stderr.decode(errors='replace')}")
    return result


def small_clip(path: Path, frames: int) -> Path:
    """The first ``frames`` frames of a real clip, cropped to 64x48, as y4m."""
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(eval_clip("bear_448x256.y4m")),
         "-vf", "crop=64:48:192:96", "-frames:v", str(frames), "-pix_fmt", "yuv420p", "-y", str(path)],
        check=True,
    )
    return path


def read_frames(path: Path) -> list:
    with open(path, "rb") as stream:
        return list(Y4MReader(stream))


def read_frames(path: Path) -> list[Yuv420Frame]:
    with open(path, "rb") as stream:
        return list(Y4MReader(stream))


# One latent frame at a time: the codec always works on every frame of a step at once.


def atom_scores(key: AtomKey, gap: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """``s_k = <z_k, r>`` for every ``k < K`` of ``key``'s codebook: float32 ``(K,)`` on the gap's device."""
    return frame_scores((key,), gap.reshape(1, -1), codebook_size)[0]


def search_atoms(key: AtomKey, gap: torch.Tensor, codebook_size: int, atoms: int) -> AtomChoice:
    """The ``M`` atoms with the largest ``|<z_k, r>|`` among ``k < K``, with signs ``sign(<z_k, r>)`` (0 -> +1).

    ``gap`` is 1-D ``(D,)``; :func:`search_frames` for one frame.
    """
    if gap.dim() != 1:
        raise InputError(f"the gap must be a 1-D tensor (D,), got shape {tuple(gap.shape)}")
    return search_frames((key,), gap.reshape(1, -1), codebook_size, (atoms,))[0]


def mix_atoms(key: AtomKey, choice: AtomChoice, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``z = (1 / sqrt(M)) sum_k sign_k z_k``, float32 of shape ``(dim,)``: :func:`mix_frames` for one frame."""
    return mix_frames((key,), (choice,), dim, device)[0]


def with_short_choices(stream: bytes, gop_index: int) -> bytes:
    """``stream`` with GOP ``gop_index``'s choices cut to one byte: well-formed (CRCs recomputed), so only
    decoding that GOP finds the damage."""
    import dataclasses
    import io

    from container import StreamReader, StreamWriter

    reader = StreamReader(io.BytesIO(stream))
    damaged = io.BytesIO()
    writer = StreamWriter(damaged, reader.header)
    for record in reader:
        packet = record.packet
        writer.write(dataclasses.replace(packet, choices=packet.choices[:1]) if packet.gop_index == gop_index else packet)
    return damaged.getvalue()
