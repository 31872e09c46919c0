"""gvc-play: PNG frames without a window; the pygame window (SDL's dummy video driver) with real key events
and its decoding progress; the command under a virtual display (Xvfb) and with none, where it must not hang."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import imageio_ffmpeg
import numpy as np
import pytest

from gvcodec.cli.play import main
from gvcodec.cli.player.display import NO_DISPLAY, import_pygame, window_environment
from gvcodec.cli.player.gop_store import DecodeStatus, GopStore
from gvcodec.cli.player.window import ShownFrame, WindowPlayer, window_zoom
from gvcodec.codec import Encoder, encode_stream
from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.y4m import Y4MReader, Y4MWriter
from tests.helpers import eval_clip

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
WIDTH, HEIGHT, FRAMES, GOP = 96, 64, 10, 5
RATE = Fraction(10)  # slow enough that frame times are measurable, fast enough for short tests
PERIOD = 1 / float(RATE)
NO_HANG = 300  # seconds: any gvc-play run of these tests that takes longer has hung


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
    module = import_pygame()
    module.display.init()
    return module


@pytest.fixture(scope="module")
def virtual_display() -> Iterator[str]:
    """A real X server drawing into memory (Xvfb), as a DISPLAY value; skips when Xvfb is not installed."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("needs Xvfb (Debian: apt-get install xvfb; .ci/run installs it)")
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as announced:
        number = announced.readline().strip()
    try:
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def environment_without_display(**extra: str) -> dict[str, str]:
    """This process's environment less every variable that names a display or an SDL video driver, plus ``extra``."""
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")
    return {**{name: value for name, value in os.environ.items() if name not in hidden}, **extra}


def gvc_play(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gvcodec.cli.play", *map(str, args)], env=env, capture_output=True,
                          timeout=NO_HANG)


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
    monkeypatch.setenv("DISPLAY", ":0")  # a display is checked for first; ffplay is looked for before it is used
    assert main([str(stream), "--player", "ffplay"]) == 1
    assert "--player ffplay: ffplay is not on PATH" in capsys.readouterr().err


def test_window_plays_every_frame_once_in_order_at_the_stream_rate(store: GopStore, pygame) -> None:
    shown = WindowPlayer(store, "test", autoexit=True).run().frames
    assert indices(shown) == list(range(FRAMES))
    # Frame k is never shown before k periods after frame 0 (a late frame may be followed by a quick one: the
    # player keeps the stream's schedule rather than adding each delay to the rest of the clip).
    elapsed = np.array([frame.at - shown[0].at for frame in shown])
    assert bool((elapsed >= np.arange(FRAMES) * PERIOD - 0.01).all()), elapsed
    assert shown[-1].at - shown[0].at < (FRAMES - 1) * PERIOD + 0.5


def test_space_pauses_and_resumes(store: GopStore, pygame) -> None:
    press_later(pygame, pygame.K_SPACE, 350, times=2)  # pause at 0.35 s, resume at 0.7 s
    shown = WindowPlayer(store, "test", autoexit=True).run().frames
    assert indices(shown) == list(range(FRAMES))
    gaps = np.diff([frame.at for frame in shown])
    assert gaps.max() > 0.3 and np.sort(gaps)[-2] < 0.3  # one long pause, the other frames on time


def test_right_arrow_jumps_to_the_next_gop(store: GopStore, pygame) -> None:
    press_later(pygame, pygame.K_RIGHT, 150)  # while frame 0 or 1 is up
    shown = indices(WindowPlayer(store, "test", autoexit=True).run().frames)
    assert shown[0] == 0 and shown[-GOP:] == list(range(GOP, FRAMES))
    assert GOP - 1 not in shown and len(shown) <= GOP + 2


def test_left_arrow_goes_back_to_the_previous_gop(store: GopStore, pygame) -> None:
    press_later(pygame, pygame.K_LEFT, 800)  # while GOP 1 (frames 5-9) is up
    shown = indices(WindowPlayer(store, "test", autoexit=True).run().frames)
    back = [i for i in range(1, len(shown)) if shown[i] < shown[i - 1]]
    assert len(back) == 1 and shown[back[0]] == 0 and shown[back[0] - 1] >= GOP
    assert shown[: back[0]] == list(range(shown[back[0] - 1] + 1)) and shown[back[0] :] == list(range(FRAMES))


@pytest.mark.parametrize("player", ["auto", "ffplay"])
def test_without_a_display_one_line_says_so_and_the_exit_status_is_1(stream: Path, player: str) -> None:
    result = gvc_play(stream, "--player", player, env=environment_without_display())
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [f"gvc-play: error: {NO_DISPLAY}"]


def test_a_display_nobody_answers_is_one_line_not_an_invisible_window(stream: Path, tmp_path: Path) -> None:
    result = gvc_play(stream, env=environment_without_display(DISPLAY=":4242", XAUTHORITY=str(tmp_path / "none")))
    assert result.returncode == 1
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gvc-play: error: cannot open a window on :4242 ("), lines
    assert lines[0].endswith("; use --frames-to DIR to write PNGs")


@pytest.mark.slow
def test_under_a_virtual_display_it_plays_to_the_end_without_sound_or_wayland_messages(
    stream: Path, tiny_t2v_folder: Path, virtual_display: str
) -> None:
    result = gvc_play(stream, "--autoexit", "--model", tiny_t2v_folder, "-q",
                      env=environment_without_display(DISPLAY=virtual_display))
    messages = result.stderr.decode(errors="replace")
    assert result.returncode == 0, messages
    assert "ALSA" not in messages and "XDG_RUNTIME_DIR" not in messages and "Traceback" not in messages, messages


def test_window_shows_the_model_loading_then_the_first_gops_steps_before_its_first_frame(
    stream: Path, tiny_t2v_folder: Path, pygame
) -> None:
    fresh = GopStore.open(io.BytesIO(stream.read_bytes()), str(tiny_t2v_folder), "cpu", "float32", quiet=True)
    try:
        playback = WindowPlayer(fresh, "test", autoexit=True).run()
    finally:
        fresh.close()
    assert indices(playback.frames) == list(range(FRAMES))
    before_first_frame = [shown.text for shown in playback.progress if shown.at < playback.frames[0].at]
    assert before_first_frame[0] == "loading the model"
    gop_lines = before_first_frame[1:]
    assert gop_lines and all(re.fullmatch(r"decoding GOP 1/2, (step [0-6]/6|VAE decode)", line) for line in gop_lines)
    steps = [int(line.split("step ")[1].split("/")[0]) for line in gop_lines if "step" in line]
    assert steps == sorted(steps), gop_lines


def test_a_small_stream_gets_the_least_integer_zoom_that_makes_the_window_640_pixels_wide(store: GopStore, pygame) -> None:
    assert WindowPlayer(store, "test", autoexit=True).run().window_size == (WIDTH * 7, HEIGHT * 7)


def test_scale_sets_the_zoom(store: GopStore, pygame) -> None:
    assert WindowPlayer(store, "test", autoexit=True, scale=2).run().window_size == (WIDTH * 2, HEIGHT * 2)


@pytest.mark.parametrize(
    ("width", "height", "screen", "zoom"),
    [(176, 144, None, 4), (96, 64, (1280, 1024), 7), (176, 144, (600, 500), 3), (176, 144, (400, 500), 2),
     (640, 360, None, 1), (1920, 1080, (1280, 1024), 1)],
)
def test_window_zoom_reaches_640_pixels_wide_within_the_screen(
    width: int, height: int, screen: tuple[int, int] | None, zoom: int
) -> None:
    assert window_zoom(width, height, screen) == zoom


@pytest.mark.parametrize("scale", ["0", "17", "1.5", "x"])
def test_a_scale_that_is_no_whole_zoom_from_1_to_16_is_a_usage_error(
    scale: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["clip.gvc", "--scale", scale])
    assert exit_.value.code == 2
    assert f"--scale takes a whole zoom factor from 1 to 16, got '{scale}'" in capsys.readouterr().err


def test_help_lists_the_window_keys(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    keys = capsys.readouterr().out.split("window keys")[1]
    assert all(key in keys for key in ("space", "right arrow", "left arrow", "q, Esc"))


@pytest.mark.parametrize(
    ("environ", "platform", "driver"),
    [({"DISPLAY": ":0"}, "linux", "x11"), ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux", "x11"),
     ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", "wayland"), ({"SDL_VIDEODRIVER": "kmsdrm"}, "linux", "kmsdrm"),
     ({}, "darwin", None), ({}, "win32", None)],
)
def test_the_window_uses_the_video_driver_of_the_display_that_is_there(
    environ: dict[str, str], platform: str, driver: str | None
) -> None:
    assert window_environment(environ, platform).get("SDL_VIDEODRIVER") == driver


def test_no_display_variable_on_linux_is_refused_before_any_window() -> None:
    with pytest.raises(InputError, match=re.escape(NO_DISPLAY)):
        window_environment({"PATH": "/usr/bin"}, "linux")


@pytest.mark.parametrize(
    ("status", "text", "fraction"),
    [(DecodeStatus(), "loading the model", 0.0), (DecodeStatus(0, 7, 20), "decoding GOP 1/3, step 7/20", 0.35),
     (DecodeStatus(2, 20, 20), "decoding GOP 3/3, VAE decode", 1.0)],
)
def test_decode_status_reads_as_a_person_counts(status: DecodeStatus, text: str, fraction: float) -> None:
    assert status.describe(3) == text and status.fraction == pytest.approx(fraction)


def test_ffplay_gets_the_frames_as_y4m_zoomed_without_sound_on_the_displays_driver(
    stream: Path, store: GopStore, tiny_t2v_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ffplay is not in the imageio-ffmpeg wheel: a stand-in of that name records how it was called and hands
    its standard input to the real ffmpeg, which must read it as y4m."""
    stand_in = tmp_path / "ffplay"
    stand_in.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$SDL_VIDEODRIVER\" \"$@\" > {tmp_path / 'call'}\n"
        f"exec {FFMPEG} -v error -f yuv4mpegpipe -i - -f rawvideo -y {tmp_path / 'played.yuv'}\n"
    )
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    assert main([str(stream), "--player", "ffplay", "--model", str(tiny_t2v_folder), "-q"]) == 0
    driver, *arguments = (tmp_path / "call").read_text().splitlines()
    assert driver == "x11" and "-an" in arguments
    assert arguments[arguments.index("-x") + 1 :][:3] == [str(WIDTH * 7), "-y", str(HEIGHT * 7)]
    expected = b"".join(frame.to_bytes() for index in range(2) for frame in store.request(index).result().frames)
    assert (tmp_path / "played.yuv").read_bytes() == expected
