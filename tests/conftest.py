"""Shared test fixtures: tiny random Wan folders, an isolated cache, one torch thread; the ``slow`` marker."""
from __future__ import annotations

from pathlib import Path

import pytest

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: end-to-end runs through the command lines or real clips (deselect with -m 'not slow')"
    )
