"""gvcodec's public coding API, shaped like PyAV's codec contexts.

    enc = Encoder(width, height, Fraction(30), model="nano", atoms=64)
    stream = enc.extradata + b"".join(p.data for f in frames for p in enc.encode(f))
    stream += b"".join(p.data for p in enc.encode(None))          # flush

    dec = Decoder(header)                                          # a StreamHeader or the header bytes
    frames = [f for p in packets for f in dec.decode(p)] + dec.decode(None)

Packets are whole GOPs in their container framing, so ``extradata + packets`` concatenated is a
valid ``.gvc`` stream; :func:`encode_stream` and :func:`decode_stream` do exactly that for a whole clip
held in memory.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, BinaryIO, Iterable, Iterator

import av
import numpy as np

from container import (
    ContainerError,
    GopPacket,
    SamplerParams,
    StreamHeader,
    StreamReader,
    StreamWriter,
    decode_packet,
)
from gvcodec.anchors import ANCHOR_CODECS
from gvcodec.backbones import Backbone, load_backbone
from gvcodec.errors import InputError, StreamCorruptError, StreamError, stream_error
from gvcodec.gop.allocation import AtomAllocation, check_reachable
from gvcodec.gop.budget import check_fits_memory, machine_memory
from gvcodec.gop.coder import Chain, EncoderSettings, GopCoder, StreamSetup, check_decodable, check_model_fits
from gvcodec.gop.pixels import as_yuv420
from gvcodec.gop.trajectory import StepCallback
from gvcodec.io.frames import Yuv420Frame, grey_frame
from gvcodec.io.pyav_io import yuv420_to_av_frame
from gvcodec.modes import MODES
from gvcodec.options import MAX_ATOMS, check_options_for, check_picture_size, encoder_options
from gvcodec.rate import BitrateController


@dataclass(frozen=True)
class Packet:
    """One coded GOP: its container bytes and its place on the timeline (``pts`` in ``time_base`` units)."""

    data: bytes
    pts: int
    duration: int
    time_base: Fraction
    gop_index: int


@dataclass
class _GopBuffer:
    frames: list[Yuv420Frame] = field(default_factory=list)
    first_frame: int = 0


class Encoder:
    """Frames in, GOP packets out. ``encode(None)`` flushes the last, possibly partial, GOP."""

    def __init__(
        self,
        width: int,
        height: int,
        rate: Fraction | int | float,
        frame_count: int | None = None,
        backbone: Backbone | None = None,
        **options: object,
    ) -> None:
        self.options = encoder_options(**options)
        check_picture_size(width, height)
        self.backbone = backbone or load_backbone(self.options.model, self.options.device, self.options.dtype)
        check_options_for(self.options, self.backbone)
        if self.options.prompt and not self.backbone.accepts_prompt:
            raise InputError(f"model {self.backbone.name!r} has no text encoder: --prompt cannot be used with it")
        self.width, self.height = width, height
        self.rate = Fraction(rate).limit_denominator(1_000_000)
        mode = MODES[self.options.mode]
        self.header = StreamHeader(
            width=width,
            height=height,
            fps=self.rate,
            frame_count=frame_count,
            mode=mode.name,
            gop_length=self.options.gop,
            fingerprint=self.backbone.fingerprint,
            sampler=SamplerParams(
                num_steps=self.options.steps,
                tail_steps=self.options.tail_steps,
                shift=self.options.shift if self.options.shift is not None else mode.default_shift,
                g_scale=self.options.g_scale,
                codebook_size=self.options.codebook,
                atoms=self.options.atoms,
                seed=self.options.seed,
            ),
            prompt=self.options.prompt,
            atom_generator=self.options.atom_generator,
        )
        # Packets are written through the container's writer, which checks each against the header.
        self._sink = io.BytesIO()
        try:
            self._writer = StreamWriter(self._sink, self.header)
        except ContainerError as error:
            raise InputError(str(error)) from error
        # The stream header bytes; a .gvc stream is extradata followed by every packet's data.
        self.extradata = self._take_written()
        setup = StreamSetup.of(self.header)
        self._coder = GopCoder(self.backbone, setup, self.options.quiet)
        self._settings = EncoderSettings(
            anchor_codec=self.options.anchor_codec,
            anchor_quality=_or_default(self.options.anchor_quality, ANCHOR_CODECS[self.options.anchor_codec].default_quality),
            tail_frames=_or_default(self.options.tail_frames, mode.default_tail_frames),
            residual_step=self.options.residual_step,
        )
        tail_atoms = _or_default(self.options.tail_atoms, min(2 * self.options.atoms, self.options.codebook, MAX_ATOMS))
        self._atoms = AtomAllocation(setup.params, self._settings.tail_frames, tail_atoms, self._bitrate_controller())
        self._buffer = _GopBuffer()
        self._recon: list[Yuv420Frame] = []

    def _bitrate_controller(self) -> BitrateController | None:
        """The target-bitrate mode's controller, after checking a full GOP can get down to the target."""
        if self.options.target_bpp is None:
            return None
        controller = BitrateController(
            target_bpp=self.options.target_bpp,
            width=self.width,
            height=self.height,
            codebook_size=self.options.codebook,
            max_atoms=min(self.options.codebook // 2, MAX_ATOMS),
        )
        check_reachable(controller, self._coder.geometry(0, self.options.gop), self._coder.setup.params)
        controller.charge(len(self.extradata))
        return controller

    @property
    def time_base(self) -> Fraction:
        return 1 / self.rate

    @property
    def settings(self) -> EncoderSettings:
        """What this encoder decides per GOP besides the atoms (anchor codec and quality, tail correction)."""
        return self._settings

    @property
    def chain(self) -> Chain:
        """What the GOPs coded so far leave to the next one."""
        return self._coder.chain

    def start_at(self, chain: Chain, first_frame: int) -> None:
        """Code the next frames as GOP ``chain.gop_index`` from source frame ``first_frame``, as left by the GOP
        before it (``chain``), whatever this encoder coded before: how :mod:`gvcodec.parallel` codes one GOP."""
        self._coder.chain = chain
        self._buffer = _GopBuffer(first_frame=first_frame)

    def encode(self, frame: Yuv420Frame | av.VideoFrame | np.ndarray | None) -> list[Packet]:
        """Queue one frame; return the packet of a GOP completed by it (``None`` flushes).

        ``frame``: a :class:`Yuv420Frame`, an ``av.VideoFrame`` (any format; converted to BT.601
        limited yuv420p), or an ``(H, W, 3)`` uint8 RGB array.
        """
        if frame is None:
            return [self._encode_buffer()] if self._buffer.frames else []
        frame = as_yuv420(frame)
        if (frame.width, frame.height) != (self.width, self.height):
            raise InputError(f"frame is {frame.width}x{frame.height}, the encoder was opened for {self.width}x{self.height}")
        self._buffer.frames.append(frame)
        if len(self._buffer.frames) == self._coder.due_frames:
            return [self._encode_buffer()]
        return []

    def take_recon(self) -> list[Yuv420Frame]:
        """The encoder's own reconstruction of the frames coded so far (``keep_recon=True``), then forget them."""
        recon, self._recon = self._recon, []
        return recon

    def _encode_buffer(self) -> Packet:
        frames, first = self._buffer.frames, self._buffer.first_frame
        gop, outputs = self._coder.code(frames, first, self._settings, self._atoms, self.options.keep_recon)
        if self.options.keep_recon:
            self._recon.extend(outputs)
        try:
            self._writer.write(gop)
        except ContainerError as error:  # past the format's frame limit, say
            raise InputError(str(error)) from error
        data = self._take_written()
        self._atoms.record(len(data))
        self._buffer = _GopBuffer(first_frame=first + len(frames))
        return Packet(data=data, pts=first, duration=len(frames), time_base=self.time_base, gop_index=gop.gop_index)

    def _take_written(self) -> bytes:
        data = self._sink.getvalue()
        self._sink.seek(0)
        self._sink.truncate()
        return data


def _or_default(value: int | None, default: int) -> int:
    return default if value is None else value


class Decoder:
    """GOP packets in, frames out (in display order, padding removed)."""

    def __init__(
        self,
        header: StreamHeader,
        model: str = "nano",
        device: str = "cpu",
        dtype: str = "float32",
        backbone: Backbone | None = None,
        quiet: bool = False,
        max_memory: int | None = None,
        on_step: StepCallback | None = None,
    ) -> None:
        """``max_memory``: bytes a GOP may need (default: the device's memory); a stream whose GOPs need
        more is refused with ``StreamLimitError`` before any decoding. ``on_step(gop_index, steps_done,
        num_steps)`` is told after each sampler step (a player shows it while a GOP decodes)."""
        check_decodable(header)
        self.header = header
        self.mode = MODES[header.mode]
        self.quiet = quiet
        self.backbone = backbone or load_backbone(model, device, dtype)
        check_model_fits(header, self.backbone)
        check_fits_memory(header, self.backbone, machine_memory(self.backbone.device) if max_memory is None else max_memory)
        self._coder = GopCoder(self.backbone, StreamSetup.of(header), quiet, on_step)
        self._last_frame: Yuv420Frame | None = None

    def conceal(self, gop_index: int, frame_count: int) -> list[Yuv420Frame]:
        """Stand-ins for the ``frame_count`` new frames of GOP ``gop_index``, which could not be decoded: the last
        frame decoded, repeated (mid-grey before any), as FFmpeg conceals a lost picture. Decoding goes on with
        GOP ``gop_index + 1``; a chained mode starts it on the stand-in."""
        frame = self._last_frame if self._last_frame is not None else grey_frame(self.header.width, self.header.height)
        frames = [frame] * frame_count
        self._coder.skip(gop_index, frames)
        return frames

    @property
    def chain(self) -> Chain:
        """What the GOPs decoded so far leave to the next one."""
        return self._coder.chain

    def start_at(self, chain: Chain) -> None:
        """Decode the next packet as GOP ``chain.gop_index``, as left by the GOP before it (``chain``)."""
        self._coder.chain = chain

    def decode(self, packet: Packet | GopPacket | bytes | None) -> list[av.VideoFrame]:
        """Decode one GOP packet into ``av.VideoFrame`` objects (yuv420p, ``pts`` = frame index in
        ``time_base`` = 1 / fps); ``None`` (flush) returns nothing, since a GOP holds no delay."""
        if packet is None:
            return []
        gop = parse_packet(packet)
        frames = self.decode_yuv(gop)
        time_base = 1 / self.header.fps
        av_frames = []
        for index, frame in enumerate(frames):
            av_frame = yuv420_to_av_frame(frame)
            av_frame.pts = gop.first_frame + index
            av_frame.time_base = time_base
            av_frames.append(av_frame)
        return av_frames

    def decode_yuv(self, packet: Packet | GopPacket | bytes | None) -> list[Yuv420Frame]:
        """Like :meth:`decode`, as :class:`Yuv420Frame` planes (no copy into PyAV frames)."""
        if packet is None:
            return []
        gop = parse_packet(packet)
        try:
            frames = self._coder.replay(gop)
        except StreamError as error:
            if error.gop_index is None:
                error.gop_index = gop.gop_index
            raise
        self._last_frame = frames[-1] if frames else self._last_frame
        return frames



def parse_packet(packet: Packet | GopPacket | bytes) -> GopPacket:
    """The :class:`GopPacket` of a packet given in any form the decoders take."""
    if isinstance(packet, GopPacket):
        return packet
    data = packet.data if isinstance(packet, Packet) else packet
    try:
        return decode_packet(data)
    except ContainerError as error:
        raise stream_error(error) from error


def read_stream(stream: BinaryIO) -> tuple[StreamHeader, Iterator[GopPacket]]:
    """Parse a stream's header now and return it with a lazy iterator over its GOP packets.

    The iterator raises ``StreamError`` at the first packet that is damaged, missing or out of place, after
    yielding every packet before it.
    """
    reader = _open_reader(stream)

    def packets() -> Iterator[GopPacket]:
        for item in _stream_items(reader, past_damage=False):
            if isinstance(item, StreamError):
                raise item
            yield item

    return reader.header, packets()


def read_stream_past_damage(stream: BinaryIO) -> tuple[StreamHeader, Iterator[GopPacket | StreamError]]:
    """Like :func:`read_stream`, for decoding past damage: a packet that cannot be used comes out as its
    ``StreamError`` and reading goes on at the next packet; GOP indices and frames may skip ahead (the packets
    between are lost); an early end is the last item. Only a damaged header is raised."""
    reader = _open_reader(stream)
    return reader.header, _stream_items(reader, past_damage=True)


def _open_reader(stream: BinaryIO) -> StreamReader:
    try:
        return StreamReader(stream)
    except ContainerError as error:
        raise stream_error(error) from error


def _stream_items(reader: StreamReader, past_damage: bool) -> Iterator[GopPacket | StreamError]:
    """The reader's packets, and (``past_damage``) its errors; a packet after a short GOP is an error, since
    only the last GOP of a stream is short."""
    mode, gop_length = MODES[reader.header.mode], reader.header.gop_length
    records = reader.records_past_damage() if past_damage else iter(reader)
    last_short = None
    while True:
        try:
            item = next(records, None)
        except ContainerError as error:
            item = error
        if item is None:
            return
        if isinstance(item, ContainerError):
            yield stream_error(item)
            continue
        packet, offset = item.packet, reader.offset - item.size
        if last_short is not None:
            yield StreamCorruptError(
                f"GOP packet {packet.gop_index} at byte offset {offset} follows GOP {last_short.gop_index}, "
                f"whose {last_short.frame_count} frames are fewer than a full GOP's, so it must be the last; "
                "packets are spliced or the stream is damaged",
                gop_index=packet.gop_index, offset=offset,
            )
            continue
        if packet.frame_count < mode.new_frames(packet.gop_index, gop_length):
            last_short = packet
        yield packet


def encode_stream(encoder: Encoder, frames: Iterable[Yuv420Frame | av.VideoFrame | np.ndarray]) -> bytes:
    """A whole ``.gvc`` stream: ``encoder.extradata``, the packets of ``frames``, then those of the flush."""
    return encoder.extradata + b"".join(packet.data for frame in (*frames, None) for packet in encoder.encode(frame))


def decode_stream(stream: bytes, **decoder_options: Any) -> list[Yuv420Frame]:
    """Every frame of a whole ``.gvc`` stream, in display order, from ``Decoder(header, **decoder_options)``."""
    header, packets = read_stream(io.BytesIO(stream))
    decoder = Decoder(header, **decoder_options)
    return [frame for packet in packets for frame in decoder.decode_yuv(packet)]

