"""Where and in which precision a backbone runs: parsing the ``--device`` and ``--dtype`` options.

torch is imported when a device or dtype is resolved, not with the module, so the package stays cheap to import.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from gvcodec.errors import InputError

if TYPE_CHECKING:
    import torch

DTYPES = ("float32", "bfloat16")


def resolve_device(device: str) -> torch.device:
    """``"cpu"``, ``"cuda"`` or ``"cuda:N"`` as a :class:`torch.device` that exists on this machine."""
    import torch

    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError) as error:
        raise InputError(f"unknown device {device!r}: expected 'cpu', 'cuda' or 'cuda:N'") from error
    if parsed.type == "cpu":
        return parsed
    if parsed.type != "cuda":
        raise InputError(f"device {device!r} is not supported: expected 'cpu', 'cuda' or 'cuda:N'")
    if not torch.cuda.is_available():
        raise InputError(
            f"device {device!r} was requested but this torch build has no usable CUDA device "
            f"(torch {torch.__version__}); use --device cpu or install a CUDA build of torch"
        )
    index = 0 if parsed.index is None else parsed.index
    if index >= torch.cuda.device_count():
        raise InputError(
            f"device {device!r} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
    return torch.device("cuda", index)


def resolve_dtype(dtype: str) -> torch.dtype:
    """``"float32"`` or ``"bfloat16"`` as a :class:`torch.dtype`."""
    if dtype not in DTYPES:
        raise InputError(f"unsupported dtype {dtype!r}: expected one of {', '.join(DTYPES)}")
    import torch

    return getattr(torch, dtype)
