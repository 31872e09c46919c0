"""benchmarks/step_dispatch.py: a step's codebook work is a fixed number of launches, whatever the frame count."""
from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
import torch

import gvcodec.codebook.dense as dense
import gvcodec.codebook.mixing as mixing
from tests.helpers import load_script

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def step_dispatch() -> ModuleType:
    return load_script("step_dispatch")


@pytest.mark.parametrize("generator", [1, 2])
def test_launches_per_step_do_not_grow_with_the_latent_frames(step_dispatch: ModuleType, generator: int) -> None:
    """What a GPU runs per step is one batch for all latent frames (the dense encoder scores frame by frame)."""
    with step_dispatch.gpu_path():
        counts = [step_dispatch.measure((4, frames, 8, 8), 8, 1024, generator, CPU) for frames in (2, 6)]
    sides = ("encoder_step", "decoder_step") if generator == 2 else ("decoder_step",)
    for side in sides:
        assert counts[0][side]["launching_ops"] == counts[1][side]["launching_ops"] > 0


def test_the_gpu_path_changes_the_launches_not_the_noise(step_dispatch: ModuleType) -> None:
    native = step_dispatch.measure((4, 3, 8, 8), 8, 1024, 1, CPU)
    originals = (dense.dense_atom_rows, dict(dense.PHILOX_CHUNK_COUNTERS), dict(mixing.MIX_CHUNK_ELEMENTS))
    with step_dispatch.gpu_path():
        assert dense.dense_atom_rows is dense.torch_dense_atom_rows
        torch_path = step_dispatch.measure((4, 3, 8, 8), 8, 1024, 1, CPU)
    assert (dense.dense_atom_rows, dense.PHILOX_CHUNK_COUNTERS, mixing.MIX_CHUNK_ELEMENTS) == originals
    assert torch_path["decoder_step"]["noise_sha256"] == native["decoder_step"]["noise_sha256"]
    assert torch_path["decoder_step"]["launching_ops"] > native["decoder_step"]["launching_ops"]


def test_the_script_writes_its_record(step_dispatch: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "dispatch.json"
    assert step_dispatch.main(["--latent", "4x2x8x8", "--codebook", "512", "--atoms", "4", "--json", str(out)]) == 0
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["latent"] == [4, 2, 8, 8] and record["gpu_path"] is False
    assert {"torch", "date", "device_name"} <= record.keys()
    assert step_dispatch.main(["--latent", "4x2x8"]) == 1
