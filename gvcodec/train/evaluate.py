"""Evaluation of a nano model folder on held-out clips: VAE PSNR (per clip and per frame position), flow
loss per t-bucket, CPU decode time.

The models are loaded the way the ``wan`` backbone loads them (float32, latents normalised with the VAE
config's ``latents_mean`` / ``latents_std``, the transformer's output added to the Gaussian prior's
velocity), directly through diffusers so the recipe can evaluate any folder it writes.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from diffusers import WanTransformer3DModel

from gvcodec.backbones.block_vae import BlockTransformVAE
from gvcodec.backbones.conditioning import anchor_video, condition_channels, frame_mask
from gvcodec.backbones.gaussian_prior import GaussianLatentPrior
from gvcodec.backbones.layout import PRIOR_FOLDER
from gvcodec.errors import InputError
from gvcodec.io.atomic import input_files
from gvcodec.train.data import VIDEO_SUFFIXES, read_clip
from gvcodec.train.flow_phase import ANCHORS, MODES, flow_matching_loss, predict_velocity
from gvcodec.train.latents import normalise
from gvcodec.train.measures import psnr_from_mse

T_BUCKETS = ((0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0))
T_PER_BUCKET = 2


def position_means(curves: Sequence[Sequence[float]]) -> list[float]:
    """Mean by position over curves of unequal length, for the positions every curve reaches."""
    common = min(len(curve) for curve in curves)
    return [sum(curve[p] for curve in curves) / len(curves) for p in range(common)]


@dataclass
class ClipResult:
    """Metrics of one evaluation clip."""

    name: str
    size: tuple[int, int]
    frames: int
    psnr: float
    flow_loss: dict[str, list[float]] = field(default_factory=dict)
    frame_psnr: list[float] = field(default_factory=list)


@dataclass
class Evaluation:
    """Metrics over all evaluation clips and the CPU decode time of one GOP."""

    clips: list[ClipResult]
    decode_seconds: float
    decode_threads: int
    transformer_call_seconds: float
    vae_decode_seconds: float
    gop: tuple[int, int, int] = (33, 256, 448)

    @property
    def mean_psnr(self) -> float:
        return sum(c.psnr for c in self.clips) / len(self.clips)

    @classmethod
    def from_dict(cls, data: dict) -> Evaluation:
        """Inverse of :func:`dataclasses.asdict` (as stored in ``evaluation.json``)."""
        clips = [ClipResult(**{**c, "size": tuple(c["size"])}) for c in data["clips"]]
        return cls(**{**data, "clips": clips, "gop": tuple(data.get("gop", (33, 256, 448)))})

    def frame_curve(self) -> list[float]:
        """PSNR by frame position, averaged over the clips, for the positions every clip reaches."""
        return position_means([c.frame_psnr for c in self.clips])

    def mean_flow_loss(self, mode: str) -> list[float]:
        """Per-bucket loss of ``mode`` averaged over clips."""
        rows = [c.flow_loss[mode] for c in self.clips]
        return [sum(r[b] for r in rows) / len(rows) for b in range(len(T_BUCKETS))]


Models = tuple[BlockTransformVAE, WanTransformer3DModel, GaussianLatentPrior]


def load_models(folder: Path) -> Models:
    """The folder's VAE, transformer and Gaussian prior in float32, eval mode, on the CPU."""
    vae = BlockTransformVAE.from_pretrained(folder / "vae", torch_dtype=torch.float32, local_files_only=True)
    transformer = WanTransformer3DModel.from_pretrained(
        folder / "transformer", torch_dtype=torch.float32, local_files_only=True
    )
    prior = GaussianLatentPrior.from_pretrained(folder / PRIOR_FOLDER, torch_dtype=torch.float32, local_files_only=True)
    return vae.eval(), transformer.eval(), prior.eval()


def centre_crop(video: torch.Tensor, multiple: int) -> torch.Tensor:
    """Crop ``(3, F, H, W)`` to the largest centred ``multiple``-aligned size."""
    height, width = video.shape[2] // multiple * multiple, video.shape[3] // multiple * multiple
    top, left = (video.shape[2] - height) // 2, (video.shape[3] - width) // 2
    return video[:, :, top : top + height, left : left + width]


def read_gop(path: Path, frames: int) -> torch.Tensor:
    """The first ``4k + 1 <= frames`` frames of a video as ``(3, F, H, W)`` float32 in [-1, 1]."""
    video = read_clip(path, max_frames=frames).video.float()
    return video[:, : (video.shape[1] - 1) // 4 * 4 + 1]


def _latent(vae: BlockTransformVAE, video: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        mean = vae.encode(video[None].float()).latent_dist.mean
    return normalise(mean, vae.config.latents_mean, vae.config.latents_std)[0]


def reconstruction_psnr(vae: BlockTransformVAE, video: torch.Tensor) -> tuple[float, list[float]]:
    """PSNR (dB, RGB, peak 255 equivalent) of ``D(E(video))`` against ``video`` in [-1, 1]: over the clip, and
    frame by frame."""
    with torch.no_grad():
        reconstruction = vae.decode_video(vae.encode_latent(video[None].float()))[0].clamp(-1.0, 1.0)
    error = (reconstruction - video.float()).square()
    per_frame = [psnr_from_mse(float(error[:, f].mean())) for f in range(video.shape[1])]
    return psnr_from_mse(float(error.mean())), per_frame


def bucket_times(bucket: tuple[float, float], count: int = T_PER_BUCKET) -> list[float]:
    """``count`` evenly spaced mid-points inside ``[lo, hi)``: ``lo + (k + 1/2) (hi - lo) / count``."""
    lo, hi = bucket
    return [lo + (k + 0.5) * (hi - lo) / count for k in range(count)]


def flow_losses(models: Models, video: torch.Tensor, seed: int = 0) -> dict[str, list[float]]:
    """Flow-matching loss of ``video`` (cropped to the transformer's pixel multiple) per mode and t-bucket,
    with fixed noise so that two models are compared on the same draws."""
    vae, transformer, prior = models
    video = centre_crop(video, 8 * transformer.config.patch_size[1])
    frames = video.shape[1]
    x0 = _latent(vae, video)[None]
    _, _, _, h, w = x0.shape
    generator = torch.Generator().manual_seed(seed)
    eps = torch.randn(x0.shape, generator=generator)
    result: dict[str, list[float]] = {}
    for mode, (first, last) in zip(MODES, ANCHORS):
        if first or last:
            anchor = anchor_video(video[:, 0].float() if first else None, video[:, -1].float() if last else None, frames)
            latent = _latent(vae, anchor)
        else:
            latent = torch.zeros_like(x0[0])
        mask = frame_mask(frames, h, w, first=first, last=last)
        conditions = condition_channels(mask, latent)[None]
        losses = []
        for bucket in T_BUCKETS:
            with torch.no_grad():
                values = [
                    float(flow_matching_loss(transformer, prior, x0, conditions, torch.tensor([t]), eps))
                    for t in bucket_times(bucket)
                ]
            losses.append(sum(values) / len(values))
        result[mode] = losses
    return result


def gop_decode_seconds(
    models: Models,
    frames: int = 33,
    height: int = 256,
    width: int = 448,
    steps: int = 20,
    threads: int = 2,
    repeats: int = 2,
) -> tuple[float, float, float]:
    """Wall time on ``threads`` CPU threads of one GOP decode: ``steps`` velocity calls (transformer + Gaussian
    prior) + VAE decode.

    Returns the fastest of ``repeats`` runs (the machine may be shared) as
    ``(total, seconds per transformer call, VAE decode seconds)``.
    """
    vae, transformer, prior = models
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    best = (float("inf"), float("inf"), float("inf"))
    try:
        latent_frames = (frames - 1) // vae.config.scale_factor_temporal + 1
        shape = (1, vae.config.z_dim, latent_frames, height // 8, width // 8)
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
        conditions = torch.zeros(1, transformer.config.in_channels - shape[1], *shape[2:])
        with torch.no_grad():
            predict_velocity(transformer, prior, x, conditions, torch.tensor([0.5]))
            for _ in range(repeats):
                start = time.perf_counter()
                for step in range(steps):
                    predict_velocity(transformer, prior, x, conditions, torch.tensor([1.0 - step / steps]))
                calls = time.perf_counter() - start
                start = time.perf_counter()
                vae.decode_video(x)
                decode = time.perf_counter() - start
                if calls + decode < best[0]:
                    best = (calls + decode, calls / steps, decode)
    finally:
        torch.set_num_threads(previous)
    return best


def evaluate_folder(
    folder: Path,
    eval_data: Path,
    frames: int = 33,
    names: Sequence[str] | None = None,
    repeats: int = 2,
    gop: tuple[int, int, int] = (33, 256, 448),
) -> Evaluation:
    """All metrics of the model in ``folder`` over the videos in ``eval_data`` (those whose stem is in
    ``names``, all when None; first ``frames`` frames each), and the decode time of a ``(F, H, W)`` GOP."""
    models = load_models(folder)
    results = []
    paths = [
        p for p in input_files(eval_data, "*")
        if p.suffix.lower() in VIDEO_SUFFIXES and (names is None or p.stem in names)
    ]
    if not paths:
        raise InputError(f"no evaluation videos found in {eval_data}")
    for path in paths:
        video = centre_crop(read_gop(path, frames), models[0].config.scale_factor_spatial)
        psnr, frame_psnr = reconstruction_psnr(models[0], video)
        results.append(
            ClipResult(
                name=path.stem,
                size=(video.shape[3], video.shape[2]),
                frames=video.shape[1],
                psnr=psnr,
                flow_loss=flow_losses(models, video),
                frame_psnr=frame_psnr,
            )
        )
        print(f"eval {path.stem}: psnr {results[-1].psnr:.2f} dB", flush=True)
    total, per_call, decode = gop_decode_seconds(models, *gop, repeats=repeats)
    return Evaluation(results, total, 2, per_call, decode, gop)
