"""Tail latent residual coding: exact round trips, bytes against 8-bit + zlib, and where it is added."""
from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch

from gvcodec.anchors import code_anchor
from gvcodec.errors import StreamError
from gvcodec.io.y4m import Y4MReader
from gvcodec.residual import apply_residual, decode_residual, dequantise, encode_residual, quantise
from tests.helpers import eval_clip


@pytest.fixture(scope="module")
def real_residual() -> torch.Tensor:
    """A real coding residual: luma of two real frames minus their AV1 intra reconstruction (the error of a
    lossy reconstruction, like the latent tail residual), sampled like a (16, 2, 16, 28) latent tail
    (8x spatial stride, one phase per channel) and scaled to std 0.5."""
    with open(eval_clip("juggle_448x256.y4m"), "rb") as stream:
        reader = iter(Y4MReader(stream))
        frames = [next(reader) for _ in range(2)]
    error = np.stack([f.y.astype(np.float32) - code_anchor(f, "libsvtav1", 40)[1].y for f in frames])
    residual = np.stack([error[:, row::8, column::8][:, :16, :28] for row in range(4) for column in range(4)])
    return torch.from_numpy(np.ascontiguousarray(0.5 * residual / residual.std()))


def test_symbols_round_trip_exactly(real_residual: torch.Tensor) -> None:
    symbols = quantise(real_residual, 0.2)
    decoded, step = decode_residual(encode_residual(symbols, 0.2), 16, 16, 28)
    assert step == pytest.approx(0.2)
    np.testing.assert_array_equal(decoded, symbols)


def test_quantisation_error_is_at_most_half_a_step(real_residual: torch.Tensor) -> None:
    error = real_residual - dequantise(quantise(real_residual, 0.25), 0.25)
    assert float(error.abs().max()) <= 0.125 + 1e-6


def test_range_coding_beats_8_bit_zlib_on_a_real_residual(real_residual: torch.Tensor) -> None:
    symbols = quantise(real_residual, 0.2)
    ours = len(encode_residual(symbols, 0.2))
    baseline = len(zlib.compress(np.clip(symbols, -128, 127).astype(np.int8).tobytes(), 9))
    assert ours < baseline


def test_a_coarser_step_costs_fewer_bytes(real_residual: torch.Tensor) -> None:
    assert len(encode_residual(quantise(real_residual, 0.8), 0.8)) < len(encode_residual(quantise(real_residual, 0.1), 0.1))


def test_an_all_zero_residual_round_trips() -> None:
    symbols = np.zeros((4, 1, 3, 5), dtype=np.int32)
    decoded, _ = decode_residual(encode_residual(symbols, 0.5), 4, 3, 5)
    np.testing.assert_array_equal(decoded, symbols)


def test_the_residual_is_added_to_the_last_latent_frames_only() -> None:
    latent = torch.zeros(2, 4, 3, 3)
    symbols = np.ones((2, 2, 3, 3), dtype=np.int32)
    corrected = apply_residual(latent, symbols, 0.5)
    assert torch.equal(corrected[:, :2], latent[:, :2])
    assert torch.equal(corrected[:, 2:], torch.full((2, 2, 3, 3), 0.5))


def test_a_truncated_payload_is_a_stream_error(real_residual: torch.Tensor) -> None:
    data = encode_residual(quantise(real_residual, 0.2), 0.2)
    with pytest.raises(StreamError, match="32-bit words"):
        decode_residual(data[:-1], 16, 16, 28)
