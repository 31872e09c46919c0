"""Anchor intra coding through PyAV on real frames of the evaluation clips."""
from __future__ import annotations

import numpy as np
import pytest

from gvcodec.anchors import ANCHOR_CODECS, code_anchor, decode_anchor, encode_anchor
from gvcodec.errors import InputError, StreamError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.y4m import Y4MReader
from tests.helpers import eval_clip


def _crop(frame: Yuv420Frame, top: int, left: int, width: int, height: int) -> Yuv420Frame:
    cw, ch = (width + 1) // 2, (height + 1) // 2
    return Yuv420Frame(
        y=np.ascontiguousarray(frame.y[top : top + height, left : left + width]),
        u=np.ascontiguousarray(frame.u[top // 2 : top // 2 + ch, left // 2 : left // 2 + cw]),
        v=np.ascontiguousarray(frame.v[top // 2 : top // 2 + ch, left // 2 : left // 2 + cw]),
    )


def _psnr(a: Yuv420Frame, b: Yuv420Frame) -> float:
    mse = np.mean((a.y.astype(np.float64) - b.y.astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / max(mse, 1e-12)))


@pytest.fixture(scope="module")
def frame() -> Yuv420Frame:
    with open(eval_clip("bear_448x256.y4m"), "rb") as stream:
        first = next(iter(Y4MReader(stream)))
    return _crop(first, 64, 128, 96, 64)


@pytest.mark.parametrize("codec", sorted(ANCHOR_CODECS))
def test_lower_crf_costs_more_bytes_and_gives_higher_psnr(frame: Yuv420Frame, codec: str) -> None:
    fine_data, fine = code_anchor(frame, codec, 20)
    coarse_data, coarse = code_anchor(frame, codec, 45)
    assert len(fine_data) > len(coarse_data)
    assert _psnr(frame, fine) > _psnr(frame, coarse)
    assert _psnr(frame, fine) > 35


@pytest.mark.parametrize("codec", sorted(ANCHOR_CODECS))
def test_decoding_the_bytes_again_gives_the_same_frame(frame: Yuv420Frame, codec: str) -> None:
    data, decoded = code_anchor(frame, codec, 30)
    again = decode_anchor(data, codec, frame.width, frame.height)
    assert again.to_bytes() == decoded.to_bytes()


@pytest.mark.parametrize("codec", sorted(ANCHOR_CODECS))
def test_odd_sized_frames_come_back_at_their_size(frame: Yuv420Frame, codec: str) -> None:
    odd = _crop(frame, 0, 0, 31, 17)
    data, decoded = code_anchor(odd, codec, 24)
    assert (decoded.width, decoded.height) == (31, 17)
    assert _psnr(odd, decoded) > 30
    assert len(data) < odd.y.size


def test_a_crf_outside_the_codec_range_is_refused(frame: Yuv420Frame) -> None:
    with pytest.raises(InputError, match=r"\[0, 51\]"):
        encode_anchor(frame, "libx265", 52)


def test_an_unknown_codec_is_refused_naming_the_choices(frame: Yuv420Frame) -> None:
    with pytest.raises(InputError, match="libsvtav1"):
        encode_anchor(frame, "mjpeg", 10)


@pytest.mark.parametrize("codec", sorted(ANCHOR_CODECS))
def test_damaged_anchor_bytes_raise_a_stream_error(frame: Yuv420Frame, codec: str) -> None:
    data = encode_anchor(frame, codec, 30)
    with pytest.raises(StreamError, match=codec):
        decode_anchor(data[:8], codec, frame.width, frame.height)


def test_the_container_names_exactly_the_anchor_codecs_this_release_codes() -> None:
    from container.schema import ANCHOR_CODECS as CONTAINER_CODECS
    from gvcodec.anchors import ANCHOR_CODECS

    assert set(CONTAINER_CODECS) == set(ANCHOR_CODECS)
