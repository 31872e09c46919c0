"""What the gvcodec command lines share: argument parsing of our values and one-line error reporting."""
from __future__ import annotations

import argparse
import importlib.metadata
import signal
import sys
from typing import Callable, TypeVar

from gvcodec.errors import GvcError, InputError

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


def package_version() -> str:
    """gvcodec's version from the installed package's metadata."""
    try:
        return importlib.metadata.version("gvcodec")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (gvcodec is not installed: pip install -e .)"


def add_version(parser: argparse.ArgumentParser) -> None:
    """``--version``: print ``gvc-xxx 0.1.0 (gvcodec)`` and exit, before anything heavy is imported."""
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()} (gvcodec)")


def positive_int(text: str) -> int:
    """An integer of 1 or more (``--frames``)."""
    try:
        value = int(text)
    except ValueError as error:
        raise InputError(f"expected a whole number of 1 or more, got {text!r}") from error
    if value < 1:
        raise InputError(f"must be 1 or more, got {value}")
    return value


def check_not_terminal(name: str, output: str, what: str) -> None:
    """Refuse to write binary ``what`` to stdout (``output`` ``-``) when stdout is a terminal."""
    if output == "-" and sys.stdout.isatty():
        raise InputError(
            f"refusing to write {what} to the terminal: give -o FILE or redirect stdout ({name} ... > FILE)"
        )


def check_input_piped(source: str, what: str) -> None:
    """Refuse to read ``what`` from stdin (``source`` ``-``) when stdin is a terminal: nothing would come."""
    if source == "-" and sys.stdin.isatty():
        raise InputError(f"no input: give {what} as an argument, or pipe it into stdin")


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
