"""What a GOP worker (one Ray actor) does: load the model once, then code or decode one GOP per call.

The classes are plain Python; :class:`gvcodec.parallel.cluster.Cluster` makes them Ray actors. A worker
loads its model on first use rather than in its constructor, so that a load failure reaches the caller as
the error it is, and an actor Ray restarts after its process died loads the model again before its GOP.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import torch

from container import GopPacket, StreamHeader
from gvcodec.codec import Decoder, Encoder, Packet
from gvcodec.errors import GvcError
from gvcodec.gop.coder import Chain, EncoderSettings
from gvcodec.io.frames import Yuv420Frame
from gvcodec.modes import MODES


@dataclass(frozen=True)
class EncodeJob:
    """One GOP to encode: its new source frames, the first one's index, and what the GOP before it left."""

    chain: Chain
    first_frame: int
    frames: list[Yuv420Frame]


@dataclass(frozen=True)
class EncodedGop:
    """A coded GOP: its packet, the encoder's reconstruction (when kept), and what it leaves to the next GOP
    (only for a mode that carries its output: for the others the caller knows it ahead)."""

    packet: Packet
    recon: list[Yuv420Frame]
    chain: Chain | None


@dataclass(frozen=True)
class DecodeJob:
    """One GOP to decode: its packet and what the GOP before it left."""

    chain: Chain
    packet: GopPacket


@dataclass(frozen=True)
class DecodedGop:
    """A decoded GOP: its new frames and what it leaves to the next GOP (as :class:`EncodedGop`)."""

    frames: list[Yuv420Frame]
    chain: Chain | None


@dataclass(frozen=True)
class GopFailure:
    """A GOP job's error, returned as a value rather than raised: Ray also pushes a raised error to the driver
    as a notice, which its core logs to the driver's stderr when the run has already shut down."""

    reason: str

    @classmethod
    def of(cls, error: Exception) -> GopFailure:
        """Our own errors by their message, any other with its type."""
        return cls(str(error) if isinstance(error, GvcError) else f"{type(error).__name__}: {error}")


class EncodeWorker:
    """An :class:`Encoder` for the whole stream, positioned at each GOP it is given."""

    def __init__(
        self, threads: int, width: int, height: int, rate: Fraction, frame_count: int | None, options: dict[str, Any]
    ) -> None:
        torch.set_num_threads(threads)
        self._arguments = (width, height, rate, frame_count)
        self._options = options
        self._encoder: Encoder | None = None

    def pid(self) -> int:
        """This worker's process id."""
        return os.getpid()

    def setup(self) -> tuple[bytes, EncoderSettings]:
        """Load the model; the stream header bytes and the per-GOP settings every worker shares."""
        encoder = self._loaded()
        return encoder.extradata, encoder.settings

    def code(self, job: EncodeJob) -> EncodedGop | GopFailure:
        """Encode one GOP exactly as a single encoder reaching it in stream order would."""
        try:
            encoder = self._loaded()
            encoder.start_at(job.chain, job.first_frame)
            packets = [packet for frame in (*job.frames, None) for packet in encoder.encode(frame)]
            recon = encoder.take_recon()
        except Exception as error:
            return GopFailure.of(error)
        return EncodedGop(packet=packets[0], recon=recon, chain=_carried(encoder.header, encoder.chain))

    def _loaded(self) -> Encoder:
        if self._encoder is None:
            self._encoder = Encoder(*self._arguments, **self._options)
        return self._encoder


class DecodeWorker:
    """A :class:`Decoder` for the whole stream, positioned at each GOP it is given."""

    def __init__(self, threads: int, header: StreamHeader, options: dict[str, Any]) -> None:
        torch.set_num_threads(threads)
        self._header = header
        self._options = options
        self._decoder: Decoder | None = None

    def pid(self) -> int:
        """This worker's process id."""
        return os.getpid()

    def setup(self) -> None:
        """Load the model and check it can decode the stream."""
        self._loaded()

    def decode(self, job: DecodeJob) -> DecodedGop | GopFailure:
        """Decode one GOP exactly as a single decoder reaching it in stream order would."""
        try:
            decoder = self._loaded()
            decoder.start_at(job.chain)
            frames = decoder.decode_yuv(job.packet)
        except Exception as error:
            return GopFailure.of(error)
        return DecodedGop(frames=frames, chain=_carried(decoder.header, decoder.chain))

    def _loaded(self) -> Decoder:
        if self._decoder is None:
            self._decoder = Decoder(self._header, **self._options)
        return self._decoder


def _carried(header: StreamHeader, chain: Chain) -> Chain | None:
    """``chain`` when the stream's mode carries a GOP's output to the next, else ``None`` (nothing to send back)."""
    return chain if MODES[header.mode].carries_output else None
