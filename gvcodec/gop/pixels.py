"""Frames as the API takes them to yuv420 planes, source frames to the padded RGB video a backbone codes,
and decoded video back to source frames.

Padding repeats the last frame up to the coded frame count and replicates the edge pixels up to the
padded size; the way back crops both. The colour conversion runs on the backbone's device (33 720p
frames take seconds on a CPU).
"""
from __future__ import annotations

import av
import numpy as np
import torch
import torch.nn.functional as F

from gvcodec.colour import rgb_to_yuv420, yuv420_to_rgb
from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.pyav_io import av_frame_to_yuv420


def as_yuv420(frame: Yuv420Frame | av.VideoFrame | np.ndarray) -> Yuv420Frame:
    """Any frame the encoder accepts as BT.601 limited-range yuv420p planes."""
    if isinstance(frame, Yuv420Frame):
        return frame
    if isinstance(frame, av.VideoFrame):
        return av_frame_to_yuv420(frame)
    if isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8:
        rgb = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)[:, None].float() / 127.5 - 1
        return rgb_to_yuv420(rgb)[0]
    raise InputError(
        "a frame must be a gvcodec Yuv420Frame, an av.VideoFrame or an (H, W, 3) uint8 RGB array, "
        f"got {type(frame).__name__}" + (f" of shape {frame.shape} and dtype {frame.dtype}" if isinstance(frame, np.ndarray) else "")
    )


def pad_video(video: torch.Tensor, frames: int, width: int, height: int) -> torch.Tensor:
    """Pad ``(3, n, H0, W0)`` to ``(3, frames, height, width)`` by repeating the last frame and edge pixels."""
    _, count, source_height, source_width = video.shape
    if count < frames:
        video = torch.cat([video, video[:, -1:].expand(-1, frames - count, -1, -1)], dim=1)
    if (source_height, source_width) != (height, width):
        video = F.pad(video, (0, width - source_width, 0, height - source_height), mode="replicate")
    return video


def frames_to_video(
    frames: list[Yuv420Frame], coded_frames: int, width: int, height: int, device: torch.device
) -> torch.Tensor:
    """``(3, coded_frames, height, width)`` RGB in ``[-1, 1]`` on ``device``, padded from ``frames``."""
    return pad_video(yuv420_to_rgb(frames, device), coded_frames, width, height)


def condition_tensor(frame: Yuv420Frame | None, width: int, height: int, device: torch.device) -> torch.Tensor | None:
    """A condition frame as the backbone takes it: ``(3, height, width)`` RGB in ``[-1, 1]``, padded."""
    return None if frame is None else frames_to_video([frame], 1, width, height, device)[:, 0]


def video_to_frames(video: torch.Tensor, first: int, count: int, width: int, height: int) -> list[Yuv420Frame]:
    """Frames ``first`` to ``count - 1`` of a decoded ``(3, F, H, W)`` video, cropped to ``width x height``."""
    return rgb_to_yuv420(video[:, first:count, :height, :width].float())
