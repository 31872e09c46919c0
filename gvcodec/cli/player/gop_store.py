"""A stream's GOPs decoded in a background thread for a player, and what that thread is doing now."""
from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Iterator

from gvcodec.codec import Decoder, read_stream
from gvcodec.io.frames import Yuv420Frame

if TYPE_CHECKING:
    from container import GopPacket, StreamHeader


@dataclass(frozen=True)
class DecodedGop:
    """One GOP's frames; the first is frame ``first_frame`` of the stream."""

    first_frame: int
    frames: list[Yuv420Frame]


@dataclass(frozen=True)
class DecodeStatus:
    """What the decoding thread does: loads the model (``gop`` is None) or decodes GOP ``gop``, ``step`` of
    its ``steps`` sampler steps done (then the VAE decode, once ``step == steps``)."""

    gop: int | None = None
    step: int = 0
    steps: int = 0

    def describe(self, gop_count: int | None) -> str:
        """One line for a person, e.g. ``decoding GOP 1/3, step 7/20`` (GOPs counted from 1)."""
        if self.gop is None:
            return "loading the model"
        of = "" if gop_count is None else f"/{gop_count}"
        stage = "VAE decode" if self.step == self.steps else f"step {self.step}/{self.steps}"
        return f"decoding GOP {self.gop + 1}{of}, {stage}"

    @property
    def fraction(self) -> float:
        """The share of the GOP's sampler steps done, in [0, 1]."""
        return self.step / self.steps if self.steps else 0.0


class GopStore:
    """The stream's GOPs by index, decoded in a background thread, the latest ``keep`` kept.

    The model is loaded in that thread too, at the first request, so a player can show progress from
    the start. Packets are read from the stream only as far as asked for, and kept (they are small), so
    a GOP can be decoded again after it was dropped. T2V GOPs are decoded independently; a chained mode
    (I2V, FLF2V) conditions each GOP on the one before, so going back restarts its decoder from GOP 0.
    ``status`` is what that thread is doing now (it replaces the value; a player only reads it).
    """

    def __init__(
        self, header: StreamHeader, packets: Iterator[GopPacket], model: str, device: str, dtype: str, quiet: bool,
        keep: int = 3,
    ) -> None:
        self.header = header
        self._unread = packets
        self._packets: list[GopPacket] = []
        self._model, self._device, self._dtype, self._quiet = model, device, dtype, quiet
        self._decoder: Decoder | None = None
        self._keep = keep
        self._ended = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gvc-play")
        self._requests: OrderedDict[int, Future[DecodedGop | None]] = OrderedDict()
        self._next_chained = 0
        self.status = DecodeStatus()

    @classmethod
    def open(cls, stream: BinaryIO, model: str, device: str, dtype: str, quiet: bool) -> GopStore:
        """Read the stream's header (its errors surface here); the model's surface at the first request."""
        header, packets = read_stream(stream)
        return cls(header, packets, model, device, dtype, quiet)

    @property
    def gop_count(self) -> int | None:
        """GOPs in the stream, once the model is loaded and when the header gives the frame count."""
        if self._decoder is None or self.header.frame_count is None:
            return None
        return len(self._decoder.mode.gop_frame_ranges(self.header.frame_count, self.header.gop_length))

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

    def _step_done(self, gop_index: int, steps_done: int, num_steps: int) -> None:
        self.status = DecodeStatus(gop_index, steps_done, num_steps)

    def _decode(self, index: int) -> DecodedGop | None:
        while len(self._packets) <= index and not self._ended:
            packet = next(self._unread, None)
            if packet is None:
                self._ended = True
            else:
                self._packets.append(packet)
        if index >= len(self._packets):
            return None
        if self._decoder is None:
            self._decoder = Decoder(self.header, model=self._model, device=self._device, dtype=self._dtype,
                                    quiet=self._quiet, on_step=self._step_done)
        packet = self._packets[index]
        return DecodedGop(packet.first_frame, self._decode_in_order(index, self._decoder))

    def _decode_in_order(self, index: int, decoder: Decoder) -> list[Yuv420Frame]:
        """Decode packet ``index``; in a chained mode, first every GOP before it that the decoder has not seen."""
        if not decoder.mode.chained:
            return self._decode_packet(decoder, index)
        if index < self._next_chained:
            decoder = Decoder(self.header, backbone=decoder.backbone, quiet=self._quiet, on_step=self._step_done)
            self._decoder = decoder
            self._next_chained = 0
        while self._next_chained < index:
            self._decode_packet(decoder, self._next_chained)
            self._next_chained += 1
        self._next_chained += 1
        return self._decode_packet(decoder, index)

    def _decode_packet(self, decoder: Decoder, index: int) -> list[Yuv420Frame]:
        self.status = DecodeStatus(index, 0, self.header.sampler.num_steps)
        return decoder.decode_yuv(self._packets[index])
