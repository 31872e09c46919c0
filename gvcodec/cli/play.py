"""gvc-play: show a .gvc stream at its frame rate, or write its frames as PNG files.

    gvc-play clip.gvc                          # a window (pygame), or ffplay when pygame is absent
    cat clip.gvc | gvc-play -
    gvc-play clip.gvc --frames-to frames/      # no window: frames/frame_000000.png, ...

The window opens at once and shows the decoding progress until the first GOP is ready; small streams are
zoomed by an integer (``--scale``). Without a display gvc-play says so and exits: it never plays to an
invisible window. The display is checked before the stream is opened and before the modules that decode
(the codec, torch) are imported.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from gvcodec.cli.common import add_version, argument_type, run_command
from gvcodec.cli.player.display import import_pygame, window_environment
from gvcodec.errors import InputError
from gvcodec.io.binary import open_binary_input
from gvcodec.options import add_model_arguments

PLAYERS = ("auto", "pygame", "ffplay")
KEYS = """window keys (pygame):
  space         pause / resume
  right arrow   jump to the next GOP
  left arrow    jump to the previous GOP (at the end: replay it)
  q, Esc        quit
At the end the last frame stays up unless --autoexit. With ffplay, ffplay's own keys apply."""


def zoom_factor(text: str) -> int:
    """A ``--scale`` value: a whole zoom factor from 1 to 16."""
    if not text.isdigit() or not 1 <= int(text) <= 16:
        raise InputError(f"--scale takes a whole zoom factor from 1 to 16, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gvc-play", description="Play a gvcodec stream.", epilog=KEYS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", help=".gvc file, or '-' for stdin")
    parser.add_argument("--frames-to", type=Path, metavar="DIR",
                        help="write each frame as DIR/frame_NNNNNN.png instead of showing a window")
    parser.add_argument("--no-window", action="store_true", help="show nothing (needs --frames-to)")
    parser.add_argument("--player", default="auto", choices=PLAYERS,
                        help="window: pygame, ffplay, or auto (pygame if installed, else ffplay)")
    parser.add_argument("--scale", type=argument_type(zoom_factor), metavar="N",
                        help="zoom the window N times (default: the least whole zoom that makes it 640 px wide)")
    parser.add_argument("--autoexit", action="store_true", help="close the window after the last frame")
    add_model_arguments(parser)
    add_version(parser)
    return parser


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
    window = None if args.frames_to is not None else window_environment(os.environ, sys.platform)
    player = None if window is None else _window_player(args.player)
    with open_binary_input(args.input) as stream:
        from gvcodec.cli.player.gop_store import GopStore  # the codec: torch, the model's classes

        store = GopStore.open(stream, args.model, args.device, args.dtype, args.quiet)
        try:
            if args.frames_to is not None:
                from gvcodec.cli.player.pictures import write_pngs

                count = write_pngs(store, args.frames_to)
                print(f"gvc-play: {count} frames written to {args.frames_to}", file=sys.stderr)
            elif player == "pygame":
                from gvcodec.cli.player.window import WindowPlayer

                os.environ.update(window)
                title = "gvc-play " + ("stdin" if args.input == "-" else Path(args.input).name)
                WindowPlayer(store, title, args.autoexit, args.scale).run()
            else:
                from gvcodec.cli.player.ffplay import play_with_ffplay
                from gvcodec.cli.player.window import window_zoom

                zoom = args.scale or window_zoom(store.header.width, store.header.height, None)
                play_with_ffplay(player, store, args.autoexit, zoom, window)
        finally:
            store.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("gvc-play", lambda: play(args))


if __name__ == "__main__":
    sys.exit(main())
