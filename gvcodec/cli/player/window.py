"""The pygame window of gvc-play: the frames at the stream's rate, integer-zoomed, and the decoding progress
drawn in it while a GOP is not ready. Keys: those of ``gvcodec.cli.play``'s help."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from gvcodec.cli.player.display import display_name, import_pygame
from gvcodec.cli.player.gop_store import GopStore
from gvcodec.cli.player.pictures import rgb_array
from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame

MIN_WINDOW_WIDTH = 640
"""Small streams are zoomed by the least integer that makes the window at least this wide."""
BAR_COLOUR, TEXT_COLOUR, BAND_COLOUR = (90, 160, 255), (235, 235, 235), (20, 20, 20)


def window_zoom(width: int, height: int, screen: tuple[int, int] | None) -> int:
    """The integer zoom of a ``width`` x ``height`` picture: ``ceil(MIN_WINDOW_WIDTH / width)``, at least 1,
    lowered (to 1 at least) until the window fits ``screen`` (``(w, h)``; None when unknown)."""
    zoom = max(1, -(-MIN_WINDOW_WIDTH // width))
    if screen is not None:
        while zoom > 1 and (width * zoom > screen[0] or height * zoom > screen[1]):
            zoom -= 1
    return zoom


@dataclass(frozen=True)
class ShownFrame:
    """A frame put on screen: its index in the stream and when (``time.monotonic()``)."""

    index: int
    at: float


@dataclass(frozen=True)
class ShownProgress:
    """A progress line drawn in the window while a GOP was decoding, and when (``time.monotonic()``)."""

    text: str
    at: float


@dataclass
class Playback:
    """What a window showed: its size, every frame and every progress line, in order."""

    window_size: tuple[int, int]
    frames: list[ShownFrame] = field(default_factory=list)
    progress: list[ShownProgress] = field(default_factory=list)


class WindowPlayer:
    """A pygame window showing the store's frames at the stream's rate, zoomed by ``scale`` (None: as
    :func:`window_zoom` chooses); the decoding progress is drawn in it whenever the GOP due is not ready."""

    def __init__(self, store: GopStore, title: str, autoexit: bool, scale: int | None = None) -> None:
        self._store = store
        self._title = title
        self._autoexit = autoexit
        self._scale = scale
        self._period = 1 / float(store.header.fps)
        self._picture: Any = None  # the latest frame, zoomed: the background of the progress band

    def run(self) -> Playback:
        """Play until quit (or the end, with ``autoexit``); returns what was shown.

        Only SDL's video subsystem is started (``pygame.init()`` would open the sound card too).
        """
        pygame = import_pygame()
        try:
            pygame.display.init()
        except pygame.error as error:
            raise InputError(
                f"cannot open a window on {display_name(os.environ)} ({error}); use --frames-to DIR to write PNGs"
            ) from None
        try:
            pygame.font.init()
            header = self._store.header
            zoom = self._scale or window_zoom(header.width, header.height, self._screen_size(pygame))
            screen = pygame.display.set_mode((header.width * zoom, header.height * zoom))
            pygame.display.set_caption(self._title)
            playback = Playback(screen.get_size())
            self._loop(pygame, screen, playback)
            return playback
        finally:
            pygame.quit()

    @staticmethod
    def _screen_size(pg: Any) -> tuple[int, int] | None:
        info = pg.display.Info()
        return (info.current_w, info.current_h) if info.current_w > 0 and info.current_h > 0 else None

    def _loop(self, pg: Any, screen: Any, playback: Playback) -> None:
        clock = pg.time.Clock()
        font = pg.font.Font(None, max(18, min(32, screen.get_height() // 12)))
        gop, position, paused = 0, 0, False
        on_screen: tuple[int, int] | None = None
        caption, drawn_progress = "", ""
        due: float | None = None  # when the next frame is due; None: one period after now
        while True:
            for event in pg.event.get():
                if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key in (pg.K_q, pg.K_ESCAPE)):
                    return
                if event.type == pg.VIDEOEXPOSE:
                    pg.display.flip()
                elif event.type == pg.KEYDOWN and event.key == pg.K_SPACE:
                    paused, due = not paused, None
                elif event.type == pg.KEYDOWN and event.key in (pg.K_RIGHT, pg.K_LEFT):
                    step = 1 if event.key == pg.K_RIGHT else -1
                    gop, position, paused, due = max(0, gop + step), 0, False, None
            request = self._store.request(gop)
            if not request.done():
                status = self._store.status
                text = status.describe(self._store.gop_count)
                if text != drawn_progress:
                    self._draw_progress(pg, screen, font, text, status.fraction)
                    playback.progress.append(ShownProgress(text, time.monotonic()))
                    drawn_progress, on_screen = text, None
                caption = self._caption(pg, caption, text)
                due = None
                clock.tick(50)
                continue
            drawn_progress = ""
            decoded = request.result()
            if decoded is not None and position >= len(decoded.frames):
                gop, position = gop + 1, 0
                continue
            if decoded is None:  # past the last GOP: stop, or hold the last frame
                if gop == 0 or self._autoexit:
                    return
                gop, paused = gop - 1, True
                position = len(self._store.request(gop).result().frames) - 1
                continue
            self._store.request(gop + 1)
            if on_screen != (gop, position):
                self._show(pg, screen, decoded.frames[position])
                playback.frames.append(ShownFrame(decoded.first_frame + position, time.monotonic()))
                on_screen = (gop, position)
            count, state = self._store.gop_count, " (paused)" if paused else ""
            of = "" if count is None else f"/{count}"
            caption = self._caption(pg, caption, f"frame {decoded.first_frame + position}, GOP {gop + 1}{of}{state}")
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

    def _show(self, pg: Any, screen: Any, frame: Yuv420Frame) -> None:
        picture = pg.image.frombuffer(rgb_array(frame).tobytes(), (frame.width, frame.height), "RGB")
        self._picture = pg.transform.scale(picture, screen.get_size())  # nearest neighbour: whole pixels
        screen.blit(self._picture, (0, 0))
        pg.display.flip()

    def _draw_progress(self, pg: Any, screen: Any, font: Any, text: str, fraction: float) -> None:
        """The latest frame (black before the first) with a band at the bottom: ``text`` over a bar filled to ``fraction``."""
        width, height = screen.get_size()
        if self._picture is None:
            screen.fill((0, 0, 0))
        else:
            screen.blit(self._picture, (0, 0))
        margin = font.get_height() // 2
        band = pg.Rect(0, height - 3 * font.get_height(), width, 3 * font.get_height())
        screen.fill(BAND_COLOUR, band)
        screen.blit(font.render(text, True, TEXT_COLOUR), (margin, band.top + margin // 2))
        bar = pg.Rect(margin, band.bottom - margin - font.get_height() // 2, width - 2 * margin, font.get_height() // 2)
        pg.draw.rect(screen, TEXT_COLOUR, bar, width=1)
        pg.draw.rect(screen, BAR_COLOUR, (bar.left + 2, bar.top + 2, round((bar.width - 4) * fraction), bar.height - 4))
        pg.display.flip()
