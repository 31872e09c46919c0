"""Tail latent residual: the last latent frame(s) of a GOP corrected by a quantised, entropy-coded residual.

With target latent ``x0`` and the trajectory's final latent ``x0_rec``, on the last ``k`` latent frames::

    q = round((x0 - x0_rec) / step)          (integer symbols)
    x0_rec' = x0_rec + step q                 (both sides, before the VAE decode)

The symbols are range-coded (``constriction``) with a zero-mean quantised Laplace model per latent
channel ``c`` of scale ``b_c = max(mean |q_c|, B_MIN)`` (the maximum-likelihood Laplace scale), sent as
float16 so both sides use the same model. Payload, little endian::

    u8 k | f32 step | i16 lowest symbol | i16 highest symbol | f16 b_c for each channel | u32 words...
"""
from __future__ import annotations

import struct

import constriction
import numpy as np
import torch

from container.limits import MAX_TAIL_FRAMES
from gvcodec.errors import InputError, StreamCorruptError

B_MIN = 0.05
_HEAD = struct.Struct("<Bfhh")  # its first field counts the latent frames: at most MAX_TAIL_FRAMES
_SYMBOL_LIMIT = 2**15 - 1


def quantise(residual: torch.Tensor, step: float) -> np.ndarray:
    """``q = round(r / step)`` as int32, clipped to the int16 range the payload can describe."""
    if step <= 0:
        raise InputError(f"the residual step must be positive, got {step}")
    scaled = torch.round(residual.detach().float().cpu() / step)
    return scaled.clamp(-_SYMBOL_LIMIT, _SYMBOL_LIMIT).to(torch.int32).numpy()


def dequantise(symbols: np.ndarray, step: float) -> torch.Tensor:
    """``r_hat = step q`` as float32."""
    return torch.from_numpy(symbols.astype(np.float32)) * np.float32(step)


def laplace_scales(symbols: np.ndarray) -> np.ndarray:
    """Per-channel Laplace scale ``b_c = max(mean |q_c|, B_MIN)`` of ``(C, k, h, w)`` symbols, as float16."""
    mean_abs = np.abs(symbols.reshape(symbols.shape[0], -1)).mean(axis=1)
    return np.maximum(mean_abs, B_MIN).astype(np.float16)


def _model(lowest: int, highest: int) -> constriction.stream.model.QuantizedLaplace:
    """The symbol model on ``[lowest, highest]``, widened by one symbol when that holds a single value
    (the range coder needs two)."""
    return constriction.stream.model.QuantizedLaplace(lowest, max(highest, lowest + 1))


def _model_parameters(scales: np.ndarray, per_channel: int) -> tuple[np.ndarray, np.ndarray]:
    expanded = np.repeat(scales.astype(np.float64), per_channel)
    return np.zeros_like(expanded), expanded


def encode_residual(symbols: np.ndarray, step: float) -> bytes:
    """The payload for ``(C, k, h, w)`` int32 symbols quantised with ``step``."""
    channels, frames = symbols.shape[:2]
    if not 1 <= frames <= MAX_TAIL_FRAMES:
        raise InputError(f"a tail residual covers 1 to {MAX_TAIL_FRAMES} latent frames, got {frames}")
    lowest, highest = int(symbols.min()), int(symbols.max())
    scales = laplace_scales(symbols)
    model = _model(lowest, highest)
    means, spreads = _model_parameters(scales, symbols[0].size)
    encoder = constriction.stream.queue.RangeEncoder()
    encoder.encode(symbols.reshape(-1).astype(np.int32), model, means, spreads)
    words = encoder.get_compressed().astype("<u4")
    return _HEAD.pack(frames, step, lowest, highest) + scales.astype("<f2").tobytes() + words.tobytes()


def decode_residual(data: bytes, channels: int, height: int, width: int) -> tuple[np.ndarray, float]:
    """``(symbols (C, k, h, w), step)`` from a payload of :func:`encode_residual`."""
    fixed = _HEAD.size + 2 * channels
    if len(data) < fixed or (len(data) - fixed) % 4:
        raise StreamCorruptError(f"the tail residual payload is {len(data)} bytes, not {fixed} plus whole 32-bit words")
    frames, step, lowest, highest = _HEAD.unpack_from(data)
    if frames < 1 or not step > 0 or lowest > highest:
        raise StreamCorruptError(f"the tail residual header is invalid: {frames} frames, step {step}, symbols {lowest}..{highest}")
    scales = np.frombuffer(data, dtype="<f2", count=channels, offset=_HEAD.size)
    # The range coder panics (a BaseException) on a scale it cannot use; the encoder writes none below B_MIN.
    if not (np.all(np.isfinite(scales)) and np.all(scales >= np.float16(B_MIN))):
        raise StreamCorruptError(f"the tail residual's Laplace scales must be finite and at least {B_MIN}, got {scales.tolist()}")
    words = np.frombuffer(data, dtype="<u4", offset=fixed).astype(np.uint32)
    model = _model(lowest, highest)
    means, spreads = _model_parameters(scales, frames * height * width)
    decoder = constriction.stream.queue.RangeDecoder(words)
    try:
        decoded = decoder.decode(model, means, spreads)
    except AssertionError as error:  # how constriction reports words its model cannot have produced
        raise StreamCorruptError(f"the tail residual's coded symbols are damaged ({error})") from None
    symbols = np.asarray(decoded, dtype=np.int32)
    return symbols.reshape(channels, frames, height, width), float(step)


def apply_residual(latent: torch.Tensor, symbols: np.ndarray, step: float) -> torch.Tensor:
    """``latent`` ``(C, F', h, w)`` with ``step q`` added to its last ``k`` latent frames."""
    frames = symbols.shape[1]
    if frames > latent.shape[1] or symbols.shape[0] != latent.shape[0] or symbols.shape[2:] != latent.shape[2:]:
        raise StreamCorruptError(
            f"the tail residual has shape {tuple(symbols.shape)}, which does not fit a latent of shape {tuple(latent.shape)}"
        )
    corrected = latent.clone()
    corrected[:, -frames:] += dequantise(symbols, step).to(latent)
    return corrected
