"""The PyAV-shaped Python API: frames of any accepted kind in, packets per GOP out, av frames back."""
from __future__ import annotations

import dataclasses
from fractions import Fraction
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

import gvcodec
from gvcodec.codec import decode_stream, encode_stream
from gvcodec.errors import InputError, StreamError
from gvcodec.io.y4m import Y4MReader
from tests.helpers import eval_clip

OPTIONS = {"codebook": 256, "atoms": 8, "steps": 6, "tail_steps": 2, "gop": 5, "quiet": True}


def clip_frames(count: int) -> list:
    with open(eval_clip("carphone_176x144.y4m"), "rb") as stream:
        reader = Y4MReader(stream)
        return [frame for _, frame in zip(range(count), reader)]


def test_encoder_emits_a_packet_as_soon_as_a_gop_is_complete(tiny_t2v_folder: Path) -> None:
    encoder = gvcodec.Encoder(176, 144, 30, model=str(tiny_t2v_folder), **OPTIONS)
    emitted = [len(encoder.encode(frame)) for frame in clip_frames(7)]
    assert emitted == [0, 0, 0, 0, 1, 0, 0]
    flushed = encoder.encode(None)
    assert [(p.pts, p.duration, p.gop_index) for p in flushed] == [(5, 2, 1)]
    assert flushed[0].time_base == Fraction(1, 30)


def test_av_frames_and_rgb_arrays_are_accepted_and_files_round_trip(tmp_path: Path, tiny_t2v_folder: Path) -> None:
    frames = clip_frames(6)
    av_frames = [av.VideoFrame.from_ndarray(np.concatenate([f.y.ravel(), f.u.ravel(), f.v.ravel()]).reshape(216, 176),
                                            format="yuv420p") for f in frames[:3]]
    rgb = [av_frame.to_ndarray(format="rgb24") for av_frame in av_frames]
    path = tmp_path / "api.gvc"
    with gvcodec.open(path, "w", width=176, height=144, rate=30, model=str(tiny_t2v_folder), **OPTIONS) as out:
        for frame in (*av_frames, *rgb):
            out.write(frame)
    with gvcodec.open(path, model=str(tiny_t2v_folder), quiet=True) as clip:
        decoded = list(clip)
    assert [f.pts for f in decoded] == list(range(6))
    assert all(isinstance(f, av.VideoFrame) and (f.width, f.height) == (176, 144) for f in decoded)
    assert clip.header.frame_count is None and clip.header.gop_length == 5


def test_a_failed_write_leaves_no_file(tmp_path: Path, tiny_t2v_folder: Path) -> None:
    path = tmp_path / "bad.gvc"
    with pytest.raises(InputError, match="frame must be"):
        with gvcodec.open(path, "w", width=176, height=144, rate=30, model=str(tiny_t2v_folder), **OPTIONS) as out:
            out.write("not a frame")
    assert list(tmp_path.iterdir()) == []


PEAK_MEMORY = """
import resource, subprocess, sys
raw = open(sys.argv[1], "rb").read() * int(sys.argv[2])
subprocess.run([sys.executable, "-m", "gvcodec.cli.enc", "-", "-s", "176x144", "-r", "30", "-o", sys.argv[3],
                "--model", sys.argv[4], "--codebook", "64", "--atoms", "4", "--steps", "3", "--tail-steps", "1",
                "--gop", "5", "-q"], input=raw, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.slow
def test_encoder_memory_does_not_grow_with_the_input_length(tmp_path: Path, tiny_t2v_folder: Path) -> None:
    raw = tmp_path / "clip.yuv"
    raw.write_bytes(b"".join(frame.to_bytes() for frame in clip_frames(10)))
    peaks = []
    for repeats in (1, 10):
        result = subprocess.run(
            [sys.executable, "-c", PEAK_MEMORY, str(raw), str(repeats), str(tmp_path / f"{repeats}.gvc"), str(tiny_t2v_folder)],
            capture_output=True, check=True, timeout=600,
        )
        peaks.append(int(result.stdout.split()[-1]))
    assert peaks[1] <= 1.2 * peaks[0]


@pytest.mark.parametrize("mode,keep_recon,decodes", [
    ("t2v", False, 0), ("t2v", True, 2), ("flf2v", False, 0), ("i2v", False, 2),
])
def test_the_encoder_vae_decodes_only_when_its_output_is_used(
    tiny_nano_folder: Path, mode: str, keep_recon: bool, decodes: int
) -> None:
    """T2V and FLF2V need no decoded frames unless a reconstruction is asked for; I2V chains on them."""
    from gvcodec.backbones import load_backbone

    backbone = load_backbone(str(tiny_nano_folder), "cpu", "float32")
    calls = []
    decode_latent = backbone.decode_latent
    backbone.decode_latent = lambda latent: calls.append(1) or decode_latent(latent)
    encoder = gvcodec.Encoder(176, 144, 30, backbone=backbone, mode=mode, keep_recon=keep_recon, **OPTIONS)
    for frame in clip_frames(9):
        encoder.encode(frame)
    encoder.encode(None)
    assert len(calls) == decodes


def test_an_unknown_atom_generator_is_refused_before_any_coding(tiny_t2v_folder: Path) -> None:
    with pytest.raises(InputError, match="--atom-generator must be one of 1, 2, got 3"):
        gvcodec.Encoder(176, 144, 30, model=str(tiny_t2v_folder), atom_generator=3, **OPTIONS)


def test_a_whole_stream_in_memory_is_the_header_then_every_packet_and_decodes_whole(tiny_t2v_folder: Path) -> None:
    frames = clip_frames(7)
    encoder = gvcodec.Encoder(176, 144, 30, model=str(tiny_t2v_folder), keep_recon=True, **OPTIONS)
    stream = encode_stream(encoder, frames)
    separate = gvcodec.Encoder(176, 144, 30, model=str(tiny_t2v_folder), **OPTIONS)
    packets = [p.data for frame in (*frames, None) for p in separate.encode(frame)]
    assert stream == separate.extradata + b"".join(packets) and len(packets) == 2
    decoded = decode_stream(stream, backbone=encoder.backbone, quiet=True)
    recon = encoder.take_recon()
    assert len(decoded) == len(recon) == 7
    assert all(np.array_equal(d.y, r.y) and np.array_equal(d.v, r.v) for d, r in zip(decoded, recon))


def test_a_stream_whose_gop_length_the_model_cannot_code_is_refused(tiny_t2v_folder: Path) -> None:
    encoder = gvcodec.Encoder(176, 144, 30, model=str(tiny_t2v_folder), **OPTIONS)
    header = dataclasses.replace(encoder.header, gop_length=6)
    with pytest.raises(StreamError, match="GOPs are 6 frames long; model .* codes 4k \\+ 1 frames"):
        gvcodec.Decoder(header, backbone=encoder.backbone)


def test_the_decoders_step_callback_hears_every_step_of_every_gop_and_changes_no_pixel(tiny_t2v_folder: Path) -> None:
    encoder = gvcodec.Encoder(176, 144, 30, model=str(tiny_t2v_folder), keep_recon=True, **OPTIONS)
    stream = encode_stream(encoder, clip_frames(7))
    heard: list[tuple[int, int, int]] = []
    decoded = decode_stream(stream, backbone=encoder.backbone, quiet=True, on_step=lambda *step: heard.append(step))
    assert heard == [(gop, done, OPTIONS["steps"]) for gop in (0, 1) for done in range(1, OPTIONS["steps"] + 1)]
    recon = encoder.take_recon()
    assert len(decoded) == len(recon) == 7
    assert all(np.array_equal(d.y, r.y) and np.array_equal(d.u, r.u) and np.array_equal(d.v, r.v)
               for d, r in zip(decoded, recon))
