"""BT.601 limited-range 8-bit yuv420p <-> RGB in [-1, 1], the codec's only colour conversion.

Conventions (ITU-R BT.601, "TV" range), with ``Kr = 0.299``, ``Kb = 0.114``, ``Kg = 1 - Kr - Kb``::

    y  = (Y - 16) / 219          cb = (Cb - 128) / 224          cr = (Cr - 128) / 224
    R  = y + 2 (1 - Kr) cr
    G  = y - (2 Kb (1 - Kb) cb + 2 Kr (1 - Kr) cr) / Kg
    B  = y + 2 (1 - Kb) cb
    rgb_model = 2 RGB - 1        (the model's [-1, 1] range)

Chroma siting is "jpeg" / MPEG-1 centred: chroma sample ``j`` sits between luma samples ``2j`` and
``2j + 1`` in both directions, as in the eval clips (``C420jpeg``). Upsampling is bilinear at that
siting; downsampling is the mean of each 2x2 luma block.

Both directions compute in float64 with elementwise operations and fixed-order sums only, on the device
the codec runs on (the CPU by default), so equal inputs give bit-identical outputs on every run (the
encoder's ``--recon`` and the decoder's output are compared byte for byte). Another device may contract
a multiply-add differently and move a value across a rounding boundary: one code value at rare pixels,
far inside the drift that another device's model numerics already cause.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame

KR = 0.299
KB = 0.114
KG = 1.0 - KR - KB


def _upsample_axis(plane: torch.Tensor, axis: int, full: int) -> torch.Tensor:
    """Bilinear 2x upsampling of ``plane`` along ``axis`` to ``full`` samples, centred siting.

    Luma sample ``x`` lies at chroma coordinate ``s = (x - 1/2) / 2``; with ``i = floor(s)``,
    ``w = s - i``: ``out[x] = (1 - w) c[i] + w c[i + 1]``, indices clamped to the plane (edge
    replication). So ``out[2j] = 3/4 c[j] + 1/4 c[j - 1]`` and ``out[2j + 1] = 3/4 c[j] + 1/4 c[j + 1]``.
    """
    half = plane.shape[axis]
    x = torch.arange(full, dtype=torch.float64, device=plane.device)
    s = (x - 0.5) / 2.0
    i0 = torch.floor(s)
    w = s - i0
    i0 = i0.long()
    lo = plane.index_select(axis, i0.clamp(0, half - 1))
    hi = plane.index_select(axis, (i0 + 1).clamp(0, half - 1))
    shape = [1] * plane.dim()
    shape[axis] = full
    w = w.reshape(shape)
    return lo * (1.0 - w) + hi * w


def _upsample_chroma(plane: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(F, ceil(H/2), ceil(W/2)) -> (F, H, W), bilinear, centred siting (see ``_upsample_axis``)."""
    return _upsample_axis(_upsample_axis(plane, 1, height), 2, width)


def _downsample_chroma(plane: torch.Tensor) -> torch.Tensor:
    """(F, H, W) -> (F, ceil(H/2), ceil(W/2)): ``c[j, i] = mean of the 2x2 block (2j..2j+1, 2i..2i+1)``.

    At an odd edge the block holds only the samples that exist (1 or 2), and the mean is over those.
    """
    frames, height, width = plane.shape
    pad_h, pad_w = height % 2, width % 2
    # Edge replication makes the mean of a 1- or 2-sample edge block equal to the mean of its samples.
    if pad_h:
        plane = torch.cat([plane, plane[:, -1:, :]], dim=1)
    if pad_w:
        plane = torch.cat([plane, plane[:, :, -1:]], dim=2)
    top_left = plane[:, 0::2, 0::2]
    top_right = plane[:, 0::2, 1::2]
    bottom_left = plane[:, 1::2, 0::2]
    bottom_right = plane[:, 1::2, 1::2]
    return ((top_left + top_right) + (bottom_left + bottom_right)) / 4.0


def yuv420_to_rgb(frames: Sequence[Yuv420Frame], device: torch.device | str = "cpu") -> torch.Tensor:
    """Frames -> RGB video ``(3, F, H, W)`` float32 in [-1, 1] on ``device`` (equations in the module docstring).

    Chroma is upsampled bilinearly at centred siting; RGB is clamped to [-1, 1] (out-of-gamut
    YCbCr combinations exist in 8-bit limited range).
    """
    if len(frames) == 0:
        raise InputError("yuv420_to_rgb needs at least one frame")
    width, height = frames[0].width, frames[0].height
    for index, frame in enumerate(frames):
        if (frame.width, frame.height) != (width, height):
            raise InputError(
                f"all frames of a video must have one size: frame 0 is {width}x{height}, "
                f"frame {index} is {frame.width}x{frame.height}"
            )
    luma = torch.from_numpy(np.stack([f.y for f in frames])).to(device).to(torch.float64)
    cb_half = torch.from_numpy(np.stack([f.u for f in frames])).to(device).to(torch.float64)
    cr_half = torch.from_numpy(np.stack([f.v for f in frames])).to(device).to(torch.float64)

    y = (luma - 16.0) / 219.0
    cb = (_upsample_chroma(cb_half, height, width) - 128.0) / 224.0
    cr = (_upsample_chroma(cr_half, height, width) - 128.0) / 224.0

    red = y + 2.0 * (1.0 - KR) * cr
    green = y - (2.0 * KB * (1.0 - KB) * cb + 2.0 * KR * (1.0 - KR) * cr) / KG
    blue = y + 2.0 * (1.0 - KB) * cb
    rgb = torch.stack([red, green, blue]) * 2.0 - 1.0
    return rgb.clamp(-1.0, 1.0).to(torch.float32)


def _quantise(value: torch.Tensor, low: int, high: int) -> np.ndarray:
    """Round half up (``floor(v + 1/2)``), clip to ``[low, high]``, as C-contiguous uint8 planes."""
    return torch.floor(value + 0.5).clamp(low, high).to(torch.uint8).cpu().contiguous().numpy()


def rgb_to_yuv420(video: torch.Tensor) -> list[Yuv420Frame]:
    """RGB video ``(3, F, H, W)`` in [-1, 1] -> BT.601 limited-range yuv420p frames.

    With RGB first clamped to [-1, 1] and mapped to [0, 1] (``RGB = (rgb_model + 1) / 2``)::

        y  = Kr R + Kg G + Kb B
        Y  = 16 + 219 y
        Cb = 128 + 224 (B - y) / (2 (1 - Kb))       (computed per pixel, then 2x2-averaged)
        Cr = 128 + 224 (R - y) / (2 (1 - Kr))

    then rounded half up and clipped to 16..235 (Y) and 16..240 (Cb, Cr). Computed in float64 on the
    input's device whatever its dtype.
    """
    if video.dim() != 4 or video.shape[0] != 3:
        raise InputError(f"rgb_to_yuv420 expects a (3, F, H, W) tensor, got shape {tuple(video.shape)}")
    if video.shape[1] == 0 or video.shape[2] == 0 or video.shape[3] == 0:
        raise InputError(f"rgb_to_yuv420 got an empty video of shape {tuple(video.shape)}")
    rgb = (video.detach().to(torch.float64).clamp(-1.0, 1.0) + 1.0) / 2.0
    red, green, blue = rgb[0], rgb[1], rgb[2]

    y = KR * red + KG * green + KB * blue
    luma = 16.0 + 219.0 * y
    cb = 128.0 + 224.0 * (blue - y) / (2.0 * (1.0 - KB))
    cr = 128.0 + 224.0 * (red - y) / (2.0 * (1.0 - KR))

    luma_planes = _quantise(luma, 16, 235)
    cb_planes = _quantise(_downsample_chroma(cb), 16, 240)
    cr_planes = _quantise(_downsample_chroma(cr), 16, 240)
    return [
        Yuv420Frame(y=luma_planes[f], u=cb_planes[f], v=cr_planes[f])
        for f in range(luma_planes.shape[0])
    ]
