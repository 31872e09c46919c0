"""Running the static ffmpeg of the ``imageio-ffmpeg`` wheel, which has libvmaf and the baseline encoders."""
from __future__ import annotations

import subprocess
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from gvcodec.errors import GvcError, InputError

_STDERR_TAIL = 2000


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with ``imageio-ffmpeg``."""
    try:
        import imageio_ffmpeg
    except ImportError as err:
        raise InputError(
            "VMAF and the baseline codecs run the ffmpeg of the imageio-ffmpeg package; "
            "install it: pip install 'imageio-ffmpeg>=0.8.1'"
        ) from err
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(
    args: Sequence[str], what: str, error: type[GvcError] = InputError, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``ffmpeg -nostdin -hide_banner <args>``; on failure raise ``error`` naming ``what`` failed,
    with the end of ffmpeg's log."""
    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", *args]
    result = subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True)
    if result.returncode != 0:
        log = result.stderr.decode("utf-8", errors="replace")[-_STDERR_TAIL:]
        raise error(f"{what} failed: ffmpeg exited with status {result.returncode}:\n{log}")
    return result


@lru_cache(maxsize=1)
def ffmpeg_encoders() -> frozenset[str]:
    """Names of the video encoders this ffmpeg build has (``ffmpeg -encoders``)."""
    listing = run_ffmpeg(["-encoders"], "listing ffmpeg's encoders").stdout.decode("utf-8", errors="replace")
    names = set()
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 2 and len(fields[0]) == 6 and fields[0].startswith("V"):
            names.add(fields[1])
    return frozenset(names)
