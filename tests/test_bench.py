"""gvc-bench: BD-rate arithmetic, and a quick run producing points, plots and the BD table, resumably."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gvcodec.bench.bjontegaard import bd_rate
from gvcodec.bench.report import curves
from tests.helpers import shared_path

QUALITY = [30.0, 33.0, 36.0, 39.0]
RATES = [0.01, 0.02, 0.04, 0.08]


def test_bd_rate_of_a_curve_against_itself_is_zero() -> None:
    assert bd_rate(RATES, QUALITY, RATES, QUALITY) == pytest.approx(0.0, abs=1e-9)


def test_bd_rate_of_a_curve_needing_half_the_bits_is_minus_fifty_percent() -> None:
    assert bd_rate(RATES, QUALITY, [r / 2 for r in RATES], QUALITY) == pytest.approx(-50.0, abs=1e-6)


def test_bd_rate_without_quality_overlap_is_none() -> None:
    assert bd_rate(RATES, QUALITY, RATES, [q + 20 for q in QUALITY]) is None


def run_bench(output: Path, model: Path) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "gvcodec.cli.bench", str(shared_path("testvideos")), "-o", str(output), "--quick", "-q",
        "--clips", "carphone_176x144", "foreman_352x288", "--codecs", "x264", "svtav1", "--model", str(model),
    ]
    result = subprocess.run(command, capture_output=True, timeout=900)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result


@pytest.mark.slow
def test_quick_bench_writes_points_plots_and_bd_table_and_resumes(tmp_path: Path, tiny_t2v_folder: Path) -> None:
    output = tmp_path / "bench"
    first = run_bench(output, tiny_t2v_folder)
    with open(output / "points.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 2 * (2 + 2 * 2)
    assert {row["codec"] for row in rows} == {"gvcodec", "x264", "svtav1"}
    for row in rows:
        assert float(row["bpp"]) > 0 and float(row["psnr_rgb"]) > 5 and 0 <= float(row["lpips"]) <= 1.5
    for row in (row for row in rows if row["codec"] == "gvcodec"):
        parts = [int(row[f"{name}_bytes"]) for name in ("header", "anchors", "codebook", "residual", "framing")]
        assert sum(parts) == int(row["bytes"]) and parts[2] > 0
    for name in ("rd_carphone_176x144.png", "rd_foreman_352x288.png", "rd_average.png"):
        assert (output / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = json.loads((output / "bd_rate.json").read_text())
    assert {(row["clip"], row["baseline"]) for row in table} >= {("average", "x264"), ("average", "svtav1")}
    assert "BD-rate" in (output / "bd_rate.md").read_text()
    assert b"average" in first.stdout

    lines = (output / "points.jsonl").read_text().splitlines()
    run_bench(output, tiny_t2v_folder)
    assert (output / "points.jsonl").read_text().splitlines() == lines


def test_curves_keep_dense_and_shifted_codebooks_apart() -> None:
    points = [
        {"clip": "c", "codec": "gvcodec", "setting": f"t2v atoms={m} atom_generator={g}", "bpp": m * g, "psnr_rgb": m}
        for g in (1, 2) for m in (4, 8)
    ]
    points += [{**points[0], "setting": "flf2v atoms=4 anchor_quality=48"}, {**points[0], "setting": "t2v atoms=4 seed=1"}]
    assert set(curves(points)["c"]) == {
        "gvcodec t2v", "gvcodec t2v dense", "gvcodec flf2v anchor-q=48", "gvcodec t2v seed=1"
    }
