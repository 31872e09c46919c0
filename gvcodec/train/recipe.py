"""The whole training round: VAE -> latent statistics and cache -> flow transformer -> export."""
from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from gvcodec.train.checkpoint import TrainingState, export_weights, save_state
from gvcodec.train.data import read_clips
from gvcodec.train.flow_phase import FlowSchedule, train_flow
from gvcodec.train.latents import build_cache, channel_statistics
from gvcodec.train.vae_phase import VaeSchedule, train_vae


@dataclass(frozen=True)
class RoundPlan:
    """One training round: data, budgets and where results go."""

    data: Path
    out: Path
    run_dir: Path
    device: torch.device
    vae: VaeSchedule
    flow: FlowSchedule
    clip_limit: int | None = None
    max_frames: int | None = None
    cache_frames: int = 33
    cache_crop: tuple[int, int] = (256, 256)
    cache_batch: int = 16
    cache_items: int = 1024
    cache_seconds: float = 30.0
    checkpoint_every: float = 120.0


def _device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def _has_statistics(state: TrainingState) -> bool:
    """Whether the VAE's latent mean/std were measured in an earlier round (a fresh VAE has 0 / 1)."""
    return any("latents" in record for record in state.history[:-1])


def run_round(plan: RoundPlan, state: TrainingState, after_export: Callable[[], None]) -> TrainingState:
    """Train ``state`` in place as ``plan`` says; export to ``plan.out`` after each phase (then ``after_export``).

    With both budgets at zero, nothing is trained and the state is exported as it is.
    """
    wall_start = time.monotonic()
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

    if plan.vae.seconds > 0:
        optimizer = torch.optim.AdamW(state.vae.parameters(), lr=plan.vae.lr, betas=(0.9, 0.99), weight_decay=1e-4)
        if state.vae_optimizer_state is not None:
            optimizer.load_state_dict(state.vae_optimizer_state)
        report = train_vae(state.vae, clips, plan.vae, plan.device, optimizer, checkpoint, plan.checkpoint_every)
        state.vae_optimizer_state = optimizer.state_dict()
        record["vae"] = {"schedule": asdict(plan.vae), **asdict(report)}

    if plan.flow.seconds > 0 or plan.vae.seconds > 0:
        cache = build_cache(
            state.vae, clips, plan.cache_frames, plan.cache_crop, plan.cache_batch, plan.cache_items,
            plan.cache_seconds, plan.device,
        )
        if plan.vae.seconds > 0 or not _has_statistics(state):
            mean, std = channel_statistics(cache.clean)
            state.vae.register_to_config(latents_mean=mean, latents_std=std)
            record["latents"] = {"cache_items": len(cache), "frames": plan.cache_frames, "crop": list(plan.cache_crop)}
        mean, std = list(state.vae.config.latents_mean), list(state.vae.config.latents_std)
        tqdm.write(f"latent mean {[round(m, 3) for m in mean]}\nlatent std {[round(s, 3) for s in std]}")
        export()
    if plan.flow.seconds > 0:
        del clips
        optimizer = torch.optim.AdamW(state.transformer.parameters(), lr=plan.flow.lr, betas=(0.9, 0.99), weight_decay=1e-2)
        if state.flow_optimizer_state is not None and plan.vae.seconds == 0:
            optimizer.load_state_dict(state.flow_optimizer_state)
        report = train_flow(
            state.transformer, cache.normalised(mean, std), plan.flow, plan.device, optimizer, checkpoint,
            plan.checkpoint_every,
        )
        state.flow_optimizer_state = optimizer.state_dict()
        record["flow"] = {"schedule": asdict(plan.flow), **asdict(report)}
        export()
    if plan.vae.seconds <= 0 and plan.flow.seconds <= 0:
        # Nothing to train: the round converts the resumed state (e.g. a run checkpoint) to a model folder.
        export()
    return state
