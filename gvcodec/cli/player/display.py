"""Whether a gvc-play window can appear, and the SDL video driver it must use, decided before any window opens.

SDL, left to choose, falls back to its invisible ``offscreen`` driver when no display answers (a player
that plays to nobody and never ends), and on an X display it first probes Wayland, which prints an
``XDG_RUNTIME_DIR`` warning. Naming the driver of the display that is there avoids both.
"""
from __future__ import annotations

import importlib
import os
from typing import Any, Mapping

from gvcodec.errors import InputError

NO_DISPLAY = "no display (DISPLAY/WAYLAND_DISPLAY unset); use --frames-to DIR to write PNGs"
OWN_WINDOW_SYSTEMS = ("win32", "cygwin", "darwin")
"""Platforms (``sys.platform`` prefixes) whose window system needs no display variable."""


def window_environment(environ: Mapping[str, str], platform: str) -> dict[str, str]:
    """``environ`` with ``SDL_VIDEODRIVER`` naming the display's driver: ``x11`` when ``DISPLAY`` is set,
    else ``wayland`` when ``WAYLAND_DISPLAY`` is; a driver the user named is kept, and platforms with
    their own window system are left as they are. Raises :class:`InputError` when there is no display."""
    window = dict(environ)
    if window.get("SDL_VIDEODRIVER") or platform.startswith(OWN_WINDOW_SYSTEMS):
        return window
    if window.get("DISPLAY"):
        window["SDL_VIDEODRIVER"] = "x11"
    elif window.get("WAYLAND_DISPLAY"):
        window["SDL_VIDEODRIVER"] = "wayland"
    else:
        raise InputError(NO_DISPLAY)
    return window


def display_name(environ: Mapping[str, str]) -> str:
    """The display a window goes to, as the user would name it (for messages)."""
    return environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY") or environ.get("SDL_VIDEODRIVER", "the display")


def import_pygame() -> Any:
    """pygame (an optional dependency), imported without its greeting, which would go to stdout."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    return importlib.import_module("pygame")
