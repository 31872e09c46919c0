"""The noise codebook: seeded Gaussian atoms, top-M atom search, the unit-variance mix and choice packing.

Generator 1 (part of the bitstream format; change nothing here without a new ``GENERATOR_ID``):

- Philox-4x32-10 (``gvcodec.philox``) with key ``(seed mod 2^32, gop mod 2^32)`` and counter
  ``(j, k, (step << 16) | frame, 0)``: ``k`` is the atom index, ``j`` the block of 8 coordinates
  ``8j .. 8j + 7`` of that atom, ``step`` the sampler step (``0xFFFF`` is reserved for the initial noise
  x_T), ``frame`` the latent frame.
- Output word ``w`` (0..3) of block ``j`` gives coordinates ``8j + 2w`` (its low 16 bits) and
  ``8j + 2w + 1`` (its high 16 bits); each 16-bit value ``i`` becomes ``T[i]``, where ``T`` is the table of
  standard normal quantiles ``Phi^-1((i + 0.5) / 65536)`` (Python's ``statistics.NormalDist().inv_cdf``,
  float64), rescaled so that its variance is exactly 1, stored as float32.
- An atom of dimension ``D`` is its first ``D`` coordinates, so a longer atom extends a shorter one.

Only integer operations and a table lookup produce an atom, so every device yields the same bits.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import torch

from gvcodec.combinatorial import choice_bits, index_set_bits, rank_index_set, unrank_index_set
from gvcodec.errors import InputError, StreamError
from gvcodec.native.atoms import atom_scores as native_atom_scores
from gvcodec.native.atoms import generate as native_generate
from gvcodec.philox import MASK32, philox4x32

GENERATOR_ID: int = 1
INITIAL_NOISE_STEP = 0xFFFF
TABLE_BITS = 16
COORDINATES_PER_BLOCK = 8
_CHUNK_COUNTERS = {"cpu": 1 << 17, "cuda": 1 << 23}

__all__ = [
    "GENERATOR_ID",
    "INITIAL_NOISE_STEP",
    "AtomChoice",
    "AtomKey",
    "choice_bits",
    "gaussian_table",
    "generate_atoms",
    "torch_generate_atoms",
    "initial_noise",
    "mix_atoms",
    "normal_quantiles",
    "pack_choices",
    "search_atoms",
    "torch_atom_scores",
    "unpack_choices",
]


@dataclass(frozen=True)
class AtomKey:
    """Which codebook: stream seed and GOP (the Philox key), sampler step and latent frame."""

    seed: int
    gop: int
    step: int
    frame: int

    def __post_init__(self) -> None:
        if not 0 <= self.step <= INITIAL_NOISE_STEP:
            raise InputError(f"sampler step must lie in [0, {INITIAL_NOISE_STEP}], got {self.step}")
        if not 0 <= self.frame <= 0xFFFF:
            raise InputError(f"latent frame index must lie in [0, 65535], got {self.frame}")


@dataclass(frozen=True)
class AtomChoice:
    """The atoms injected at one (step, frame): ascending distinct indices and their signs (+1 / -1)."""

    indices: tuple[int, ...]
    signs: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.indices) != len(self.signs):
            raise InputError(f"{len(self.indices)} atom indices but {len(self.signs)} signs; they must pair up")
        if any(b <= a for a, b in zip(self.indices, self.indices[1:])) or (self.indices and self.indices[0] < 0):
            raise InputError(f"atom indices must be ascending, distinct and non-negative, got {self.indices}")
        if any(sign not in (1, -1) for sign in self.signs):
            raise InputError(f"atom signs must be +1 or -1, got {self.signs}")


@functools.cache
def normal_quantiles() -> tuple[float, ...]:
    """``T[i] = c Phi^-1((i + 0.5) / 2^16)`` in float64, with ``c`` such that ``mean(T^2) = 1`` (the mean is 0)."""
    size = 1 << TABLE_BITS
    inverse_cdf = NormalDist().inv_cdf
    quantiles = [inverse_cdf((i + 0.5) / size) for i in range(size)]
    scale = 1.0 / math.sqrt(math.fsum(q * q for q in quantiles) / size)
    return tuple(q * scale for q in quantiles)


@functools.cache
def _table_on(device: torch.device) -> torch.Tensor:
    return torch.tensor(normal_quantiles(), dtype=torch.float64).to(torch.float32).to(device)


def gaussian_table(device: torch.device | str = "cpu") -> torch.Tensor:
    """The float32 quantile table ``T`` (65536 entries) on ``device``, built once per device."""
    return _table_on(torch.device(device))


def generate_atoms(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Atoms ``z_k ~ N(0, I_dim)`` for ``k`` in ``indices``: a float32 tensor ``(len(indices), dim)`` on ``device``.

    Row ``i`` is atom ``indices[i]`` whatever else is in the batch. On the CPU the fused native kernel
    generates them (bit-identical to :func:`torch_generate_atoms`, which serves other devices).
    """
    if torch.device(device).type == "cpu":
        position = (key.step << 16) | key.frame
        return native_generate(key.seed & MASK32, key.gop & MASK32, position, indices, dim, gaussian_table("cpu"))
    return torch_generate_atoms(key, indices, dim, device)


def torch_generate_atoms(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """:func:`generate_atoms` in torch integer ops on any device: the reference the native kernel is tested against."""
    device = torch.device(device)
    atom_index = indices.to(device=device, dtype=torch.int64).reshape(-1, 1)
    if atom_index.numel() and (int(atom_index.min()) < 0 or int(atom_index.max()) > MASK32):
        raise InputError(
            f"atom indices must lie in [0, 2^32), got the range [{int(atom_index.min())}, {int(atom_index.max())}]"
        )
    if dim < 0:
        raise InputError(f"atom dimension must be non-negative, got {dim}")
    blocks = -(-dim // COORDINATES_PER_BLOCK)
    block = torch.arange(blocks, dtype=torch.int64, device=device).reshape(1, -1)
    position = torch.tensor((key.step << 16) | key.frame, dtype=torch.int64, device=device)
    table = gaussian_table(device)
    atoms = torch.empty(atom_index.shape[0], blocks, COORDINATES_PER_BLOCK, dtype=torch.float32, device=device)
    # Counters are independent, so chunking changes no value; it keeps CPU temporaries cache-sized.
    rows = max(1, _CHUNK_COUNTERS.get(device.type, _CHUNK_COUNTERS["cuda"]) // max(blocks, 1))
    for row in range(0, atom_index.shape[0], rows):
        counter = (block, atom_index[row : row + rows], position, torch.zeros_like(position))
        words = torch.stack(torch.broadcast_tensors(*philox4x32(counter, (key.seed, key.gop))), dim=-1)
        halves = torch.stack((words & 0xFFFF, words >> 16), dim=-1)
        torch.index_select(table, 0, halves.view(-1), out=atoms[row : row + rows].view(-1))
    atoms = atoms.reshape(atom_index.shape[0], blocks * COORDINATES_PER_BLOCK)
    return atoms if dim == blocks * COORDINATES_PER_BLOCK else atoms[:, :dim].contiguous()


def initial_noise(seed: int, gop: int, shape: tuple[int, ...], device: torch.device | str = "cpu") -> torch.Tensor:
    """x_T of shape ``(C, F, h, w)``: latent frame ``f`` is atom 0 of ``AtomKey(seed, gop, 0xFFFF, f)``,
    reshaped to ``(C, h, w)``."""
    if len(shape) != 4:
        raise InputError(f"initial noise needs a latent shape (C, F, h, w), got {shape}")
    channels, frames, height, width = shape
    first_atom = torch.zeros(1, dtype=torch.int64)
    per_frame = [
        generate_atoms(AtomKey(seed, gop, INITIAL_NOISE_STEP, frame), first_atom, channels * height * width, device)
        .reshape(channels, height, width)
        for frame in range(frames)
    ]
    return torch.stack(per_frame, dim=1)


def torch_atom_scores(key: AtomKey, residual: torch.Tensor, codebook_size: int, batch_atoms: int = 512) -> torch.Tensor:
    """``s_k = <z_k, r>`` for ``k < K`` (float32 ``(K,)`` on the residual's device), generating
    ``batch_atoms`` atoms at a time with ``generate_atoms``.

    The path for non-CPU devices, and the reference the native CPU kernel is tested against.
    """
    if batch_atoms < 1:
        raise InputError(f"batch_atoms must be at least 1, got {batch_atoms}")
    target = residual.to(torch.float32)
    scores = torch.empty(codebook_size, dtype=torch.float32, device=residual.device)
    for start in range(0, codebook_size, batch_atoms):
        batch = torch.arange(start, min(start + batch_atoms, codebook_size), device=residual.device)
        scores[start : start + batch.numel()] = generate_atoms(key, batch, target.numel(), residual.device) @ target
    return scores


def search_atoms(
    key: AtomKey, residual: torch.Tensor, codebook_size: int, atoms: int, batch_atoms: int = 512
) -> AtomChoice:
    """The ``M`` atoms with the largest ``|<z_k, r>|`` among ``k < K``, with signs ``sign(<z_k, r>)`` (0 -> +1).

    ``residual`` is 1-D ``(D,)``. On the CPU the scores come from the fused native kernel
    (``gvcodec.native.atoms``); on other devices atoms are generated there, ``batch_atoms`` at a time.
    """
    if residual.dim() != 1:
        raise InputError(f"the residual must be a 1-D tensor (D,), got shape {tuple(residual.shape)}")
    if not 1 <= atoms <= codebook_size <= MASK32 + 1:
        raise InputError(
            f"need 1 <= atoms <= codebook size <= 2^32, got atoms={atoms}, codebook size={codebook_size}"
        )
    if batch_atoms < 1:
        raise InputError(f"batch_atoms must be at least 1, got {batch_atoms}")
    if residual.device.type == "cpu":
        position = (key.step << 16) | key.frame
        scores = native_atom_scores(key.seed, key.gop, position, residual, codebook_size, gaussian_table("cpu"))
    else:
        scores = torch_atom_scores(key, residual, codebook_size, batch_atoms)
    best = torch.topk(scores.abs(), atoms).indices.sort().values
    signs = torch.where(scores[best] < 0, -1, 1)
    return AtomChoice(indices=tuple(best.tolist()), signs=tuple(signs.tolist()))


def mix_atoms(key: AtomKey, choice: AtomChoice, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``z = (1 / sqrt(M)) sum_k sign_k z_k``, float32 of shape ``(dim,)``: unit variance, the injected noise.

    The sum runs in float64, where it is exact for ``M`` below about 3700 (table values are multiples
    of 2^-39 below 4.4 in magnitude), so it does not depend on the summation order: every device
    gives the same bits.
    """
    if not choice.indices:
        raise InputError("an atom choice with no atoms has no noise to mix; give it at least one atom")
    rows = generate_atoms(key, torch.tensor(choice.indices, dtype=torch.int64), dim, device).to(torch.float64)
    signs = torch.tensor(choice.signs, dtype=torch.float64, device=rows.device)
    return ((rows * signs[:, None]).sum(dim=0) / math.sqrt(len(choice.indices))).to(torch.float32)


def pack_choices(choices: Sequence[AtomChoice], codebook_size: int) -> bytes:
    """Per choice, the index-set rank (``ceil(log2 C(K, M))`` bits) then ``M`` sign bits (1 = negative),
    all concatenated MSB first and zero-padded to a whole byte."""
    value = 0
    total_bits = 0
    for choice in choices:
        count = len(choice.indices)
        rank = rank_index_set(choice.indices, codebook_size)
        sign_bits = 0
        for sign in choice.signs:
            sign_bits = (sign_bits << 1) | (sign < 0)
        value = (((value << index_set_bits(codebook_size, count)) | rank) << count) | sign_bits
        total_bits += choice_bits(codebook_size, count)
    padding = -total_bits % 8
    return (value << padding).to_bytes((total_bits + padding) // 8, "big")


def unpack_choices(payload: bytes, counts: Sequence[int], codebook_size: int) -> list[AtomChoice]:
    """Inverse of ``pack_choices`` given each choice's atom count; raises ``StreamError`` on a damaged payload."""
    for count in counts:
        if not 0 <= count <= codebook_size:
            raise StreamError(
                f"atom count {count} does not fit a codebook of {codebook_size} atoms; the stream is damaged"
            )
    total_bits = sum(choice_bits(codebook_size, count) for count in counts)
    expected = -(-total_bits // 8)
    if len(payload) != expected:
        raise StreamError(
            f"atom choice payload has {len(payload)} bytes, but {len(counts)} choices from a codebook of "
            f"{codebook_size} atoms need exactly {expected}; the stream is damaged or truncated"
        )
    value = int.from_bytes(payload, "big")
    padding = expected * 8 - total_bits
    if value & ((1 << padding) - 1):
        raise StreamError("atom choice payload has non-zero padding bits; the stream is damaged")
    value >>= padding
    position = total_bits
    choices = []
    for count in counts:
        rank_bits = index_set_bits(codebook_size, count)
        position -= rank_bits
        rank = (value >> position) & ((1 << rank_bits) - 1)
        position -= count
        sign_bits = (value >> position) & ((1 << count) - 1)
        if rank >= math.comb(codebook_size, count):
            raise StreamError(
                f"index-set rank {rank} exceeds C({codebook_size}, {count}) - 1; the stream is damaged"
            )
        signs = tuple(-1 if (sign_bits >> (count - 1 - i)) & 1 else 1 for i in range(count))
        choices.append(AtomChoice(indices=unrank_index_set(rank, codebook_size, count), signs=signs))
    return choices
