"""What the gvcodec command lines share: argument parsing of our values and one-line error reporting."""
from __future__ import annotations

import argparse
import signal
import sys
from typing import Callable, TypeVar

from gvcodec.errors import GvcError

T = TypeVar("T")


def argument_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """Adapt one of our parsers to argparse, so a bad value becomes a usage error, not a traceback."""

    def parse_argument(text: str) -> T:
        try:
            return parse(text)
        except GvcError as error:
            raise argparse.ArgumentTypeError(str(error)) from error

    parse_argument.__name__ = parse.__name__
    return parse_argument


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_command(name: str, body: Callable[[], None]) -> int:
    """Run a command body; report our own errors as one line on stderr with exit status 1.

    SIGTERM is turned into an interrupt so that unfinished output files are removed on the way out.
    """
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        body()
    except GvcError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        print(f"{name}: error: output pipe closed by the reader", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    return 0
