"""Flow phase: rectified-flow training of the Wan I2V-layout transformer on cached latents, all three modes.

Wan convention: ``x_t = (1 - t) x0 + t eps``, target velocity ``u = eps - x0``, timestep fed as ``1000 t``.
The model's velocity is the Gaussian prior's closed form plus the transformer's output (which starts at
zero), so the transformer learns only what the Gaussian misses: anchors, motion, non-Gaussian structure.
Each sample draws its condition uniformly among none (T2V), first frame (I2V), first + last (FLF2V).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from diffusers import WanTransformer3DModel

from gvcodec.backbones.conditioning import condition_channels, frame_mask, null_context
from gvcodec.backbones.gaussian_prior import GaussianLatentPrior
from gvcodec.modes import MODES as CODEC_MODES
from gvcodec.train.latents import LatentCache
from gvcodec.train.phase_clock import PhaseClock, optimise, set_learning_rate
from gvcodec.train.schedules import sample_training_times

MODES = tuple(CODEC_MODES)
# Which anchors condition each mode's GOP 0, asked of the mode itself: (first, last).
ANCHORS = tuple(("first" in roles, "last" in roles) for roles in (CODEC_MODES[m].anchor_roles(0, 2) for m in MODES))


@dataclass(frozen=True)
class FlowSchedule:
    """How the flow phase spends its wall-clock budget."""

    seconds: float
    batch: int = 32
    lr: float = 5e-4
    warmup: float = 0.05
    shift: float = 3.0


@dataclass
class FlowReport:
    """What the phase did, for the log and the model card."""

    steps: int = 0
    seconds: float = 0.0
    last_loss: float = float("nan")


def mode_conditions(cache: LatentCache, index: torch.Tensor, modes: torch.Tensor) -> torch.Tensor:
    """The ``4 + C`` condition channels ``(B, 4 + C, F', h, w)`` of cache items ``index`` under ``modes`` (indices
    into :data:`MODES`), built with :func:`gvcodec.backbones.conditioning.condition_channels` from the cached
    latents of the first-frame and first-and-last anchor videos."""
    _, _, latent_frames, h, w = cache.clean.shape
    out = []
    for i, mode in zip(index.tolist(), modes.tolist()):
        first, last = ANCHORS[mode]
        mask = frame_mask(cache.num_frames, h, w, first=first, last=last)
        latent = cache.both[i] if last else cache.first[i] if first else torch.zeros_like(cache.clean[i])
        out.append(condition_channels(mask.to(latent.device), latent))
    return torch.stack(out)


def predict_velocity(
    transformer: WanTransformer3DModel,
    prior: GaussianLatentPrior,
    x_t: torch.Tensor,
    conditions: torch.Tensor,
    t: torch.Tensor,
) -> torch.Tensor:
    """``u(x_t, t, c) = u_gauss(x_t, t) + v(cat[x_t, c], 1000 t)`` for a batch ``(B, C, F', h, w)``, ``t`` ``(B,)``,
    as the ``wan`` backbone computes it for a model folder with ``prior/``."""
    context = null_context(transformer.config.text_dim, x_t.device, x_t.dtype).expand(x_t.shape[0], -1, -1)
    residual = transformer(
        hidden_states=torch.cat([x_t, conditions.to(x_t.dtype)], dim=1),
        timestep=t * 1000.0,
        encoder_hidden_states=context,
    ).sample
    return prior.velocity(x_t.float(), t).float() + residual.float()


def flow_matching_loss(
    transformer: WanTransformer3DModel,
    prior: GaussianLatentPrior,
    x0: torch.Tensor,
    conditions: torch.Tensor,
    t: torch.Tensor,
    eps: torch.Tensor,
) -> torch.Tensor:
    """``mean || u(x_t, t, c) - (eps - x0) ||^2`` with ``x_t = (1 - t) x0 + t eps``; ``t`` is ``(B,)``."""
    tb = t.view(-1, 1, 1, 1, 1).to(x0.dtype)
    x_t = (1.0 - tb) * x0 + tb * eps
    prediction = predict_velocity(transformer, prior, x_t, conditions, t)
    return (prediction - (eps - x0).float()).square().mean()


def train_flow(
    transformer: WanTransformer3DModel,
    prior: GaussianLatentPrior,
    cache: LatentCache,
    schedule: FlowSchedule,
    device: torch.device,
    optimizer: torch.optim.Optimizer,
    clock: PhaseClock,
    seed: int = 2,
) -> FlowReport:
    """Train ``transformer`` in place on ``cache`` (normalised) until ``clock`` runs out."""
    generator = torch.Generator().manual_seed(seed)
    cache = LatentCache(cache.clean.to(device), cache.first.to(device), cache.both.to(device), cache.num_frames)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    report = FlowReport()
    transformer.train()
    for progress in clock.ticks():
        set_learning_rate(optimizer, schedule.lr, progress, schedule.warmup)
        index = torch.randint(len(cache), (schedule.batch,), generator=generator)
        modes = torch.randint(len(MODES), (schedule.batch,), generator=generator)
        x0 = cache.clean[index.to(device)]
        conditions = mode_conditions(cache, index, modes)
        t = sample_training_times(schedule.batch, schedule.shift, generator, device)
        eps = torch.randn_like(x0)
        with autocast:
            loss = flow_matching_loss(transformer, prior, x0, conditions, t, eps)
        optimise(transformer, optimizer, loss)
        report.steps += 1
        report.last_loss = float(loss.detach())
        clock.after_step(
            lambda spent: f"step {report.steps} t={spent:.0f}s loss={report.last_loss:.5f}",
            step=report.steps,
            loss=f"{report.last_loss:.4f}",
        )
    report.seconds = clock.elapsed
    transformer.eval()
    return report
