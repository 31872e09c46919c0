"""VMAF (Netflix, model vmaf_v0.6.1) through ffmpeg's libvmaf filter; a clip's VMAF is the mean of its
frames' scores (libvmaf's pooled mean)."""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from gvcodec.errors import GvcError, InputError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.y4m import Y4MReader, Y4MWriter
from gvcodec.metrics.ffmpeg import run_ffmpeg

MODEL = "vmaf_v0.6.1"
_LOG = "vmaf.json"


def _y4m_shape(path: Path) -> tuple[int, int, int]:
    """(width, height, frame count) of a y4m file."""
    if not path.is_file():
        raise InputError(f"VMAF input {path} does not exist")
    with Y4MReader(path.open("rb"), owns_stream=True, name=str(path)) as reader:
        count = reader.info.frame_count
        if count is None:
            count = sum(1 for _ in reader)
        return reader.info.width, reader.info.height, count


def vmaf_files(reference: Path, distorted: Path) -> float:
    """VMAF of ``distorted`` against ``reference``, two y4m files of one size and frame count."""
    ref_shape, dist_shape = _y4m_shape(reference), _y4m_shape(distorted)
    if ref_shape != dist_shape:
        raise InputError(
            f"VMAF compares videos frame by frame: {reference} is {ref_shape[0]}x{ref_shape[1]} with "
            f"{ref_shape[2]} frames, {distorted} is {dist_shape[0]}x{dist_shape[1]} with {dist_shape[2]}"
        )
    if ref_shape[2] == 0:
        raise InputError(f"VMAF needs at least one frame; {reference} has none")
    threads = os.cpu_count() or 1
    # Both inputs restart at time 0, so libvmaf pairs frame i with frame i whatever their rates.
    graph = (
        "[0:v]setpts=PTS-STARTPTS[distorted];[1:v]setpts=PTS-STARTPTS[reference];"
        f"[distorted][reference]libvmaf=model=version={MODEL}:log_fmt=json:log_path={_LOG}"
        f":n_threads={threads}"
    )
    with tempfile.TemporaryDirectory(prefix="gvc-vmaf-") as folder:
        inputs = ["-i", str(distorted.resolve()), "-i", str(reference.resolve())]
        run_ffmpeg([*inputs, "-lavfi", graph, "-f", "null", "-"], "VMAF (ffmpeg libvmaf)", cwd=Path(folder))
        log = json.loads((Path(folder) / _LOG).read_text(encoding="utf-8"))
    scored = len(log.get("frames", []))
    if scored != ref_shape[2]:
        raise GvcError(f"libvmaf scored {scored} frames of {ref_shape[2]}; its log is not trustworthy")
    return float(log["pooled_metrics"]["vmaf"]["mean"])


def vmaf(reference: Sequence[Yuv420Frame], distorted: Sequence[Yuv420Frame]) -> float:
    """VMAF of frame sequences (written to temporary y4m files for ffmpeg)."""
    if len(reference) == 0:
        raise InputError("VMAF needs at least one frame")
    with tempfile.TemporaryDirectory(prefix="gvc-vmaf-in-") as folder:
        paths = []
        for name, frames in (("reference", reference), ("distorted", distorted)):
            path = Path(folder) / f"{name}.y4m"
            # Any rate will do: vmaf_files pairs frames by index.
            with Y4MWriter(
                path.open("wb"), frames[0].width, frames[0].height, Fraction(25), owns_stream=True
            ) as sink:
                for frame in frames:
                    sink.write(frame)
            paths.append(path)
        return vmaf_files(paths[0], paths[1])
