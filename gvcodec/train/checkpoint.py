"""Resumable state: run checkpoints (models, prior, optimisers, time spent per phase, in an ignored run folder)
and shipped weights.

``--resume`` accepts either: a run folder holding ``state.pt`` (read with ``weights_only=True``: tensors,
numbers and strings, never pickled objects), or a shipped model folder with ``vae/``, ``transformer/``
(and ``prior/``) and ``training.json``; from the latter training continues with fresh optimiser states.
"""
from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from diffusers import WanTransformer3DModel
from diffusers.utils import logging as diffusers_logging

from gvcodec.backbones.block_vae import BlockTransformVAE
from gvcodec.backbones.gaussian_prior import GaussianLatentPrior
from gvcodec.backbones.layout import PRIOR_FOLDER
from gvcodec.errors import ModelError
from gvcodec.train.config import ModelSizes, build_transformer, build_vae

STATE_FILE = "state.pt"
HISTORY_FILE = "training.json"
WEIGHT_DTYPE = torch.float16
# The basis, the block mean and the prior's spectrum are the linear skeleton: kept exact in float32.
FLOAT32_BUFFERS = ("basis", "block_mean", "log_power")


@dataclass
class TrainingState:
    """Everything a run carries from phase to phase and chunk to chunk.

    ``spent``: wall-clock seconds already spent per phase ("vae", "flow") against the run's budgets, so a
    run split into chunks (``--minutes``) follows one learning-rate schedule; ``fitted``: whether the
    transform phase has installed the basis.
    """

    vae: BlockTransformVAE
    transformer: WanTransformer3DModel
    prior: GaussianLatentPrior | None = None
    vae_optimizer_state: dict[str, Any] | None = None
    flow_optimizer_state: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    spent: dict[str, float] = field(default_factory=dict)
    fitted: bool = False


def fresh_state(sizes: ModelSizes) -> TrainingState:
    """Newly initialised models of ``sizes``, no history."""
    return TrainingState(vae=build_vae(sizes.vae), transformer=build_transformer(sizes.transformer))


def _config_dict(model: torch.nn.Module) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dict(model.config).items() if not k.startswith("_")}


def load_state(path: Path) -> TrainingState:
    """The state saved in a run folder (``state.pt``) or a shipped model folder (``vae/``, ``transformer/``)."""
    path = Path(path)
    if (path / STATE_FILE).is_file():
        saved = torch.load(path / STATE_FILE, map_location="cpu", weights_only=True)
        vae = BlockTransformVAE(**saved["vae_config"])
        vae.load_state_dict(saved["vae"])
        transformer = WanTransformer3DModel(**saved["transformer_config"])
        transformer.load_state_dict(saved["transformer"])
        prior = None
        if saved.get("prior") is not None:
            prior = GaussianLatentPrior(**saved["prior_config"])
            prior.load_state_dict(saved["prior"])
        return TrainingState(
            vae, transformer, prior, saved["vae_optimizer"], saved["flow_optimizer"], json.loads(saved["history"]),
            json.loads(saved["spent"]), bool(saved["fitted"]),
        )
    if (path / "vae" / "config.json").is_file() and (path / "transformer" / "config.json").is_file():
        vae = BlockTransformVAE.from_pretrained(path / "vae", torch_dtype=torch.float32)
        transformer = WanTransformer3DModel.from_pretrained(path / "transformer", torch_dtype=torch.float32)
        prior = None
        if (path / PRIOR_FOLDER / "config.json").is_file():
            prior = GaussianLatentPrior.from_pretrained(path / PRIOR_FOLDER, torch_dtype=torch.float32)
        history_path = path / HISTORY_FILE
        history = json.loads(history_path.read_text(encoding="utf-8")) if history_path.is_file() else []
        return TrainingState(vae, transformer, prior, history=history, fitted=True)
    raise ModelError(
        f"cannot resume from {path}: expected a run folder with {STATE_FILE} or a model folder with "
        "vae/config.json and transformer/config.json"
    )


def save_state(run_dir: Path, state: TrainingState) -> None:
    """Write ``run_dir/state.pt`` atomically (a crash mid-write keeps the previous checkpoint)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "vae_config": _config_dict(state.vae),
        "vae": state.vae.state_dict(),
        "transformer_config": _config_dict(state.transformer),
        "transformer": state.transformer.state_dict(),
        "prior_config": None if state.prior is None else _config_dict(state.prior),
        "prior": None if state.prior is None else state.prior.state_dict(),
        "vae_optimizer": state.vae_optimizer_state,
        "flow_optimizer": state.flow_optimizer_state,
        "history": json.dumps(state.history),
        "spent": json.dumps(state.spent),
        "fitted": state.fitted,
    }
    partial = run_dir / (STATE_FILE + ".partial")
    torch.save(payload, partial)
    os.replace(partial, run_dir / STATE_FILE)


def _half_precision(model: torch.nn.Module) -> torch.nn.Module:
    """A CPU copy in float16, except the float32 skeleton buffers."""
    copied = copy.deepcopy(model).to("cpu")
    for parameter in copied.parameters():
        parameter.data = parameter.data.to(WEIGHT_DTYPE)
    for name, buffer in copied.named_buffers():
        if name.split(".")[-1] not in FLOAT32_BUFFERS:
            buffer.data = buffer.data.to(WEIGHT_DTYPE)
    return copied


def export_weights(out: Path, state: TrainingState) -> None:
    """Write the shipped model folder: ``vae/``, ``transformer/``, ``prior/`` (safetensors; learned weights in
    fp16, the transform and spectrum in fp32) and ``training.json``."""
    out.mkdir(parents=True, exist_ok=True)
    verbosity = diffusers_logging.get_verbosity()
    # diffusers warns that norms "should be kept in float32": they are, once loaded with torch_dtype.
    diffusers_logging.set_verbosity_error()
    models = [("vae", state.vae), ("transformer", state.transformer)]
    if state.prior is not None:
        models.append((PRIOR_FOLDER, state.prior))
    try:
        for name, model in models:
            _half_precision(model).save_pretrained(out / name, safe_serialization=True)
    finally:
        diffusers_logging.set_verbosity(verbosity)
    (out / HISTORY_FILE).write_text(json.dumps(state.history, indent=2) + "\n", encoding="utf-8")
