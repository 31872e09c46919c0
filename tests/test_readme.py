"""The README's Python API snippet runs as printed, prints what it did, and imports nothing it does not use."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

CLIP = REPO / "examples" / "carphone_176x144_17f.y4m"


def api_snippet() -> str:
    """The first Python block after the README's "Python API" heading."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Python API") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README's Python API section has no python block"
    return match.group(1)


def test_the_snippet_imports_only_names_it_uses() -> None:
    tree = ast.parse(api_snippet())
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names
    }
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert imported <= used, f"unused imports: {sorted(imported - used)}"


@pytest.mark.slow
def test_the_snippet_runs_and_prints_what_it_coded(tmp_path: Path) -> None:
    """On the first 5 frames of the demo clip, as ``clip.y4m``, with the embedded nano model."""
    data = CLIP.read_bytes()
    header_end = data.index(b"\n") + 1
    frame = len(b"FRAME\n") + 176 * 144 * 3 // 2
    (tmp_path / "clip.y4m").write_bytes(data[: header_end + 5 * frame])
    result = subprocess.run(
        [sys.executable, "-c", api_snippet()], cwd=tmp_path, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"5 frames 176x144 in \d+ bytes\n", result.stdout), result.stdout
