"""Generator 2, the shifted codebook: atoms are cyclic shifts of a few dense base atoms, in a scrambled order
of coordinates, so one search costs a few FFTs instead of ``K D`` Gaussian draws.

Part of the bitstream format; change nothing here without a new generator id. For a key
``(seed, gop, step, frame)`` and atoms of dimension ``D``:

- base ``j`` is dense atom ``j`` of the same key (generator 1, ``gvcodec.codebook.dense``);
- the scramble ``p`` is the permutation of ``0 .. D - 1`` that sorts the distinct integers
  ``kappa_i = (w_i mod 2^31) 2^32 + i``, where ``w_i`` is word 0 of Philox-4x32-10 with key
  ``(SCRAMBLE_KEY, D)`` and counter ``(i, 0, 0, 0)``: ``kappa_{p[0]} < kappa_{p[1]} < ...``;
- atom ``k`` takes base ``j = floor(k / D)`` shifted by ``s = k mod D``:

      z_k[p[m]] = b_j[(m - s) mod D]    for m = 0 .. D - 1.

Every atom is a permutation of a dense atom, so its coordinates are the same table values, and the
decoder rebuilds one with integer indexing alone: identical bits on every device. The scores of all
``D`` shifts of base ``j`` against a residual ``r`` are one circular cross-correlation,

    <z_{jD + s}, r> = sum_m u[m] b_j[(m - s) mod D] = IDFT(DFT(u) conj(DFT(b_j)))[s],    u[m] = r[p[m]],

so a search costs ``ceil(K / D)`` base atoms and FFTs of length ``D``. The scramble makes ``u`` white
even when ``r`` is smooth, so neighbouring shifts score independently and a mix of chosen atoms stays
white noise in the latent's own layout.
"""
from __future__ import annotations

import functools

import torch

from gvcodec.codebook.dense import dense_atoms
from gvcodec.codebook.keys import DENSE_GENERATOR, AtomChoice, AtomKey
from gvcodec.errors import InputError
from gvcodec.philox import MASK32, philox4x32

SCRAMBLE_KEY = 0x67766332


@functools.lru_cache(maxsize=16)
def scramble(dim: int, device: torch.device) -> torch.Tensor:
    """The permutation ``p`` (int64 ``(D,)`` on ``device``) of the module docstring."""
    if not 1 <= dim <= MASK32:
        raise InputError(f"atom dimension must lie in [1, 2^32), got {dim}")
    index = torch.arange(dim, dtype=torch.int64)
    zero = torch.zeros((), dtype=torch.int64)
    word = philox4x32((index, zero, zero, zero), (SCRAMBLE_KEY, dim))[0]
    order = ((word & 0x7FFFFFFF) << 32) | index
    return torch.argsort(order).to(device)


@functools.lru_cache(maxsize=16)
def unscramble(dim: int, device: torch.device) -> torch.Tensor:
    """The inverse permutation ``q`` of :func:`scramble` (``q[p[m]] = m``), so that ``z_k = rolled[q]``."""
    return torch.argsort(scramble(dim, device))


def _bases(key: AtomKey, bases: torch.Tensor, dim: int, device: torch.device) -> torch.Tensor:
    dense_key = AtomKey(key.seed, key.gop, key.step, key.frame, generator=DENSE_GENERATOR)
    return dense_atoms(dense_key, bases, dim, device)


def _rolled(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device) -> torch.Tensor:
    """Atoms ``k`` in ``indices`` before unscrambling: row ``i`` is ``b_j[(m - s) mod D]`` over ``m``."""
    flat = indices.to(device=device, dtype=torch.int64).reshape(-1)
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) > MASK32):
        raise InputError(f"atom indices must lie in [0, 2^32), got the range [{int(flat.min())}, {int(flat.max())}]")
    if dim < 1:
        raise InputError(f"atom dimension must be positive, got {dim}")
    if not flat.numel():
        return torch.empty(0, dim, dtype=torch.float32, device=device)
    needed, which = torch.unique(flat // dim, return_inverse=True)
    doubled = _bases(key, needed, dim, device).repeat(1, 2)
    # Entry m - s + D of the doubled base is b[(m - s) mod D]: each rolled atom is one slice, no index tensor.
    shifts = (flat % dim).tolist()
    return torch.stack([doubled[base, dim - shift : 2 * dim - shift] for base, shift in zip(which.tolist(), shifts)])


def shifted_atoms(key: AtomKey, indices: torch.Tensor, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Shifted atoms ``z_k`` for ``k`` in ``indices``: float32 ``(len(indices), dim)`` on ``device``."""
    device = torch.device(device)
    return _rolled(key, indices, dim, device).index_select(1, unscramble(dim, device))


def shifted_mix(key: AtomKey, choice: AtomChoice, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``sum_k sign_k z_k`` in float64 ``(dim,)``, summed before unscrambling: one permutation instead of ``M``.

    The permutation moves values without arithmetic, so this equals summing the unscrambled atoms.
    """
    device = torch.device(device)
    rolled = _rolled(key, torch.tensor(choice.indices, dtype=torch.int64), dim, device).to(torch.float64)
    signs = torch.tensor(choice.signs, dtype=torch.float64, device=device)
    return (signs @ rolled).index_select(0, unscramble(dim, device))

def shifted_scores(key: AtomKey, residual: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """``s_k = <z_k, r>`` for ``k < K`` (float32 ``(K,)`` on the residual's device), by FFT correlation."""
    dim = residual.numel()
    device = residual.device
    bases = _bases(key, torch.arange(-(-codebook_size // dim), device=device), dim, device)
    scrambled = residual.to(torch.float32)[scramble(dim, device)]
    spectrum = torch.fft.rfft(scrambled) * torch.conj(torch.fft.rfft(bases, dim=1))
    return torch.fft.irfft(spectrum, n=dim, dim=1).reshape(-1)[:codebook_size].contiguous()
