"""Shared test fixtures: the repository's real evaluation clips and tiny random Wan folders."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TESTVIDEOS = SHARED / "testvideos"


def eval_clip(name: str) -> Path:
    """Path of an evaluation clip from ``../shared/testvideos`` (CI has it beside the clone)."""
    path = TESTVIDEOS / name
    if not path.exists():
        pytest.fail(f"evaluation clip {path} is missing: tests expect ../shared/testvideos beside the repository")
    return path


@pytest.fixture(scope="session")
def tiny_t2v_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gvcodec.testing.tiny_wan import write_tiny_wan

    return write_tiny_wan(tmp_path_factory.mktemp("tiny_t2v"), variant="t2v")


@pytest.fixture(scope="session")
def tiny_nano_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gvcodec.testing.tiny_wan import write_tiny_wan

    return write_tiny_wan(tmp_path_factory.mktemp("tiny_nano"), variant="nano")
