"""gvc-play: PNG frames without a window, and the pygame window (SDL's dummy video driver) with real key events."""
from __future__ import annotations

import io
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from gvcodec.cli.play import GopStore, ShownFrame, WindowPlayer, import_pygame, main
from gvcodec.codec import Encoder, encode_stream
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.y4m import Y4MReader, Y4MWriter
from tests.helpers import eval_clip

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
WIDTH, HEIGHT, FRAMES, GOP = 96, 64, 10, 5
RATE = Fraction(10)  # slow enough that frame times are measurable, fast enough for short tests
PERIOD = 1 / float(RATE)


def cropped_clip() -> list[Yuv420Frame]:
    """The first frames of a real clip, cropped to WIDTH x HEIGHT at an even offset."""
    top, left = 30, 40
    with open(eval_clip("carphone_176x144.y4m"), "rb") as stream:
        frames = [frame for _, frame in zip(range(FRAMES), Y4MReader(stream))]
    return [
        Yuv420Frame(
            y=np.ascontiguousarray(f.y[top : top + HEIGHT, left : left + WIDTH]),
            u=np.ascontiguousarray(f.u[top // 2 : (top + HEIGHT) // 2, left // 2 : (left + WIDTH) // 2]),
            v=np.ascontiguousarray(f.v[top // 2 : (top + HEIGHT) // 2, left // 2 : (left + WIDTH) // 2]),
        )
        for f in frames
    ]


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory, tiny_t2v_folder: Path) -> Path:
    encoder = Encoder(WIDTH, HEIGHT, RATE, frame_count=FRAMES, model=str(tiny_t2v_folder), quiet=True,
                      codebook=256, atoms=8, steps=6, tail_steps=2, gop=GOP)
    data = encode_stream(encoder, cropped_clip())
    path = tmp_path_factory.mktemp("play") / "clip.gvc"
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def store(stream: Path, tiny_t2v_folder: Path) -> GopStore:
    """Both GOPs decoded up front, so window tests time playback, not decoding."""
    store = GopStore.open(io.BytesIO(stream.read_bytes()), str(tiny_t2v_folder), "cpu", "float32", quiet=True)
    for index in range(3):
        store.request(index).result()
    yield store
    store.close()


@pytest.fixture
def pygame(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    module = import_pygame()
    module.init()
    return module


def press_later(pygame, key: int, milliseconds: int, times: int = 1) -> None:
    """Post a real SDL key-down event after ``milliseconds`` (repeated ``times``, at that interval)."""
    pygame.time.set_timer(pygame.event.Event(pygame.KEYDOWN, key=key), milliseconds, loops=times)


def indices(shown: list[ShownFrame]) -> list[int]:
    return [frame.index for frame in shown]


def rgb_of(*ffmpeg_input: str | Path) -> np.ndarray:
    raw = subprocess.run([FFMPEG, "-v", "error", *map(str, ffmpeg_input), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, HEIGHT, WIDTH, 3).astype(np.int16)


@pytest.mark.slow
def test_frames_to_writes_one_png_per_frame_with_the_decoded_pictures(
    stream: Path, store: GopStore, tiny_t2v_folder: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gvcodec.cli.play", str(stream), "--no-window", "--frames-to", str(tmp_path / "png"),
         "--model", str(tiny_t2v_folder), "-q"], capture_output=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == [f"frame_{i:06d}.png" for i in range(FRAMES)]
    reference = tmp_path / "decoded.y4m"
    with open(reference, "wb") as out:
        writer = Y4MWriter(out, WIDTH, HEIGHT, RATE)
        for index in range(2):
            for frame in store.request(index).result().frames:
                writer.write(frame)
        writer.close()
    pngs = rgb_of("-i", tmp_path / "png" / "frame_%06d.png")
    expected = rgb_of("-i", reference)
    assert pngs.shape == expected.shape == (FRAMES, HEIGHT, WIDTH, 3)
    # Two swscale builds convert YCbCr to RGB (PyAV's and the ffmpeg binary's): allow a rounding step.
    assert np.abs(pngs - expected).max() <= 1


def test_no_window_without_frames_to_is_refused(stream: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(stream), "--no-window"]) == 1
    assert "--no-window shows nothing, so it needs --frames-to DIR" in capsys.readouterr().err


def test_ffplay_player_missing_from_path_is_reported(
    stream: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main([str(stream), "--player", "ffplay"]) == 1
    assert "--player ffplay: ffplay is not on PATH" in capsys.readouterr().err


def test_window_plays_every_frame_once_in_order_at_the_stream_rate(store: GopStore, pygame) -> None:
    shown = WindowPlayer(store, "test", autoexit=True).run()
    assert indices(shown) == list(range(FRAMES))
    # Frame k is never shown before k periods after frame 0 (a late frame may be followed by a quick one: the
    # player keeps the stream's schedule rather than adding each delay to the rest of the clip).
    elapsed = np.array([frame.at - shown[0].at for frame in shown])
    assert bool((elapsed >= np.arange(FRAMES) * PERIOD - 0.01).all()), elapsed
    assert shown[-1].at - shown[0].at < (FRAMES - 1) * PERIOD + 0.5


def test_space_pauses_and_resumes(store: GopStore, pygame) -> None:
    press_later(pygame, pygame.K_SPACE, 350, times=2)  # pause at 0.35 s, resume at 0.7 s
    shown = WindowPlayer(store, "test", autoexit=True).run()
    assert indices(shown) == list(range(FRAMES))
    gaps = np.diff([frame.at for frame in shown])
    assert gaps.max() > 0.3 and np.sort(gaps)[-2] < 0.3  # one long pause, the other frames on time


def test_right_arrow_jumps_to_the_next_gop(store: GopStore, pygame) -> None:
    press_later(pygame, pygame.K_RIGHT, 150)  # while frame 0 or 1 is up
    shown = indices(WindowPlayer(store, "test", autoexit=True).run())
    assert shown[0] == 0 and shown[-GOP:] == list(range(GOP, FRAMES))
    assert GOP - 1 not in shown and len(shown) <= GOP + 2


def test_left_arrow_goes_back_to_the_previous_gop(store: GopStore, pygame) -> None:
    press_later(pygame, pygame.K_LEFT, 800)  # while GOP 1 (frames 5-9) is up
    shown = indices(WindowPlayer(store, "test", autoexit=True).run())
    back = [i for i in range(1, len(shown)) if shown[i] < shown[i - 1]]
    assert len(back) == 1 and shown[back[0]] == 0 and shown[back[0] - 1] >= GOP
    assert shown[: back[0]] == list(range(shown[back[0] - 1] + 1)) and shown[back[0] :] == list(range(FRAMES))
