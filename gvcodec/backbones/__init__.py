"""Video model backbones: the :class:`Backbone` protocol and :func:`load_backbone`.

Loading a model imports diffusers (seconds), so :mod:`gvcodec.backbones.wan` is imported only when a
model is actually loaded; importing this package for the protocol stays cheap.
"""
from __future__ import annotations

from pathlib import Path

from gvcodec.backbones.base import Backbone, Condition
from gvcodec.backbones.placement import resolve_device, resolve_dtype
from gvcodec.errors import ModelError

NANO_NAME = "nano"
NANO_FOLDER = Path(__file__).resolve().parents[2] / "weights" / NANO_NAME

__all__ = ["Backbone", "Condition", "NANO_FOLDER", "load_backbone", "model_folder"]


def model_folder(model: str, nano_folder: Path = NANO_FOLDER) -> tuple[Path, str]:
    """The folder a ``--model`` value names and the model's display name.

    ``"nano"`` is the model shipped in ``weights/nano``; anything else is a path to a model folder.
    """
    if model == NANO_NAME:
        if not nano_folder.is_dir():
            raise ModelError(
                f"the built-in nano model is missing: expected its folder at {nano_folder} "
                "(train it with the recipe or pass --model DIR with a Wan2.1 model folder)"
            )
        return nano_folder, NANO_NAME
    folder = Path(model).expanduser().resolve()
    return folder, folder.name


def load_backbone(model: str = NANO_NAME, device: str = "cpu", dtype: str = "float32") -> Backbone:
    """Load ``model`` (``"nano"`` or a model folder path) on ``device`` (cpu, cuda, cuda:N) in ``dtype``."""
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype)
    folder, name = model_folder(model)
    from gvcodec.backbones.wan import load_wan

    return load_wan(folder, name, torch_device, torch_dtype)
