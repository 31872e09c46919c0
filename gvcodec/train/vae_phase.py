"""VAE phase: the refinements of the block-transform VAE learn what the linear basis misses (MSE on video windows).

The basis stays fixed (it is the transform phase's PCA); only the encoder and decoder refinements train,
starting from zero, so the reconstruction starts at the linear transform's and improves from there.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from gvcodec.backbones.block_vae import BlockTransformVAE
from gvcodec.train.data import Clip, ClipSampler
from gvcodec.train.measures import psnr_from_mse
from gvcodec.train.phase_clock import PhaseClock, optimise, set_learning_rate


@dataclass(frozen=True)
class VaeSchedule:
    """How the VAE phase spends its wall-clock budget."""

    seconds: float
    batch: int = 8
    frames: int = 17
    crop: int = 128
    lr: float = 1e-3
    warmup: float = 0.05


@dataclass
class VaeReport:
    """What the phase did, for the log and the model card."""

    steps: int = 0
    seconds: float = 0.0
    last_psnr: float = float("nan")


def reconstruction_mse(vae: BlockTransformVAE, video: torch.Tensor) -> torch.Tensor:
    """``mean (D(E(x)) - x)^2`` of a batch ``(B, 3, F, H, W)`` in [-1, 1]."""
    return (vae.decode_video(vae.encode_latent(video)).float() - video.float()).square().mean()


def train_vae(
    vae: BlockTransformVAE,
    clips: Sequence[Clip],
    schedule: VaeSchedule,
    device: torch.device,
    optimizer: torch.optim.Optimizer,
    clock: PhaseClock,
    seed: int = 0,
) -> VaeReport:
    """Train the refinements of ``vae`` in place until ``clock`` runs out."""
    sampler = ClipSampler(clips, schedule.frames, schedule.crop, schedule.crop, (1, 2), torch.Generator().manual_seed(seed))
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    report = VaeReport()
    vae.train()
    for progress in clock.ticks():
        set_learning_rate(optimizer, schedule.lr, progress, schedule.warmup)
        with autocast:
            mse = reconstruction_mse(vae, sampler.batch(schedule.batch, device))
        optimise(vae, optimizer, mse)
        report.steps += 1
        report.last_psnr = psnr_from_mse(float(mse.detach()))
        clock.after_step(
            lambda spent: (
                f"step {report.steps} t={spent:.0f}s lr={optimizer.param_groups[0]['lr']:.2e} "
                f"psnr={report.last_psnr:.2f}"
            ),
            step=report.steps,
            psnr=f"{report.last_psnr:.2f}",
        )
    report.seconds = clock.elapsed
    vae.eval()
    return report
