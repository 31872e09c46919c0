"""Training clips: videos decoded once with the codec's own reader and colour conversion, then random
crops, horizontal flips and temporal strides drawn from them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from gvcodec.colour import yuv420_to_rgb
from gvcodec.errors import InputError
from gvcodec.io.atomic import input_files
from gvcodec.io.pyav_io import PyAVReader

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".webm", ".avi", ".y4m")
EVAL_FOLDER_NAME = "testvideos"
_CONVERT_CHUNK = 32


@dataclass(frozen=True)
class Clip:
    """One decoded video: ``video`` is ``(3, F, H, W)`` in [-1, 1] (float16 to halve memory)."""

    name: str
    video: torch.Tensor

    @property
    def frames(self) -> int:
        return self.video.shape[1]


def list_videos(folder: Path) -> list[Path]:
    """The video files directly inside ``folder``, sorted by name; refuses the evaluation clips."""
    folder = Path(folder)
    if folder.resolve().name == EVAL_FOLDER_NAME:
        raise InputError(f"{folder} holds the evaluation clips; the recipe never trains on them (pass trainvideos)")
    if not folder.is_dir():
        raise InputError(f"training data folder {folder} does not exist")
    videos = [p for p in input_files(folder, "*") if p.suffix.lower() in VIDEO_SUFFIXES]
    if not videos:
        raise InputError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) found in {folder}")
    return videos


def read_clip(path: Path, max_frames: int | None = None, device: torch.device | str = "cpu") -> Clip:
    """Decode ``path`` (its first ``max_frames`` frames) to RGB through :func:`gvcodec.colour.yuv420_to_rgb`."""
    parts: list[torch.Tensor] = []
    pending = []
    with PyAVReader(path) as reader:
        for index, frame in enumerate(reader):
            if max_frames is not None and index >= max_frames:
                break
            pending.append(frame)
            if len(pending) == _CONVERT_CHUNK:
                parts.append(yuv420_to_rgb(pending).to(device, torch.float16))
                pending = []
    if pending:
        parts.append(yuv420_to_rgb(pending).to(device, torch.float16))
    if not parts:
        raise InputError(f"{path} has no video frames")
    return Clip(name=path.stem, video=torch.cat(parts, dim=1))


def read_clips(
    folder: Path,
    limit: int | None = None,
    max_frames: int | None = None,
    device: torch.device | str = "cpu",
) -> list[Clip]:
    """The first ``limit`` videos of ``folder`` (all when None), each cut to ``max_frames`` frames."""
    paths = list_videos(folder)[:limit]
    return [read_clip(path, max_frames, device) for path in paths]


class ClipSampler:
    """Random training windows of ``frames`` frames and ``height`` x ``width`` pixels.

    Each sample picks a clip uniformly, the largest temporal stride among ``strides`` the clip allows
    (then a random one of those that fit), a random window, a random crop and a random horizontal flip.
    """

    def __init__(
        self,
        clips: Sequence[Clip],
        frames: int,
        height: int,
        width: int,
        strides: Sequence[int] = (1, 2),
        generator: torch.Generator | None = None,
    ) -> None:
        self.frames, self.height, self.width = frames, height, width
        self.strides = tuple(strides)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)
        self.clips = [
            c for c in clips
            if c.frames >= frames and c.video.shape[2] >= height and c.video.shape[3] >= width
        ]
        if not self.clips:
            raise InputError(
                f"no training clip has {frames} frames of at least {width}x{height}; "
                "use longer or larger videos, or smaller crops"
            )

    def _randint(self, high: int) -> int:
        return int(torch.randint(high, (1,), generator=self.generator))

    def window(self) -> torch.Tensor:
        """One sample ``(3, frames, height, width)``, float16, on the clips' device."""
        clip = self.clips[self._randint(len(self.clips))].video
        fitting = [s for s in self.strides if (self.frames - 1) * s + 1 <= clip.shape[1]]
        stride = fitting[self._randint(len(fitting))]
        span = (self.frames - 1) * stride + 1
        start = self._randint(clip.shape[1] - span + 1)
        top = self._randint(clip.shape[2] - self.height + 1)
        left = self._randint(clip.shape[3] - self.width + 1)
        window = clip[:, start : start + span : stride, top : top + self.height, left : left + self.width]
        if self._randint(2):
            window = window.flip(-1)
        return window

    def batch(self, size: int, device: torch.device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """``size`` samples stacked to ``(B, 3, frames, height, width)`` on ``device``."""
        return torch.stack([self.window() for _ in range(size)]).to(device, dtype)
