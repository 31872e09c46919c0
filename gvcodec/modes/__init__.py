"""Conditioning modes (DESIGN.md §2), one module each, and their registry.

``MODES`` maps a mode's name to its :class:`~gvcodec.modes.base.Mode`; the container's mode ids are
checked against it (``tests/test_modes_registry.py``). A new mode is one module here plus one entry
in ``container.schema.MODES``.
"""
from __future__ import annotations

from gvcodec.errors import InputError
from gvcodec.modes import flf2v, i2v, t2v
from gvcodec.modes.base import Capabilities, Mode

MODES: dict[str, Mode] = {mode.name: mode for mode in (t2v.MODE, i2v.MODE, flf2v.MODE)}

__all__ = ["MODES", "Capabilities", "Mode", "mode_named"]


def mode_named(name: str) -> Mode:
    """The mode called ``name``, or ``InputError`` naming the ones there are."""
    if name not in MODES:
        raise InputError(f"mode {name!r} is not available; choose one of {', '.join(MODES)}")
    return MODES[name]
