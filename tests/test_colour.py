"""BT.601 limited-range yuv420p <-> RGB [-1, 1]: against ffmpeg, round trips, exact values."""
from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import torch

from gvcodec.colour import rgb_to_yuv420, yuv420_to_rgb
from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.y4m import Y4MReader
from tests.helpers import eval_clip

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def clip_frames(path: Path, count: int) -> list[Yuv420Frame]:
    with Y4MReader(path.open("rb"), owns_stream=True) as reader:
        return [frame for _, frame in zip(range(count), reader)]


def ffmpeg_rgb24(path: Path, count: int, flags: str | None) -> np.ndarray:
    """ffmpeg's own BT.601 limited-range -> full-range RGB24 conversion, as (F, H, W, 3) uint8."""
    scale = "scale=in_color_matrix=bt601:in_range=tv:out_range=pc" + (f":flags={flags}" if flags else "")
    command = [FFMPEG, "-loglevel", "error", "-i", str(path), "-frames:v", str(count), "-vf", scale,
               "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    raw = subprocess.run(command, stdout=subprocess.PIPE, check=True).stdout
    first = clip_frames(path, 1)[0]
    return np.frombuffer(raw, np.uint8).reshape(count, first.height, first.width, 3)


def to_rgb24(video: torch.Tensor) -> np.ndarray:
    """(3, F, H, W) in [-1, 1] -> (F, H, W, 3) uint8, rounded to nearest."""
    return torch.floor((video + 1.0) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 3, 0).numpy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def planes(frames: list[Yuv420Frame], name: str) -> np.ndarray:
    return np.stack([getattr(frame, name) for frame in frames]).astype(np.int64)


def test_rgb_matches_ffmpeg_bt601_conversion_on_a_real_clip() -> None:
    frames = clip_frames(eval_clip("foreman_352x288.y4m"), 4)
    ours = to_rgb24(yuv420_to_rgb(frames))
    # Measured: 71.7 dB against swscale's exact path (bilinear, full chroma interpolation, accurate
    # rounding): the same maths; 44.0 dB against its default fast path (nearest-neighbour chroma).
    assert psnr(ours, ffmpeg_rgb24(eval_clip("foreman_352x288.y4m"), 4, "bilinear+accurate_rnd+full_chroma_int")) > 60
    assert psnr(ours, ffmpeg_rgb24(eval_clip("foreman_352x288.y4m"), 4, None)) > 40


def test_round_trip_keeps_luma_within_2_on_a_real_clip() -> None:
    frames = clip_frames(eval_clip("videocall_448x256.y4m"), 4)
    back = rgb_to_yuv420(yuv420_to_rgb(frames))
    assert np.abs(planes(back, "y") - planes(frames, "y")).max() <= 2  # measured: 0
    assert np.abs(planes(back, "u") - planes(frames, "u")).mean() < 0.2  # measured: 0.06 (chroma blur)
    assert np.abs(planes(back, "v") - planes(frames, "v")).mean() < 0.2


def test_round_trip_loses_luma_only_where_colours_leave_the_rgb_gamut() -> None:
    # Foreman holds Y values down to 0 and up to 255 and saturated edges: those pixels clamp in RGB.
    frames = clip_frames(eval_clip("foreman_352x288.y4m"), 4)
    rgb = yuv420_to_rgb(frames)
    error = np.abs(planes(rgb_to_yuv420(rgb), "y") - planes(frames, "y"))
    in_gamut = (rgb.abs() < 1.0).all(dim=0).numpy()
    assert error[in_gamut].max() <= 1
    assert (error > 2).mean() < 0.01  # measured: 0.49 % of pixels


def test_primaries_have_their_bt601_codes() -> None:
    rgb = torch.tensor([[1.0, -1.0, -1.0], [-1.0, 1.0, -1.0], [-1.0, -1.0, 1.0], [1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]])
    video = rgb.T.reshape(3, 5, 1, 1).expand(3, 5, 2, 2)
    codes = [(int(f.y[0, 0]), int(f.u[0, 0]), int(f.v[0, 0])) for f in rgb_to_yuv420(video)]
    assert codes == [(81, 90, 240), (145, 54, 34), (41, 240, 110), (235, 128, 128), (16, 128, 128)]
    back = yuv420_to_rgb(rgb_to_yuv420(video))
    assert torch.equal(back[:, 3], torch.ones(3, 2, 2))
    assert torch.equal(back[:, 4], -torch.ones(3, 2, 2))


def test_chroma_upsampling_is_bilinear_at_centred_siting() -> None:
    luma = np.full((2, 4), 126, np.uint8)
    frame = Yuv420Frame(y=luma, u=np.array([[128, 128]], np.uint8), v=np.array([[120, 160]], np.uint8))
    red = yuv420_to_rgb([frame])[0, 0].double()
    y = (126 - 16) / 219
    cr = ((red + 1) / 2 - y) / 1.402 * 224 + 128
    expected = torch.tensor([120.0, 130.0, 150.0, 160.0], dtype=torch.float64).expand(2, 4)
    assert torch.allclose(cr, expected, atol=1e-3)


def test_odd_sizes_average_only_the_samples_that_exist() -> None:
    # 3x3 picture: columns blue, blue, red. Chroma column 1 covers only the red column.
    rgb = torch.tensor([[-1.0, -1.0, 1.0], [-1.0, -1.0, -1.0], [1.0, 1.0, -1.0]]).reshape(3, 1, 1, 3).expand(3, 1, 3, 3)
    frame = rgb_to_yuv420(rgb)[0]
    assert frame.u.shape == (2, 2)
    assert frame.u.tolist() == [[240, 90], [240, 90]]
    assert frame.v.tolist() == [[110, 240], [110, 240]]
    assert yuv420_to_rgb([frame]).shape == (3, 1, 3, 3)


def test_rgb_to_yuv420_is_deterministic_across_dtypes_and_layouts() -> None:
    generator = torch.Generator().manual_seed(0)
    video = (torch.rand(3, 2, 17, 23, generator=generator) * 2.2 - 1.1).to(torch.float32)
    reference = b"".join(f.to_bytes() for f in rgb_to_yuv420(video))
    assert b"".join(f.to_bytes() for f in rgb_to_yuv420(video.clone())) == reference
    assert b"".join(f.to_bytes() for f in rgb_to_yuv420(video.double())) == reference
    strided = video.permute(1, 2, 3, 0).contiguous().permute(3, 0, 1, 2)
    assert not strided.is_contiguous()
    assert b"".join(f.to_bytes() for f in rgb_to_yuv420(strided)) == reference


def test_yuv420_to_rgb_is_float32_in_range() -> None:
    rgb = yuv420_to_rgb(clip_frames(eval_clip("foreman_352x288.y4m"), 2))
    assert rgb.dtype == torch.float32 and rgb.shape == (3, 2, 288, 352)
    assert rgb.min() >= -1.0 and rgb.max() <= 1.0


def test_bad_inputs_raise_input_error() -> None:
    frame = clip_frames(eval_clip("videocall_448x256.y4m"), 1)[0]
    other = clip_frames(eval_clip("foreman_352x288.y4m"), 1)[0]
    with pytest.raises(InputError, match="at least one frame"):
        yuv420_to_rgb([])
    with pytest.raises(InputError, match="frame 1 is 352x288"):
        yuv420_to_rgb([frame, other])
    with pytest.raises(InputError, match=r"\(3, F, H, W\)"):
        rgb_to_yuv420(torch.zeros(2, 1, 4, 4))
