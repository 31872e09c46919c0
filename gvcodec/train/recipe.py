"""The whole training run: transform (PCA) -> VAE refinements -> latent statistics, cache and Gaussian prior ->
flow transformer -> export. A run can be split into chunks (``--minutes``): each phase's budget is for the
whole run, the time spent so far travels in the checkpoint, and a resumed run goes on where it stopped.
"""
from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from gvcodec.backbones.gaussian_prior import GaussianLatentPrior, fit_log_power
from gvcodec.train.checkpoint import TrainingState, export_weights, save_state
from gvcodec.train.data import ClipSampler, read_clips
from gvcodec.train.flow_phase import FlowSchedule, train_flow
from gvcodec.train.latents import build_cache, latent_statistics
from gvcodec.train.phase_clock import PhaseClock
from gvcodec.train.transform_phase import block_statistics
from gvcodec.train.vae_phase import VaeSchedule, train_vae


@dataclass(frozen=True)
class RoundPlan:
    """One invocation of the recipe: data, the run's budgets, this chunk's length and where results go."""

    data: Path
    out: Path
    run_dir: Path
    device: torch.device
    vae: VaeSchedule
    flow: FlowSchedule
    chunk_seconds: float = float("inf")
    clip_limit: int | None = None
    max_frames: int | None = None
    transform_windows: int = 400
    transform_frames: int = 17
    transform_crop: int = 128
    cache_frames: int = 17
    cache_crop: tuple[int, int] = (256, 256)
    cache_batch: int = 8
    cache_items: int = 512
    cache_min_items: int = 1
    cache_seconds: float = 60.0
    checkpoint_every: float = 120.0


def _device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def run_round(plan: RoundPlan, state: TrainingState, after_export: Callable[[], None]) -> TrainingState:
    """Train ``state`` in place as ``plan`` says; export to ``plan.out`` after each phase (then ``after_export``).

    Phases whose budget is already spent are skipped; with nothing left to train, the state is exported
    as it is.
    """
    wall_start = time.monotonic()
    deadline = wall_start + plan.chunk_seconds
    clips = read_clips(plan.data, plan.clip_limit, plan.max_frames, plan.device)
    frames = sum(c.frames for c in clips)
    tqdm.write(f"data: {len(clips)} clips, {frames} frames from {plan.data} in {time.monotonic() - wall_start:.0f}s")
    record: dict = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "hardware": _device_name(plan.device),
        "data": {"folder": plan.data.name, "clips": [c.name for c in clips], "frames": frames, "max_frames": plan.max_frames},
    }
    state.history.append(record)
    state.vae.to(plan.device)
    state.transformer.to(plan.device)

    def checkpoint() -> None:
        record["wall_seconds"] = round(time.monotonic() - wall_start, 1)
        save_state(plan.run_dir, state)

    def export() -> None:
        checkpoint()
        export_weights(plan.out, state)
        after_export()

    def clock(name: str, seconds: float) -> PhaseClock:
        return PhaseClock(name, seconds, checkpoint, plan.checkpoint_every, state.spent.get(name, 0.0), deadline)

    vae_changed = False
    if not state.fitted:
        start = time.monotonic()
        sampler = ClipSampler(clips, plan.transform_frames, plan.transform_crop, plan.transform_crop, (1, 2),
                              torch.Generator().manual_seed(3))
        config = state.vae.config
        statistics = block_statistics(sampler, config.scale_factor_temporal, config.scale_factor_spatial,
                                      plan.transform_windows, device=plan.device)
        basis, variances = statistics.basis(config.z_dim)
        state.vae.set_basis(basis.to(plan.device), statistics.mean.to(plan.device))
        state.fitted = vae_changed = True
        kept = float(variances.sum() / torch.diagonal(statistics.covariance).sum())
        record["transform"] = {"blocks": statistics.blocks, "windows": plan.transform_windows,
                               "variance_kept": round(kept, 5), "seconds": round(time.monotonic() - start, 1)}
        tqdm.write(f"transform: {statistics.blocks} blocks, basis keeps {kept:.2%} of the variance")

    if state.spent.get("vae", 0.0) < plan.vae.seconds and time.monotonic() < deadline:
        optimizer = torch.optim.AdamW(state.vae.parameters(), lr=plan.vae.lr, betas=(0.9, 0.99), weight_decay=1e-4)
        if state.vae_optimizer_state is not None:
            optimizer.load_state_dict(state.vae_optimizer_state)
        vae_clock = clock("vae", plan.vae.seconds)
        report = train_vae(state.vae, clips, plan.vae, plan.device, optimizer, vae_clock, seed=len(state.history))
        state.vae_optimizer_state = optimizer.state_dict()
        state.spent["vae"] = vae_clock.spent
        record["vae"] = {"schedule": asdict(plan.vae), **asdict(report)}
        vae_changed = True

    flow_left = state.spent.get("flow", 0.0) < plan.flow.seconds and time.monotonic() < deadline
    if vae_changed or flow_left or state.prior is None:
        cache = build_cache(
            state.vae, clips, plan.cache_frames, plan.cache_crop, plan.cache_batch, plan.cache_items,
            plan.cache_seconds, plan.device, plan.cache_min_items,
        )
        if vae_changed or state.prior is None:
            mean, std = latent_statistics(cache.clean)
            state.vae.register_to_config(latents_mean=mean, latents_std=std)
        config = state.vae.config
        normalised = cache.normalised(config.latents_mean, config.latents_std)
        del cache
        if vae_changed or state.prior is None:
            log_power = fit_log_power(normalised.clean)
            state.prior = GaussianLatentPrior(channels=log_power.shape[0], grid=tuple(log_power.shape[1:]))
            state.prior.log_power.copy_(log_power)
            record["latents"] = {"cache_items": len(normalised), "frames": plan.cache_frames,
                                 "crop": list(plan.cache_crop), "scale": config.latents_std[0]}
            tqdm.write(f"latent scale {config.latents_std[0]:.4f}, prior spectrum fitted on {len(normalised)} windows")
        export()
        if flow_left:
            del clips
            state.prior.to(plan.device)
            optimizer = torch.optim.AdamW(state.transformer.parameters(), lr=plan.flow.lr, betas=(0.9, 0.99), weight_decay=1e-2)
            if state.flow_optimizer_state is not None and not vae_changed:
                optimizer.load_state_dict(state.flow_optimizer_state)
            flow_clock = clock("flow", plan.flow.seconds)
            report = train_flow(
                state.transformer, state.prior, normalised, plan.flow, plan.device, optimizer, flow_clock,
                seed=len(state.history),
            )
            state.flow_optimizer_state = optimizer.state_dict()
            state.spent["flow"] = flow_clock.spent
            record["flow"] = {"schedule": asdict(plan.flow), **asdict(report)}
            export()
    else:
        export()
    return state
