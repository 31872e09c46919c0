"""Where and when a measurement ran (the device's name, the torch build, CPU threads, the UTC time), and the
JSON record a benchmark writes."""
from __future__ import annotations

import contextlib
import json
import platform
from datetime import datetime, timezone
from pathlib import Path

import torch

from gvcodec.io.binary import atomic_output
from gvcodec.errors import InputError

CPUINFO = Path("/proc/cpuinfo")


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU's model name from ``/proc/cpuinfo`` (``platform`` where there is none)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    with contextlib.suppress(OSError):
        for line in CPUINFO.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def set_threads(threads: int | None) -> None:
    """Use ``threads`` torch CPU threads (``None`` keeps torch's choice); ``InputError`` below 1."""
    if threads is None:
        return
    if threads < 1:
        raise InputError(f"--threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)


def run_context() -> dict[str, object]:
    """``torch`` version, CPU ``threads`` and ``date`` (UTC, ISO 8601) of a run, for its JSON record."""
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def write_record(path: str | Path | None, record: dict) -> None:
    """Write a run's record as indented JSON to ``path`` (all or nothing, ``-`` for stdout); nothing if ``None``."""
    if path is not None:
        with atomic_output(str(path)) as out:
            out.write((json.dumps(record, indent=2) + "\n").encode())
