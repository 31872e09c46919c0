"""Golden streams: the bits of every mode and atom generator are pinned, so a refactor cannot change them.

Each case encodes the first 7 frames of the shipped demo clip, cropped (64x48, or 56x40 to exercise the
padding), with a tiny random
model (``gvcodec.testing.tiny_wan``, the same bytes on every run) and small codebook settings. The
stream written then (``tests/data/golden/*.gvc``) must decode to the pinned frames, and encoding the
same input again must give the same stream bytes. Model numerics are those of the pinned torch on one
CPU thread; a torch upgrade that moves them shows here first.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from gvcodec.codec import Encoder, decode_stream, encode_stream
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.y4m import Y4MReader
from tests.helpers import REPO

GOLDEN = REPO / "tests" / "data" / "golden"
CLIP = REPO / "examples" / "carphone_176x144_17f.y4m"
FRAMES, LEFT, TOP = 7, 56, 48
OPTIONS = {"codebook": 256, "atoms": 8, "steps": 6, "tail_steps": 2, "gop": 5, "seed": 7, "quiet": True}


@dataclass(frozen=True)
class Case:
    """One golden stream: its mode, atom generator, picture size, extra encoder options and pinned SHA-256s
    of the stream bytes and of the decoded frames' yuv420p bytes."""

    name: str
    mode: str
    generator: int
    stream_sha256: str
    frames_sha256: str
    size: tuple[int, int] = (64, 48)
    options: dict[str, object] = field(default_factory=dict)


CASES = [
    Case(
        "t2v_generator1", "t2v", 1,
        "50a74707ee59278856fa4cb99d815142597ee87de45fb63ce5f2983f489784a3",
        "4f06e0ba49327aea31c6d48491b1fff9e9cb111819437787b88e17eddba355fe"),
    Case(
        "t2v_generator2", "t2v", 2,
        "e5806cb770f1886d1691a48d67a715a5a792cbecdd5c30982798158162dd13fc",
        "cd30952e3621c7c79f8a6c5f5ebf3d372db9516f34ff0389bfa9db43fec41490"),
    Case(
        "i2v_generator1", "i2v", 1,
        "3a1e4e0b8b261e6c86e55fa6828ae82017248f5b102d10fd05665fce51504011",
        "a9ca61426c6e76c325e1d21a5ccae63c1be594ed32fb6e3a0f8efc738f38ea7d"),
    Case(
        "i2v_generator2", "i2v", 2,
        "2b726bf99695ec613557c24506c954076c49be16077ef4c5cdba5dfd8684722c",
        "e0406dea5821a5c2f1f1cf0315dad852796953d64418772a644d045b8abc902a"),
    Case(
        "flf2v_generator1", "flf2v", 1,
        "33fd2941a8344afc747df338171c61b993247ea82d372d43f28c1773e05b92ff",
        "43a2c9b8872aea0bfa610df888baec742c09c4a9364c29e228e1f54283a7250e"),
    Case(
        "flf2v_generator2", "flf2v", 2,
        "02feee3a472ce5b5b099e06c1d8673516fba246f183257d5a1a4d49be8ae9fc7",
        "a7ee38b90343a9821e869988423b32f3c7ebfdcf8f8a00c338af185a04269b6e"),
    Case(
        "t2v_padded", "t2v", 2,
        "4d6067a4ec4a2aa89899c577e43054091d159ee633625e8ea8f84e50f30ecd2e",
        "8699c63c0ba55030b2f93288e1a6c072a0f43faab23b46f9063e14790071e5d0", size=(56, 40)),
    Case(
        "i2v_target_bpp", "i2v", 2,
        "edcece9e669f77c346f186a251b4ed83398922eafe26f528321c357fd14fa1c9",
        "98a8bf6443ca718b21cf84afa6d13f90f0d8e11e2189471e1b843aa8b39520c6", options={"target_bpp": 0.15, "tail_frames": 1}),
    Case(
        "flf2v_padded_residual", "flf2v", 1,
        "fb8bbd06da76ef236456f040b00e2d017e2b3f8bb0f59387e6961737d2d7b976",
        "36843d1803e4fa24f214fc7aae60028d5e6f4764f0348254cbab9333d4d7f374", size=(56, 40), options={"tail_frames": 1, "tail_atoms": 16}),
]


def golden_clip(width: int, height: int) -> list[Yuv420Frame]:
    """The demo clip's first frames cropped to ``width x height`` at (``LEFT``, ``TOP``), all even."""
    with open(CLIP, "rb") as stream:
        frames = [frame for _, frame in zip(range(FRAMES), Y4MReader(stream))]
    return [
        Yuv420Frame(
            y=np.ascontiguousarray(f.y[TOP : TOP + height, LEFT : LEFT + width]),
            u=np.ascontiguousarray(f.u[TOP // 2 : (TOP + height) // 2, LEFT // 2 : (LEFT + width) // 2]),
            v=np.ascontiguousarray(f.v[TOP // 2 : (TOP + height) // 2, LEFT // 2 : (LEFT + width) // 2]),
        )
        for f in frames
    ]


def frames_digest(frames: list[Yuv420Frame]) -> str:
    return hashlib.sha256(b"".join(frame.to_bytes() for frame in frames)).hexdigest()


def golden_encoder(case: Case, model: Path) -> Encoder:
    width, height = case.size
    return Encoder(
        width, height, 30, frame_count=FRAMES, model=str(model), mode=case.mode, atom_generator=case.generator,
        keep_recon=True, **OPTIONS, **case.options,
    )


@pytest.fixture(scope="module")
def golden_models(tiny_t2v_folder: Path, tiny_nano_folder: Path) -> dict[str, Path]:
    """T2V runs on the text-conditioned tiny model, the anchored modes on the tiny nano layout."""
    return {"t2v": tiny_t2v_folder, "i2v": tiny_nano_folder, "flf2v": tiny_nano_folder}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_golden_stream_decodes_to_its_pinned_frames(
    case: Case, golden_models: dict[str, Path], one_thread: None, isolated_cache: None
) -> None:
    stream = (GOLDEN / f"{case.name}.gvc").read_bytes()
    assert hashlib.sha256(stream).hexdigest() == case.stream_sha256
    frames = decode_stream(stream, model=str(golden_models[case.mode]), quiet=True)
    assert len(frames) == FRAMES
    assert frames_digest(frames) == case.frames_sha256


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_encoding_the_golden_clip_gives_the_golden_stream_and_recon(
    case: Case, golden_models: dict[str, Path], one_thread: None, isolated_cache: None
) -> None:
    encoder = golden_encoder(case, golden_models[case.mode])
    stream = encode_stream(encoder, golden_clip(*case.size))
    assert hashlib.sha256(stream).hexdigest() == case.stream_sha256
    assert frames_digest(encoder.take_recon()) == case.frames_sha256
