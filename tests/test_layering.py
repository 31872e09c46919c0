"""The import rules of DESIGN.md §3, checked by walking every module's imports: an arrow against them fails."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

# Top to bottom; a module may import its own group and any group below its own, never one above.
LAYERS: list[tuple[str, ...]] = [
    ("gvcodec.cli", "ffmpeg_bridge"),
    ("gvcodec.bench", "gvcodec.metrics"),
    ("gvcodec.codec", "gvcodec.concealment", "gvcodec.options", "gvcodec.gvc_file", "gvcodec.parallel"),
    ("gvcodec.gop",),
    ("gvcodec.modes", "gvcodec.anchors"),
    ("gvcodec.sampler", "gvcodec.noise_sources"),
    ("gvcodec.sde", "gvcodec.codebook", "gvcodec.backbones", "gvcodec.residual", "gvcodec.rate", "gvcodec.colour",
     "gvcodec.combinatorial", "gvcodec.philox", "gvcodec.native"),
]
# Shared by every layer: errors, file and frame helpers, the container (which itself imports no gvcodec).
SHARED = ("gvcodec.errors", "gvcodec.io", "container")
# The command lines encode and decode through the codec (in one process or in parallel) and its options only
# (DESIGN.md §3, rule 1);
# gvc-info reads the container, gvc-bench the metrics and the benchmark code, and the byte counts of
# gvcodec.rate / gvcodec.combinatorial are plain arithmetic on the format.
COMMAND_LINE_REACH = ("gvcodec.cli", "gvcodec.codec", "gvcodec.concealment", "gvcodec.options", "gvcodec.parallel",
                      "gvcodec.bench", "gvcodec.metrics",
                      "gvcodec.rate", "gvcodec.combinatorial", "ffmpeg_bridge") + SHARED
CHECKED_ROOTS = ("gvcodec", "container", "ffmpeg_bridge")
UNCHECKED = ("gvcodec.train", "gvcodec.testing")  # the training recipe and test fixtures use any layer


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of the project modules ``path`` imports (relative imports resolved), at any depth."""
    names = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names.update(f"{base}.{alias.name}" for alias in node.names)
            names.add(base)
    return {name for name in names if name.split(".")[0] in CHECKED_ROOTS}


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def layer_of(name: str) -> int | None:
    for index, group in enumerate(LAYERS):
        if within(name, group):
            return index
    return None


def violations() -> list[str]:
    found = []
    for root in CHECKED_ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            importer = module_name(path)
            if within(importer, UNCHECKED):
                continue
            for imported in sorted(imports_of(path)):
                if importer.startswith("container"):
                    if not imported.startswith("container"):
                        found.append(f"{importer} -> {imported}: the container imports nothing of gvcodec")
                    continue
                if within(importer, SHARED) and not within(imported, SHARED):
                    found.append(f"{importer} -> {imported}: shared helpers import only shared helpers")
                    continue
                if within(imported, SHARED) or imported == "gvcodec":
                    if imported == "gvcodec" and importer != "gvcodec":
                        found.append(f"{importer} -> gvcodec: the package root re-exports the codec, import its module")
                    continue
                if within(importer, ("gvcodec.cli", "ffmpeg_bridge")) and not within(imported, COMMAND_LINE_REACH):
                    found.append(f"{importer} -> {imported}: the command lines go through the codec and its options")
                    continue
                mine, theirs = layer_of(importer), layer_of(imported)
                if theirs is None and not within(imported, UNCHECKED):
                    found.append(f"{imported} (imported by {importer}) has no layer in DESIGN.md §3 / this test")
                elif mine is not None and theirs is not None and theirs < mine:
                    found.append(f"{importer} -> {imported}: an import against the layers")
    return found


def test_no_import_points_up_the_layers_of_design_section_3() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    "command",
    [["gvcodec.cli.info", "{stream}", "--json"], ["container"]],
    ids=["gvc-info", "python -m container"],
)
def test_reading_a_stream_needs_no_torch(command: list[str]) -> None:
    stream = REPO / "tests" / "data" / "golden" / "t2v_generator1.gvc"
    module, *arguments = [part.format(stream=stream) for part in command]
    script = (
        "import runpy, sys\n"
        f"sys.argv = [{module!r}, *{arguments!r}]\n"
        "try:\n"
        f"    runpy.run_module({module!r}, run_name='__main__')\n"
        "except SystemExit as exit_:\n"
        "    assert not exit_.code, exit_.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True, capture_output=True, timeout=120)
