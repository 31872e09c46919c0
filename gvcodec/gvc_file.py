"""Whole ``.gvc`` files, PyAV style: ``gvcodec.open(path, "w", ...)`` to write, ``gvcodec.open(path)`` to read.

    with gvcodec.open("clip.gvc", "w", width=448, height=256, rate=30, atoms=64) as out:
        for frame in frames:                  # Yuv420Frame, av.VideoFrame or (H, W, 3) uint8 RGB
            out.write(frame)
    with gvcodec.open("clip.gvc") as clip:
        for frame in clip:                    # av.VideoFrame, pts in 1 / fps
            ...
"""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import av

from gvcodec.codec import Decoder, Encoder, read_stream
from gvcodec.errors import InputError
from gvcodec.io.atomic import AtomicBinaryFile


class GvcWriter:
    """Encodes frames into a ``.gvc`` file that appears under its name only once closed without error."""

    def __init__(self, path: str | Path, width: int, height: int, rate: Fraction | int | float, **options: Any) -> None:
        self.path = Path(path)
        self.encoder = Encoder(width, height, rate, **options)
        self._file = AtomicBinaryFile(self.path)
        self._file.write(self.encoder.extradata)

    def write(self, frame: Any) -> None:
        for packet in self.encoder.encode(frame):
            self._file.write(packet.data)

    def close(self) -> None:
        """Flush the last GOP and move the file into place."""
        if self._file.stream.closed:
            return
        try:
            for packet in self.encoder.encode(None):
                self._file.write(packet.data)
        except BaseException:
            self.abort()
            raise
        self._file.commit()

    def abort(self) -> None:
        """Drop the file."""
        self._file.abort()

    def __enter__(self) -> GvcWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


class GvcReader:
    """Decodes a ``.gvc`` file GOP by GOP; iterating yields ``av.VideoFrame`` objects."""

    def __init__(self, path: str | Path, **decoder_options: Any) -> None:
        try:
            self._stream: BinaryIO = Path(path).open("rb")
        except FileNotFoundError as error:
            raise InputError(f"stream file {str(path)!r} does not exist") from error
        self.header, self._packets = read_stream(self._stream)
        self.decoder = Decoder(self.header, **decoder_options)

    def __iter__(self) -> Iterator[av.VideoFrame]:
        for packet in self._packets:
            yield from self.decoder.decode(packet)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> GvcReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


def open(path: str | Path, mode: str = "r", **options: Any) -> GvcReader | GvcWriter:  # noqa: A001 (PyAV's name)
    """``mode="r"``: a :class:`GvcReader` (options: model, device, dtype); ``mode="w"``: a :class:`GvcWriter`
    (options: width, height, rate and any encoder option)."""
    if mode == "r":
        return GvcReader(path, **options)
    if mode == "w":
        return GvcWriter(path, **options)
    raise InputError(f"mode must be 'r' or 'w', got {mode!r}")
