"""Anchors are shown as decoded: where the stream carries an intra-coded picture, the output frame at that
position is that picture (on both sides), not the model's estimate of it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gvcodec
from container import decode_packet
from gvcodec.anchors import decode_anchor
from gvcodec.gop.coder import show_anchors
from gvcodec.io.frames import Yuv420Frame
from tests.helpers import read_frames, small_clip

OPTIONS = {"codebook": 256, "atoms": 8, "steps": 6, "tail_steps": 2, "gop": 5, "quiet": True}


def flat(value: int) -> Yuv420Frame:
    return Yuv420Frame(
        y=np.full((4, 4), value, np.uint8), u=np.full((2, 2), 128, np.uint8), v=np.full((2, 2), 128, np.uint8)
    )


def test_the_first_anchor_replaces_output_zero_and_the_last_anchor_the_final_output() -> None:
    outputs = [flat(v) for v in (10, 20, 30)]
    shown = show_anchors(outputs, {"first": flat(1), "last": flat(2)}, overlap=0)
    assert [int(f.y[0, 0]) for f in shown] == [1, 20, 2]
    assert [int(f.y[0, 0]) for f in outputs] == [10, 20, 30]


def test_a_first_anchor_on_the_shared_frame_is_not_output_again() -> None:
    shown = show_anchors([flat(20), flat(30)], {"first": flat(1)}, overlap=1)
    assert [int(f.y[0, 0]) for f in shown] == [20, 30]


def test_a_gop_without_anchors_is_output_as_generated() -> None:
    outputs = [flat(10), flat(20)]
    assert show_anchors(outputs, {}, overlap=1) == outputs


@pytest.mark.parametrize(("mode", "anchor_positions"), [("flf2v", {0: (0, "first"), 4: (0, "last"), 6: (1, "last")}),
                                                        ("i2v", {0: (0, "first")})])
def test_decoded_and_recon_frames_at_anchor_positions_are_the_decoded_anchors(
    tiny_nano_folder: Path, tmp_path: Path, one_thread: None, mode: str, anchor_positions: dict[int, tuple[int, str]]
) -> None:
    source = read_frames(small_clip(tmp_path / "c.y4m", 7))
    encoder = gvcodec.Encoder(64, 48, 25, model=str(tiny_nano_folder), keep_recon=True, mode=mode, **OPTIONS)
    packets = [p for frame in source for p in encoder.encode(frame)] + encoder.encode(None)
    recon = encoder.take_recon()
    decoder = gvcodec.Decoder(encoder.header, model=str(tiny_nano_folder), quiet=True)
    decoded = [f for p in packets for f in decoder.decode_yuv(p)]
    for position, (gop, role) in anchor_positions.items():
        anchor = next(a for a in decode_packet(packets[gop].data).anchors if a.role == role)
        picture = decode_anchor(anchor.data, anchor.codec, 64, 48).to_bytes()
        assert decoded[position].to_bytes() == recon[position].to_bytes() == picture
    others = [p for p in range(7) if p not in anchor_positions]
    assert all(decoded[p].to_bytes() == recon[p].to_bytes() for p in others)
