"""gvcodec: a generative video codec. A pretrained rectified-flow video model is the codec.

Public API (PyAV-like): :class:`Encoder`, :class:`Decoder`, :class:`Packet`, :func:`read_stream`, :func:`open`.
They are imported on first use, so ``import gvcodec.codebook`` (say) does not load the codec stack.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["Decoder", "Encoder", "Packet", "open", "read_stream", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("Decoder", "Encoder", "Packet", "read_stream"):
        return getattr(importlib.import_module("gvcodec.codec"), name)
    if name == "open":
        return importlib.import_module("gvcodec.gvc_file").open
    raise AttributeError(f"module 'gvcodec' has no attribute {name!r}")
