"""What the gvcodec command lines share: model options, error reporting, atomic output files."""
from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, TypeVar

from gvcodec.errors import GvcError, InputError
from gvcodec.io.atomic import AtomicBinaryFile
from gvcodec.options import MODEL_OPTIONS, add_encoder_arguments

T = TypeVar("T")


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The options the decoding commands share with gvc-enc: --model, --device, --dtype, -q."""
    add_encoder_arguments(parser, MODEL_OPTIONS)


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


@contextlib.contextmanager
def atomic_output(target: str) -> Iterator[BinaryIO]:
    """Open ``target`` ('-' = stdout) for writing; a file appears under its name only if the body succeeds."""
    if target == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    output = AtomicBinaryFile(Path(target))
    try:
        yield output.stream
    except BaseException:
        output.abort()
        raise
    output.commit()


@contextlib.contextmanager
def open_binary_input(source: str) -> Iterator[BinaryIO]:
    """Open ``source`` ('-' = stdin) for reading bytes."""
    if source == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = open(source, "rb")
    except FileNotFoundError as error:
        raise InputError(f"input file {source!r} does not exist") from error
    with stream:
        yield stream
