"""Checks of a model folder's files before anything is built from them: config values within sane sizes, and
safetensors files whose header and tensor table fit the file. A hostile or damaged folder is refused with one
``ModelError`` naming the file, before any large allocation or long construction."""
from __future__ import annotations

import json
import math
import struct
from pathlib import Path

from gvcodec.errors import ModelError

MAX_CONFIG_INT = 1 << 20
"""Largest integer a config may hold: above every width, vocabulary and table size of a Wan2.1 14B folder."""
MAX_CONFIG_COUNT = 1024
"""Largest ``num_*`` value (layers, heads, blocks): each is a module built before any weight is read."""
MAX_SAFETENSORS_HEADER = 100 << 20
SAFETENSORS_ITEM_SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}


def check_config_values(path: Path, config: object, key: str = "") -> None:
    """Refuse a config holding a negative integer, one past :data:`MAX_CONFIG_INT`, or a ``num_*`` count past
    :data:`MAX_CONFIG_COUNT` (at any depth), or a non-finite number."""
    if isinstance(config, dict):
        for name, value in config.items():
            check_config_values(path, value, str(name))
    elif isinstance(config, list):
        for value in config:
            check_config_values(path, value, key)
    elif isinstance(config, float) and not math.isfinite(config):
        raise ModelError(f"model file {path}: {key} = {config} is not a finite number")
    elif isinstance(config, int) and not isinstance(config, bool):
        largest = MAX_CONFIG_COUNT if key.startswith("num_") else MAX_CONFIG_INT
        if not 0 <= config <= largest:
            raise ModelError(f"model file {path}: {key} = {config} is outside the sizes a model folder may hold (0 to {largest})")


def check_safetensors(path: Path) -> None:
    """Refuse a safetensors file whose header or tensor table does not fit it: truncated, padded or not one."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        head = stream.read(8)
        if len(head) < 8:
            raise _damaged(path, f"it has {size} bytes, fewer than a header length")
        (header_length,) = struct.unpack("<Q", head)
        if not 2 <= header_length <= min(size - 8, MAX_SAFETENSORS_HEADER):
            raise _damaged(path, f"its header length {header_length} does not fit its {size} bytes")
        try:
            header = json.loads(stream.read(header_length))
        except (UnicodeDecodeError, ValueError) as error:
            raise _damaged(path, f"its header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise _damaged(path, "its header is not a JSON object")
    data_size = size - 8 - header_length
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        _check_tensor(path, name, entry, data_size)
        end = max(end, entry["data_offsets"][1])
    if end != data_size:
        raise _damaged(path, f"its tensors end at byte {end} of its {data_size} data bytes (cut short or padded)")


def _check_tensor(path: Path, name: str, entry: object, data_size: int) -> None:
    if not isinstance(entry, dict):
        raise _damaged(path, f"tensor {name!r} has no dtype, shape and offsets")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in SAFETENSORS_ITEM_SIZES:
        raise _damaged(path, f"tensor {name!r} has dtype {dtype!r}")
    if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise _damaged(path, f"tensor {name!r} has shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(n, int) for n in offsets)):
        raise _damaged(path, f"tensor {name!r} has offsets {offsets!r}")
    begin, end = offsets
    if not 0 <= begin <= end <= data_size or end - begin != math.prod(shape) * SAFETENSORS_ITEM_SIZES[dtype]:
        raise _damaged(path, f"tensor {name!r} ({dtype} {shape}) does not fit bytes {begin}..{end} of {data_size}")


def _damaged(path: Path, reason: str) -> ModelError:
    return ModelError(f"model file {path} is damaged or not a safetensors file: {reason}")
