"""Conditioning modes (DESIGN.md §2), one module each, and their registry.

The container's mode enum (``container.schema.MODES``) names the modes a stream can carry; the mode
called ``x`` is ``MODE`` in ``gvcodec/modes/x.py``. So a new mode is one module here plus one enum value
there, and the registry cannot disagree with the format.
"""
from __future__ import annotations

import importlib

from container.schema import MODES as CONTAINER_MODES
from gvcodec.errors import InputError
from gvcodec.modes.base import Capabilities, Mode

MODES: dict[str, Mode] = {name: importlib.import_module(f"gvcodec.modes.{name}").MODE for name in CONTAINER_MODES}

__all__ = ["MODES", "Capabilities", "Mode", "mode_named"]


def mode_named(name: str) -> Mode:
    """The mode called ``name``, or ``InputError`` naming the ones there are."""
    if name not in MODES:
        raise InputError(f"mode {name!r} is not available; choose one of {', '.join(MODES)}")
    return MODES[name]
