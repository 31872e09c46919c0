"""Pack a model folder into numbered tar parts, for transfers that limit the size of each file.

Reassemble with ``cat NAME.tar.part* | tar -x``.
"""
from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

PART_BYTES = 15 * 1024 * 1024


def pack_parts(folder: Path, destination: Path, name: str, part_bytes: int = PART_BYTES) -> list[Path]:
    """Write ``folder`` as a tar split into ``destination/name.tar.partNN`` files of at most ``part_bytes``.

    Stale parts of an earlier, larger pack are removed so the parts on disk always form one archive.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(folder, arcname=name)
    data = buffer.getvalue()
    destination.mkdir(parents=True, exist_ok=True)
    for stale in destination.glob(f"{name}.tar.part*"):
        stale.unlink()
    parts = []
    for number, offset in enumerate(range(0, len(data), part_bytes)):
        part = destination / f"{name}.tar.part{number:02d}"
        partial = destination / f".{part.name}.writing"
        partial.write_bytes(data[offset : offset + part_bytes])
        os.replace(partial, part)
        parts.append(part)
    return parts
