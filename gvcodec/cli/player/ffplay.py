"""gvc-play's fallback window: the frames piped as y4m into ffplay, which paces them at the stream's rate."""
from __future__ import annotations

import contextlib
import subprocess
from typing import Mapping

from gvcodec.cli.player.gop_store import GopStore
from gvcodec.errors import InputError
from gvcodec.io.y4m import Y4MWriter


def play_with_ffplay(ffplay: str, store: GopStore, autoexit: bool, zoom: int, environ: Mapping[str, str]) -> None:
    """Show the stream in ffplay's window, ``zoom`` times its size, with ``environ`` (its SDL video driver named).

    The first GOP is decoded before ffplay starts, so a stream or model error is reported first.
    """
    header = store.header
    first = store.request(0).result()
    size = ["-x", str(header.width * zoom), "-y", str(header.height * zoom)]
    command = [ffplay, "-loglevel", "error", "-an", "-window_title", "gvc-play", *size,
               *(["-autoexit"] if autoexit else []), "-"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, env=dict(environ)) as player:
        with contextlib.suppress(BrokenPipeError):  # the user closed ffplay's window: playback is over
            writer = Y4MWriter(player.stdin, header.width, header.height, header.fps)
            index, gop = 0, first
            while gop is not None:
                store.request(index + 1)
                for frame in gop.frames:
                    writer.write(frame)
                index += 1
                gop = store.request(index).result()
            writer.close()
            player.stdin.close()
    if player.returncode != 0:
        raise InputError(f"ffplay failed with exit status {player.returncode} (its messages are above)")
