"""Shared test fixtures: the repository's real evaluation clips and tiny random Wan folders."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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


def load_script(name: str) -> ModuleType:
    """A script of ``benchmarks/`` (not a package) imported from its path, registered as ``benchmarks_<name>``."""
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", REPO / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    """Fingerprint digests go to a temporary XDG cache, never the user's (the CLIs inherit the variable)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models are all overhead: one thread is faster and does not suffer from a busy machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_t2v_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gvcodec.testing.tiny_wan import write_tiny_wan

    return write_tiny_wan(tmp_path_factory.mktemp("tiny_t2v"), variant="t2v")


@pytest.fixture(scope="session")
def tiny_nano_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gvcodec.testing.tiny_wan import write_tiny_wan

    return write_tiny_wan(tmp_path_factory.mktemp("tiny_nano"), variant="nano")
