"""Resumable state: run checkpoints (models + optimisers, in an ignored run folder) and shipped weights.

``--resume`` accepts either: a run folder holding ``state.pt`` (models, optimiser states, history), or a
shipped model folder with ``vae/`` and ``transformer/`` (diffusers layout) and ``training.json``;
from the latter training continues with fresh optimiser states.
"""
from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKLWan, WanTransformer3DModel
from diffusers.utils import logging as diffusers_logging

from gvcodec.errors import ModelError
from gvcodec.train.config import ModelSizes, build_transformer, build_vae

STATE_FILE = "state.pt"
HISTORY_FILE = "training.json"
WEIGHT_DTYPE = torch.float16


@dataclass
class TrainingState:
    """Everything a run carries from phase to phase and round to round."""

    vae: AutoencoderKLWan
    transformer: WanTransformer3DModel
    vae_optimizer_state: dict[str, Any] | None = None
    flow_optimizer_state: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


def fresh_state(sizes: ModelSizes) -> TrainingState:
    """Newly initialised models of ``sizes``, no history."""
    return TrainingState(vae=build_vae(sizes.vae), transformer=build_transformer(sizes.transformer))


def load_state(path: Path) -> TrainingState:
    """The state saved in a run folder (``state.pt``) or a shipped model folder (``vae/``, ``transformer/``)."""
    path = Path(path)
    if (path / STATE_FILE).is_file():
        saved = torch.load(path / STATE_FILE, map_location="cpu", weights_only=False)
        vae = build_vae(saved["vae_config"])
        vae.load_state_dict(saved["vae"])
        transformer = build_transformer(saved["transformer_config"])
        transformer.load_state_dict(saved["transformer"])
        return TrainingState(vae, transformer, saved["vae_optimizer"], saved["flow_optimizer"], saved["history"])
    if (path / "vae" / "config.json").is_file() and (path / "transformer" / "config.json").is_file():
        vae = AutoencoderKLWan.from_pretrained(path / "vae", torch_dtype=torch.float32)
        transformer = WanTransformer3DModel.from_pretrained(path / "transformer", torch_dtype=torch.float32)
        history_path = path / HISTORY_FILE
        history = json.loads(history_path.read_text(encoding="utf-8")) if history_path.is_file() else []
        return TrainingState(vae, transformer, history=history)
    raise ModelError(
        f"cannot resume from {path}: expected a run folder with {STATE_FILE} or a model folder with "
        "vae/config.json and transformer/config.json"
    )


def _config_dict(model: torch.nn.Module) -> dict[str, Any]:
    return {k: v for k, v in dict(model.config).items() if not k.startswith("_")}


def save_state(run_dir: Path, state: TrainingState) -> None:
    """Write ``run_dir/state.pt`` atomically (a crash mid-write keeps the previous checkpoint)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "vae_config": _config_dict(state.vae),
        "vae": state.vae.state_dict(),
        "transformer_config": _config_dict(state.transformer),
        "transformer": state.transformer.state_dict(),
        "vae_optimizer": state.vae_optimizer_state,
        "flow_optimizer": state.flow_optimizer_state,
        "history": state.history,
    }
    partial = run_dir / (STATE_FILE + ".partial")
    torch.save(payload, partial)
    os.replace(partial, run_dir / STATE_FILE)


def export_weights(out: Path, state: TrainingState) -> None:
    """Write the shipped model folder: ``vae/`` and ``transformer/`` (fp16 safetensors) and ``training.json``."""
    out.mkdir(parents=True, exist_ok=True)
    verbosity = diffusers_logging.get_verbosity()
    # diffusers warns that norms "should be kept in float32": they are, once loaded with torch_dtype.
    diffusers_logging.set_verbosity_error()
    try:
        for name, model in (("vae", state.vae), ("transformer", state.transformer)):
            copy.deepcopy(model).to("cpu", WEIGHT_DTYPE).save_pretrained(out / name, safe_serialization=True)
    finally:
        diffusers_logging.set_verbosity(verbosity)
    (out / HISTORY_FILE).write_text(json.dumps(state.history, indent=2) + "\n", encoding="utf-8")
