"""Rate control: atom allocation within a bit budget, and a clip landing on its target bpp."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gvcodec.combinatorial import choice_bits
from gvcodec.errors import InputError
from gvcodec.rate import BitrateController, allocate_atoms, largest_uniform_atoms, payload_bytes
from tests.helpers import SMALL, eval_clip, run_cli


@settings(max_examples=60, deadline=None)
@given(
    cells=st.integers(1, 200),
    codebook_size=st.sampled_from([64, 1024, 16384]),
    payload_bits=st.integers(0, 400_000),
)
def test_allocation_spends_at_most_the_budget_and_wastes_less_than_one_step(
    cells: int, codebook_size: int, payload_bits: int
) -> None:
    max_atoms = codebook_size // 2
    counts = allocate_atoms(payload_bits, cells, codebook_size, max_atoms)
    spent = sum(choice_bits(codebook_size, m) for m in counts)
    assert len(counts) == cells and min(counts) >= 1 and max(counts) - min(counts) <= 1
    if spent > payload_bits:
        assert counts == (1,) * cells
        return
    low = min(counts)
    if low < max_atoms:
        step_up = choice_bits(codebook_size, low + 1) - choice_bits(codebook_size, low)
        assert payload_bits - spent < step_up or max(counts) == low + 1 and all(m == low + 1 for m in counts)


def test_the_default_rate_point_is_found_from_its_own_budget() -> None:
    cells = 17 * 9
    bits = cells * choice_bits(16384, 64)
    assert largest_uniform_atoms(bits, cells, 16384, 8192) == 64
    assert allocate_atoms(bits, cells, 16384, 8192) == (64,) * cells


def test_controller_lands_within_one_percent_over_a_clip() -> None:
    controller = BitrateController(target_bpp=0.02, width=448, height=256, codebook_size=16384, max_atoms=8192)
    controller.charge(120)
    gops = [33, 33, 33, 12]
    framing = 330
    for frames in gops:
        counts = controller.atoms_for_gop(frames, 17 * 9, framing)
        controller.record(framing + payload_bytes(counts, 16384))
    achieved = 8 * controller.spent_bytes / (448 * 256 * sum(gops))
    assert abs(achieved / 0.02 - 1) < 0.01


def test_non_positive_target_is_refused() -> None:
    with pytest.raises(InputError, match="positive"):
        BitrateController(target_bpp=0, width=16, height=16, codebook_size=256, max_atoms=128)


@pytest.mark.slow
@pytest.mark.parametrize("target", [0.002, 0.005])
def test_target_bpp_lands_within_five_percent_end_to_end(tmp_path: Path, tiny_t2v_folder: Path, target: float) -> None:
    stream = tmp_path / "t.gvc"
    run_cli("enc", str(eval_clip("foreman_352x288.y4m")), "-o", str(stream), "--frames", "13", "--gop", "5",
            "--model", str(tiny_t2v_folder), *SMALL, "--target-bpp", str(target))
    report = json.loads(run_cli("info", str(stream), "--json").stdout)
    assert abs(report["bpp"] / target - 1) < 0.05


@pytest.mark.slow
@pytest.mark.parametrize("target", ["0.0001", "0.5"])
def test_unreachable_target_is_refused_with_the_reachable_range(tmp_path: Path, tiny_t2v_folder: Path, target: str) -> None:
    result = run_cli("enc", str(eval_clip("foreman_352x288.y4m")), "-o", str(tmp_path / "t.gvc"), "--frames", "5",
                     "--gop", "5", "--model", str(tiny_t2v_folder), *SMALL, "--target-bpp", target, check=False)
    assert result.returncode == 1
    assert "outside the rates this geometry can reach" in result.stderr.decode()
    assert not (tmp_path / "t.gvc").exists()
