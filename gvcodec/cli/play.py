"""gvc-play: show a .gvc stream at its frame rate, or write its frames as PNG files.

    gvc-play clip.gvc                          # a window (pygame), or ffplay when pygame is absent
    cat clip.gvc | gvc-play -
    gvc-play clip.gvc --frames-to frames/      # no window: frames/frame_000000.png, ...

Window keys: space pauses and resumes, right arrow jumps to the next GOP, left arrow to the previous
one, q or Esc quits. At the end the last frame stays up (left arrow replays) unless ``--autoexit``.
With ffplay, ffplay's own keys apply (it cannot step GOPs in a pipe).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import subprocess
import sys
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator

import av
import numpy as np

from gvcodec.cli.common import add_version, run_command
from gvcodec.codec import Decoder, read_stream
from gvcodec.errors import InputError
from gvcodec.io.binary import open_binary_input
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.pyav_io import yuv420_to_av_frame
from gvcodec.io.y4m import Y4MWriter
from gvcodec.options import add_model_arguments

if TYPE_CHECKING:
    from container import GopPacket, StreamHeader

PLAYERS = ("auto", "pygame", "ffplay")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gvc-play", description="Play a gvcodec stream.")
    parser.add_argument("input", help=".gvc file, or '-' for stdin")
    parser.add_argument("--frames-to", type=Path, metavar="DIR",
                        help="write each frame as DIR/frame_NNNNNN.png instead of showing a window")
    parser.add_argument("--no-window", action="store_true", help="show nothing (needs --frames-to)")
    parser.add_argument("--player", default="auto", choices=PLAYERS,
                        help="window: pygame, ffplay, or auto (pygame if installed, else ffplay)")
    parser.add_argument("--autoexit", action="store_true", help="close the window after the last frame")
    add_model_arguments(parser)
    add_version(parser)
    return parser


@dataclass(frozen=True)
class DecodedGop:
    """One GOP's frames; the first is frame ``first_frame`` of the stream."""

    first_frame: int
    frames: list[Yuv420Frame]


class GopStore:
    """The stream's GOPs by index, decoded in a background thread, the latest ``keep`` kept.

    Packets are read from the stream only as far as asked for, and kept (they are small), so a GOP can
    be decoded again after it was dropped. T2V GOPs are decoded independently; a chained mode (I2V,
    FLF2V) conditions each GOP on the one before, so going back restarts its decoder from GOP 0.
    """

    def __init__(self, packets: Iterator[GopPacket], decoder: Decoder, keep: int = 3) -> None:
        self._unread = packets
        self._packets: list[GopPacket] = []
        self._decoder = decoder
        self.header: StreamHeader = decoder.header
        self._keep = keep
        self._ended = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gvc-play")
        self._requests: OrderedDict[int, Future[DecodedGop | None]] = OrderedDict()
        self._next_chained = 0

    @classmethod
    def open(cls, stream: BinaryIO, model: str, device: str, dtype: str, quiet: bool) -> GopStore:
        """Read the stream's header and load its decoder (errors about either surface here)."""
        header, packets = read_stream(stream)
        return cls(packets, Decoder(header, model=model, device=device, dtype=dtype, quiet=quiet))

    def request(self, index: int) -> Future[DecodedGop | None]:
        """The GOP's frames when decoded, or None if the stream has fewer GOPs; starts decoding if needed."""
        future = self._requests.get(index)
        if future is None:
            future = self._executor.submit(self._decode, index)
            self._requests[index] = future
            while len(self._requests) > self._keep:
                self._requests.popitem(last=False)
        self._requests.move_to_end(index)
        return future

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _decode(self, index: int) -> DecodedGop | None:
        while len(self._packets) <= index and not self._ended:
            packet = next(self._unread, None)
            if packet is None:
                self._ended = True
            else:
                self._packets.append(packet)
        if index >= len(self._packets):
            return None
        packet = self._packets[index]
        return DecodedGop(packet.first_frame, self._decode_in_order(index))

    def _decode_in_order(self, index: int) -> list[Yuv420Frame]:
        """Decode packet ``index``; in a chained mode, first every GOP before it that the decoder has not seen."""
        if not self._decoder.mode.chained:
            return self._decoder.decode_yuv(self._packets[index])
        if index < self._next_chained:
            self._decoder = Decoder(self.header, backbone=self._decoder.backbone, quiet=self._decoder.quiet)
            self._next_chained = 0
        while self._next_chained < index:
            self._decoder.decode_yuv(self._packets[self._next_chained])
            self._next_chained += 1
        self._next_chained += 1
        return self._decoder.decode_yuv(self._packets[index])


def rgb_array(frame: Yuv420Frame) -> np.ndarray:
    """The frame as ``(H, W, 3)`` uint8 RGB, converted from BT.601 limited range by swscale."""
    return yuv420_to_av_frame(frame).reformat(format="rgb24").to_ndarray()


def png_bytes(frame: Yuv420Frame) -> bytes:
    """The frame as a PNG file (RGB, 8 bits per channel)."""
    picture = av.VideoFrame.from_ndarray(rgb_array(frame), format="rgb24")
    encoder = av.CodecContext.create("png", "w")
    encoder.width, encoder.height, encoder.pix_fmt = frame.width, frame.height, "rgb24"
    return b"".join(bytes(packet) for packet in [*encoder.encode(picture), *encoder.encode(None)])


def write_pngs(store: GopStore, folder: Path) -> int:
    """Write every frame as ``folder/frame_NNNNNN.png`` (N = frame index); returns the frame count."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--frames-to {str(folder)!r} is a file; give a folder (it is created if missing)")
    folder.mkdir(parents=True, exist_ok=True)
    written, index = 0, 0
    while (gop := store.request(index).result()) is not None:
        store.request(index + 1)  # decode the next GOP while this one is written
        for offset, frame in enumerate(gop.frames):
            (folder / f"frame_{gop.first_frame + offset:06d}.png").write_bytes(png_bytes(frame))
        written += len(gop.frames)
        index += 1
    return written


def import_pygame() -> Any:
    """pygame (an optional dependency), imported without its greeting, which would go to stdout."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    return importlib.import_module("pygame")


@dataclass(frozen=True)
class ShownFrame:
    """A frame put on screen: its index in the stream and when (``time.monotonic()``)."""

    index: int
    at: float


class WindowPlayer:
    """A pygame window showing the store's frames at the stream's rate; keys as in the module docstring."""

    def __init__(self, store: GopStore, title: str, autoexit: bool) -> None:
        self._store = store
        self._title = title
        self._autoexit = autoexit
        self._period = 1 / float(store.header.fps)

    def run(self) -> list[ShownFrame]:
        """Play until quit (or the end, with ``autoexit``); returns every frame shown, in order."""
        pygame = import_pygame()
        pygame.init()
        try:
            return self._loop(pygame, pygame.display.set_mode((self._store.header.width, self._store.header.height)))
        finally:
            pygame.quit()

    def _loop(self, pg: Any, screen: Any) -> list[ShownFrame]:
        clock = pg.time.Clock()
        shown: list[ShownFrame] = []
        gop, position, paused = 0, 0, False
        on_screen: tuple[int, int] | None = None
        caption = ""
        due: float | None = None  # when the next frame is due; None: one period after now
        while True:
            for event in pg.event.get():
                if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key in (pg.K_q, pg.K_ESCAPE)):
                    return shown
                if event.type == pg.KEYDOWN and event.key == pg.K_SPACE:
                    paused, due = not paused, None
                elif event.type == pg.KEYDOWN and event.key in (pg.K_RIGHT, pg.K_LEFT):
                    step = 1 if event.key == pg.K_RIGHT else -1
                    gop, position, paused, due = max(0, gop + step), 0, False, None
            request = self._store.request(gop)
            if not request.done():
                caption = self._caption(pg, caption, f"decoding GOP {gop}")
                due = None
                clock.tick(100)
                continue
            decoded = request.result()
            if decoded is not None and position >= len(decoded.frames):
                gop, position = gop + 1, 0
                continue
            if decoded is None:  # past the last GOP: stop, or hold the last frame
                if gop == 0 or self._autoexit:
                    return shown
                gop, paused = gop - 1, True
                position = len(self._store.request(gop).result().frames) - 1
                continue
            self._store.request(gop + 1)
            if on_screen != (gop, position):
                self._show(pg, screen, decoded.frames[position])
                shown.append(ShownFrame(decoded.first_frame + position, time.monotonic()))
                on_screen = (gop, position)
            state = " (paused)" if paused else ""
            caption = self._caption(pg, caption, f"frame {decoded.first_frame + position}, GOP {gop}{state}")
            now = time.monotonic()
            due = now + self._period if due is None else due
            if not paused and now >= due:
                position, due = position + 1, due + self._period
            clock.tick(200)

    def _caption(self, pg: Any, current: str, status: str) -> str:
        """Set the window title to the file name and ``status`` unless it already is; returns the title."""
        caption = f"{self._title}: {status}"
        if caption != current:
            pg.display.set_caption(caption)
        return caption

    @staticmethod
    def _show(pg: Any, screen: Any, frame: Yuv420Frame) -> None:
        picture = pg.image.frombuffer(rgb_array(frame).tobytes(), (frame.width, frame.height), "RGB")
        screen.blit(picture, (0, 0))
        pg.display.flip()


def play_with_ffplay(ffplay: str, store: GopStore, autoexit: bool) -> None:
    """Pipe the frames as y4m into ffplay, which paces them at the stream's rate."""
    header = store.header
    command = [ffplay, "-loglevel", "error", "-window_title", "gvc-play", *(["-autoexit"] if autoexit else []), "-"]
    with subprocess.Popen(command, stdin=subprocess.PIPE) as player:
        with contextlib.suppress(BrokenPipeError):  # the user closed ffplay's window: playback is over
            writer = Y4MWriter(player.stdin, header.width, header.height, header.fps)
            index = 0
            while (gop := store.request(index).result()) is not None:
                store.request(index + 1)
                for frame in gop.frames:
                    writer.write(frame)
                index += 1
            writer.close()
            player.stdin.close()
    if player.returncode != 0:
        raise InputError(f"ffplay failed with exit status {player.returncode} (its messages are above)")


def _window_player(choice: str) -> str:
    """'pygame' or the path of ffplay, as ``choice`` asks and what is installed allows."""
    if choice in ("auto", "pygame"):
        try:
            import_pygame()
        except ImportError:
            if choice == "pygame":
                raise InputError("--player pygame: pygame is not installed (pip install 'gvcodec[play]')") from None
        else:
            return "pygame"
    ffplay = shutil.which("ffplay")
    if ffplay is None:
        wanted = "--player ffplay: ffplay is not on PATH" if choice == "ffplay" else "no window player"
        raise InputError(
            f"{wanted}; install pygame (pip install 'gvcodec[play]') or ffplay, "
            "or write PNG frames with --no-window --frames-to DIR"
        )
    return ffplay


def play(args: argparse.Namespace) -> None:
    if args.no_window and args.frames_to is None:
        raise InputError("--no-window shows nothing, so it needs --frames-to DIR")
    player = None if args.frames_to is not None else _window_player(args.player)
    with open_binary_input(args.input) as stream:
        store = GopStore.open(stream, args.model, args.device, args.dtype, args.quiet)
        try:
            if args.frames_to is not None:
                count = write_pngs(store, args.frames_to)
                print(f"gvc-play: {count} frames written to {args.frames_to}", file=sys.stderr)
            elif player == "pygame":
                title = "gvc-play " + ("stdin" if args.input == "-" else Path(args.input).name)
                WindowPlayer(store, title, args.autoexit).run()
            else:
                play_with_ffplay(player, store, args.autoexit)
        finally:
            store.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("gvc-play", lambda: play(args))


if __name__ == "__main__":
    sys.exit(main())
