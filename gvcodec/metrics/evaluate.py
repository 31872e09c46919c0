"""One entry point for every quality metric of decoded frames against their source.

All metrics compare frame ``i`` of the distorted video with frame ``i`` of the reference, in the
source's colour space (BT.601 limited-range yuv420p; RGB through :func:`gvcodec.colour.yuv420_to_rgb`).
A clip's value is the mean of its per-frame values (VMAF: libvmaf's pooled mean, also per frame).

- ``psnr_y``: PSNR of the 8-bit Y plane, peak 255, capped at 100 dB (:mod:`.psnr`).
- ``psnr_rgb``: PSNR of RGB on the 0..255 scale, capped at 100 dB (:mod:`.psnr`).
- ``msssim``: MS-SSIM on RGB, 5 scales, small frames mirror-padded (:mod:`.msssim`).
- ``lpips``: LPIPS-Alex v0.1 on RGB (:mod:`.lpips`), lower is better.
- ``vmaf``: VMAF vmaf_v0.6.1 through ffmpeg's libvmaf (:mod:`.vmaf`).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from gvcodec.colour import yuv420_to_rgb
from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.metrics.lpips import lpips_distance
from gvcodec.metrics.msssim import frame_ms_ssim
from gvcodec.metrics.psnr import frame_psnr_rgb, frame_psnr_y
from gvcodec.metrics.vmaf import vmaf

METRICS = ("psnr_y", "psnr_rgb", "msssim", "lpips", "vmaf")
_RGB_METRICS = ("psnr_rgb", "msssim", "lpips")
CHUNK_FRAMES = 16  # frames converted to RGB and measured at once: bounds memory on long clips


def check_aligned(reference: Sequence[Yuv420Frame], distorted: Sequence[Yuv420Frame]) -> None:
    """Raise InputError unless both videos have the same, non-zero frame count and one frame size."""
    if len(reference) == 0:
        raise InputError("quality metrics need at least one reference frame, got none")
    if len(reference) != len(distorted):
        raise InputError(
            f"metrics compare frame by frame: the reference has {len(reference)} frames, the decoded "
            f"video {len(distorted)}"
        )
    width, height = reference[0].width, reference[0].height
    for index, (ref, dist) in enumerate(zip(reference, distorted)):
        for name, frame in (("reference", ref), ("decoded", dist)):
            if (frame.width, frame.height) != (width, height):
                raise InputError(
                    f"metrics need one frame size: reference frame 0 is {width}x{height}, {name} frame "
                    f"{index} is {frame.width}x{frame.height}"
                )


def _rgb(frames: Sequence[Yuv420Frame]) -> torch.Tensor:
    """Frames -> ``(F, 3, H, W)`` RGB in [-1, 1]."""
    return yuv420_to_rgb(frames).permute(1, 0, 2, 3).contiguous()


def evaluate(
    reference: Sequence[Yuv420Frame],
    distorted: Sequence[Yuv420Frame],
    metrics: Sequence[str] = METRICS,
    device: str = "cpu",
) -> dict[str, float]:
    """``{metric: clip value}`` for each name in ``metrics`` (see the module docstring).

    ``device`` runs MS-SSIM and LPIPS there (e.g. ``"cuda"``); the rest runs on the CPU.
    """
    unknown = [name for name in metrics if name not in METRICS]
    if unknown or len(metrics) == 0:
        raise InputError(
            f"unknown or no metrics {unknown or list(metrics)}; choose from {', '.join(METRICS)}"
        )
    check_aligned(reference, distorted)
    per_frame: dict[str, list[torch.Tensor]] = {name: [] for name in metrics if name != "vmaf"}
    for start in range(0, len(reference), CHUNK_FRAMES):
        ref = reference[start : start + CHUNK_FRAMES]
        dist = distorted[start : start + CHUNK_FRAMES]
        if "psnr_y" in per_frame:
            per_frame["psnr_y"].append(frame_psnr_y(ref, dist))
        if any(name in per_frame for name in _RGB_METRICS):
            ref_rgb, dist_rgb = _rgb(ref), _rgb(dist)
            if "psnr_rgb" in per_frame:
                per_frame["psnr_rgb"].append(frame_psnr_rgb(ref_rgb, dist_rgb))
            if "msssim" in per_frame:
                per_frame["msssim"].append(frame_ms_ssim(ref_rgb, dist_rgb, device))
            if "lpips" in per_frame:
                per_frame["lpips"].append(lpips_distance(ref_rgb, dist_rgb, device).to(torch.float64))
    results = {name: float(torch.cat(values).mean()) for name, values in per_frame.items()}
    if "vmaf" in metrics:
        results["vmaf"] = vmaf(reference, distorted)
    return {name: results[name] for name in metrics}


def psnr_y(reference: Sequence[Yuv420Frame], distorted: Sequence[Yuv420Frame]) -> float:
    """Mean per-frame PSNR of the Y plane (dB)."""
    return evaluate(reference, distorted, ("psnr_y",))["psnr_y"]


def psnr_rgb(reference: Sequence[Yuv420Frame], distorted: Sequence[Yuv420Frame]) -> float:
    """Mean per-frame PSNR of BT.601 RGB on the 0..255 scale (dB)."""
    return evaluate(reference, distorted, ("psnr_rgb",))["psnr_rgb"]


def ms_ssim(reference: Sequence[Yuv420Frame], distorted: Sequence[Yuv420Frame], device: str = "cpu") -> float:
    """Mean per-frame MS-SSIM on RGB, in [0, 1]."""
    return evaluate(reference, distorted, ("msssim",), device)["msssim"]


def lpips(reference: Sequence[Yuv420Frame], distorted: Sequence[Yuv420Frame], device: str = "cpu") -> float:
    """Mean per-frame LPIPS-Alex v0.1 on RGB (0 for identical frames, lower is better)."""
    return evaluate(reference, distorted, ("lpips",), device)["lpips"]
