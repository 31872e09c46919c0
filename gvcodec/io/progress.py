"""Progress on stderr that a person can read: on a terminal a live bar with elapsed time, in a log (stderr
not a terminal) one line per finished stage, never a bar's final state printed twice."""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from tqdm import tqdm

_TICK_SECONDS = 0.5


def on_terminal() -> bool:
    """Whether stderr is a terminal (live bars) rather than a log or a pipe (one line per stage)."""
    return sys.stderr.isatty()


class Progress:
    """A counted stage, e.g. the 20 steps of GOP 3: ``label``, ``total`` things of ``unit``.

    On a terminal a tqdm bar (kept when done if ``leave``); in a log, with ``log_line``, one line when it
    closes: ``label: 20/20 steps, 8.1 s``. ``quiet``: nothing at all. Use with ``with``; :meth:`update` counts.
    """

    def __init__(
        self, label: str, total: int | None, unit: str, quiet: bool = False, leave: bool = False, log_line: bool = True
    ) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.count = 0
        self._started = time.monotonic()
        self._log_line = log_line and not quiet
        self._bar = None
        if not quiet and on_terminal():
            self._bar = tqdm(total=total, desc=label, unit=unit, leave=leave, file=sys.stderr, dynamic_ncols=True)
            self._log_line = False

    def update(self, count: int = 1) -> None:
        self.count += count
        if self._bar is not None:
            self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._log_line:
            total = "" if self.total is None else f"/{self.total}"
            print(f"{self.label}: {self.count}{total} {self.unit}s, {time.monotonic() - self._started:.1f} s",
                  file=sys.stderr, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        elif self._bar is not None:
            self._bar.close()


@contextmanager
def stage(label: str, quiet: bool = False, leave: bool = False) -> Iterator[None]:
    """An uncounted stage (loading the model, a VAE pass): on a terminal ``label: 00:03``, ticking while
    the block runs (kept when done if ``leave``); in a log one line ``label: 3.2 s`` when it ends."""
    started = time.monotonic()
    if quiet:
        yield
        return
    if not on_terminal():
        yield
        print(f"{label}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
        return
    bar = tqdm(total=None, desc=label, bar_format="{desc}: {elapsed}", leave=leave, file=sys.stderr)
    done = threading.Event()
    ticker = threading.Thread(target=_tick, args=(bar, done), daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        bar.close()


def _tick(bar: tqdm, done: threading.Event) -> None:
    while not done.wait(_TICK_SECONDS):
        bar.refresh()
