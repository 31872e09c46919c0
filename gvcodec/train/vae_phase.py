"""VAE phase: image-first pretraining on single frames, then video windows; MSE-weighted loss, small KL."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from diffusers import AutoencoderKLWan

from gvcodec.train.data import Clip, ClipSampler
from gvcodec.train.measures import gaussian_kl, psnr_from_mse
from gvcodec.train.phase_clock import PhaseClock, optimise, set_learning_rate


@dataclass(frozen=True)
class VaeSchedule:
    """How the VAE phase spends its wall-clock budget."""

    seconds: float
    image_fraction: float = 0.35
    image_batch: int = 32
    image_crop: int = 256
    video_batch: int = 8
    video_frames: int = 17
    video_crop: int = 256
    lr: float = 1e-3
    warmup: float = 0.05
    l1_weight: float = 0.1
    kl_weight: float = 1e-6


@dataclass
class VaeReport:
    """What the phase did, for the log and the model card."""

    steps: int = 0
    image_steps: int = 0
    seconds: float = 0.0
    last_loss: float = float("nan")
    last_psnr: float = float("nan")


def vae_step_loss(vae: AutoencoderKLWan, video: torch.Tensor, schedule: VaeSchedule) -> tuple[torch.Tensor, float]:
    """Training loss of one batch ``(B, 3, F, H, W)`` and its reconstruction MSE.

    ``loss = MSE(x, D(z)) + l1_weight * L1(x, D(z)) + kl_weight * KL``, ``z ~ q(z | x)``.
    """
    posterior = vae.encode(video).latent_dist
    z = posterior.mean + posterior.std * torch.randn_like(posterior.mean)
    reconstruction = vae.decode(z).sample.float()
    error = reconstruction - video.float()
    mse = error.square().mean()
    loss = mse + schedule.l1_weight * error.abs().mean() + schedule.kl_weight * gaussian_kl(
        posterior.mean.float(), posterior.logvar.float()
    )
    return loss, float(mse.detach())


def train_vae(
    vae: AutoencoderKLWan,
    clips: Sequence[Clip],
    schedule: VaeSchedule,
    device: torch.device,
    optimizer: torch.optim.Optimizer,
    checkpoint: Callable[[], None],
    checkpoint_every: float = 120.0,
    seed: int = 0,
) -> VaeReport:
    """Train ``vae`` in place for ``schedule.seconds`` of wall clock; calls ``checkpoint`` periodically."""
    generator = torch.Generator().manual_seed(seed)
    image_sampler = ClipSampler(clips, 1, schedule.image_crop, schedule.image_crop, (1,), generator)
    video_sampler = ClipSampler(clips, schedule.video_frames, schedule.video_crop, schedule.video_crop, (1, 2), generator)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    report = VaeReport()
    vae.train()
    clock = PhaseClock("vae", schedule.seconds, checkpoint, checkpoint_every)
    for progress in clock.ticks():
        set_learning_rate(optimizer, schedule.lr, progress, schedule.warmup)
        images = progress < schedule.image_fraction
        if images:
            batch = image_sampler.batch(schedule.image_batch, device)
        else:
            batch = video_sampler.batch(schedule.video_batch, device)
        with autocast:
            loss, mse = vae_step_loss(vae, batch, schedule)
        optimise(vae, optimizer, loss)
        report.steps += 1
        report.image_steps += int(images)
        report.last_loss, report.last_psnr = float(loss.detach()), psnr_from_mse(mse)
        clock.after_step(
            lambda elapsed: (
                f"step {report.steps} t={elapsed:.0f}s {'image' if images else 'video'} "
                f"lr={optimizer.param_groups[0]['lr']:.2e} loss={report.last_loss:.5f} psnr={report.last_psnr:.2f}"
            ),
            step=report.steps,
            loss=f"{report.last_loss:.4f}",
            psnr=f"{report.last_psnr:.2f}",
        )
    report.seconds = clock.elapsed
    vae.eval()
    return report
