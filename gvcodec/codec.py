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
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, BinaryIO, Iterable, Iterator

import av
import numpy as np
import torch

from container import (
    Anchor,
    ContainerError,
    GopPacket,
    SamplerParams,
    StreamHeader,
    StreamReader,
    decode_packet,
    encode_header,
    encode_packet,
)
from gvcodec.anchors import ANCHOR_CODECS, DEFAULT_ANCHOR_CODEC, anchor_codec, check_quality, code_anchor, decode_anchor
from gvcodec.backbones import Backbone, load_backbone
from gvcodec.backbones.conditioning import latent_frame_count
from gvcodec.codebook import DEFAULT_GENERATOR, GENERATORS, check_generator, pack_choices, unpack_choices
from gvcodec.combinatorial import choice_bits
from gvcodec.colour import rgb_to_yuv420, yuv420_to_rgb
from gvcodec.errors import InputError, ModelError, StreamError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.pyav_io import av_frame_to_yuv420, yuv420_to_av_frame
from gvcodec.modes import flf2v, i2v, t2v
from gvcodec.modes.gop import (
    CodedGop,
    CodingParams,
    GopPlan,
    coded_frame_count,
    decode_gop,
    encode_gop,
    pad_video,
    padded_size,
    tail_atom_counts,
)
from gvcodec.residual import apply_residual, decode_residual, encode_residual, quantise
from gvcodec.rate import BitrateController
from gvcodec.sampler import SamplerSettings

PLANS: dict[str, GopPlan] = {plan.mode: plan for plan in (t2v.PLAN, i2v.PLAN, flf2v.PLAN)}
MODES = tuple(PLANS)


@dataclass(frozen=True)
class Packet:
    """One coded GOP: its container bytes and its place on the timeline (``pts`` in ``time_base`` units)."""

    data: bytes
    pts: int
    duration: int
    time_base: Fraction
    gop_index: int


@dataclass(frozen=True)
class EncoderOptions:
    """Everything the encoder can be told besides the picture geometry (defaults: DESIGN.md)."""

    mode: str = "t2v"
    model: str = "nano"
    device: str = "cpu"
    dtype: str = "float32"
    atoms: int = 64
    codebook: int = 16384
    atom_generator: int = DEFAULT_GENERATOR
    steps: int = 20
    tail_steps: int = 3
    shift: float | None = None
    g_scale: float = 3.0
    gop: int = 33
    seed: int = 0
    prompt: str = ""
    target_bpp: float | None = None
    quiet: bool = False
    keep_recon: bool = False
    anchor_codec: str = DEFAULT_ANCHOR_CODEC
    anchor_quality: int | None = None
    tail_frames: int | None = None
    tail_atoms: int | None = None
    residual_step: float = 0.2


def _check_options(options: EncoderOptions, backbone: Backbone) -> None:
    if options.mode not in MODES:
        raise InputError(f"mode {options.mode!r} is not available; choose one of {', '.join(MODES)}")
    if options.mode not in backbone.modes:
        raise InputError(
            f"model {backbone.name!r} cannot condition on mode {options.mode!r}: it supports "
            f"{', '.join(sorted(backbone.modes))}; use one of those, or a model folder whose layout has this mode"
        )
    if options.gop < 1 or (options.gop - 1) % backbone.temporal_factor:
        raise InputError(f"--gop must be {backbone.temporal_factor}k + 1 frames (e.g. 17, 33), got {options.gop}")
    if not 0 <= options.tail_steps < options.steps:
        raise InputError(f"tail steps must be in [0, steps), got {options.tail_steps} of {options.steps}")
    if not 1 <= options.atoms <= options.codebook:
        raise InputError(f"--atoms must be in [1, --codebook={options.codebook}], got {options.atoms}")
    check_generator(options.atom_generator)
    if options.codebook > 2**32 - 1 or options.atoms > 65535:
        raise InputError("--codebook must be < 2^32 and --atoms < 65536")
    if not 0 <= options.seed < 2**32:
        raise InputError(f"--seed must be in [0, 2^32), got {options.seed}")
    if PLANS[options.mode].chained and options.gop < 1 + backbone.temporal_factor:
        raise InputError(
            f"--mode {options.mode} chains GOPs that share a frame: --gop must be at least "
            f"{1 + backbone.temporal_factor}, got {options.gop}"
        )
    if options.tail_frames is not None and not 0 <= options.tail_frames <= 255:
        raise InputError(f"--tail-frames must be in [0, 255] latent frames, got {options.tail_frames}")
    if options.tail_atoms is not None and not 1 <= options.tail_atoms <= min(options.codebook, 65535):
        raise InputError(f"--tail-atoms must be in [1, min(--codebook, 65535)], got {options.tail_atoms}")
    if not options.residual_step > 0:
        raise InputError(f"--residual-step must be positive, got {options.residual_step}")
    anchor_codec(options.anchor_codec)
    if options.anchor_quality is not None:
        check_quality(options.anchor_codec, options.anchor_quality)


def _coding_params(header: StreamHeader) -> CodingParams:
    sampler = header.sampler
    return CodingParams(
        sampler=SamplerSettings(
            num_steps=sampler.num_steps, tail_steps=sampler.tail_steps, shift=sampler.shift, g_scale=sampler.g_scale
        ),
        atom_generator=header.atom_generator,
        seed=sampler.seed,
        codebook_size=sampler.codebook_size,
        atoms=sampler.atoms,
    )


def as_yuv420(frame: Yuv420Frame | av.VideoFrame | np.ndarray) -> Yuv420Frame:
    """Any frame the encoder accepts as BT.601 limited-range yuv420p planes."""
    if isinstance(frame, Yuv420Frame):
        return frame
    if isinstance(frame, av.VideoFrame):
        return av_frame_to_yuv420(frame)
    if isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8:
        rgb = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)[:, None].float() / 127.5 - 1
        return rgb_to_yuv420(rgb)[0]
    raise InputError(
        "a frame must be a gvcodec Yuv420Frame, an av.VideoFrame or an (H, W, 3) uint8 RGB array, "
        f"got {type(frame).__name__}" + (f" of shape {frame.shape} and dtype {frame.dtype}" if isinstance(frame, np.ndarray) else "")
    )


def _frames_to_video(
    frames: list[Yuv420Frame], coded_frames: int, width: int, height: int, device: torch.device
) -> torch.Tensor:
    """Padded RGB video on ``device``; the colour conversion runs there too (33 720p frames: seconds on a CPU)."""
    return pad_video(yuv420_to_rgb(frames, device), coded_frames, width, height)


def _video_to_frames(video: torch.Tensor, count: int, width: int, height: int) -> list[Yuv420Frame]:
    return rgb_to_yuv420(video[:, :count, :height, :width].float())


def _condition_tensor(frame: Yuv420Frame | None, width: int, height: int, device: torch.device) -> torch.Tensor | None:
    """A condition frame as the backbone takes it: ``(3, H, W)`` RGB in [-1, 1] at the padded size."""
    return None if frame is None else _frames_to_video([frame], 1, width, height, device)[:, 0]


@dataclass
class _GopBuffer:
    frames: list[Yuv420Frame] = field(default_factory=list)
    first_frame: int = 0


@dataclass
class _Chain:
    """What a chained mode carries from one GOP to the next: the GOP index due, the decoded frame the next
    GOP is conditioned on, and (encoder only) the source frame the next GOP starts on."""

    gop_index: int = 0
    carried: Yuv420Frame | None = None
    shared_source: Yuv420Frame | None = None


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
        self.options = EncoderOptions(**options)  # type: ignore[arg-type]
        self.backbone = backbone or load_backbone(self.options.model, self.options.device, self.options.dtype)
        _check_options(self.options, self.backbone)
        if self.options.prompt and not self.backbone.accepts_prompt:
            raise InputError(f"model {self.backbone.name!r} has no text encoder: --prompt cannot be used with it")
        if width < 1 or height < 1:
            raise InputError(f"picture size must be positive, got {width}x{height}")
        self.width, self.height = width, height
        self.rate = Fraction(rate).limit_denominator(1_000_000)
        self.plan = PLANS[self.options.mode]
        shift = self.options.shift if self.options.shift is not None else self.plan.default_shift
        self.anchor_quality = (
            self.options.anchor_quality
            if self.options.anchor_quality is not None
            else ANCHOR_CODECS[self.options.anchor_codec].default_quality
        )
        self.tail_frames = (
            self.options.tail_frames if self.options.tail_frames is not None else self.plan.default_tail_frames
        )
        self.tail_atoms = (
            self.options.tail_atoms
            if self.options.tail_atoms is not None
            else min(2 * self.options.atoms, self.options.codebook, 65535)
        )
        self.header = StreamHeader(
            width=width,
            height=height,
            fps=self.rate,
            frame_count=frame_count,
            mode=self.options.mode,
            gop_length=self.options.gop,
            fingerprint=self.backbone.fingerprint,
            sampler=SamplerParams(
                num_steps=self.options.steps,
                tail_steps=self.options.tail_steps,
                shift=shift,
                g_scale=self.options.g_scale,
                codebook_size=self.options.codebook,
                atoms=self.options.atoms,
                seed=self.options.seed,
            ),
            prompt=self.options.prompt,
            atom_generator=self.options.atom_generator,
        )
        self.params = _coding_params(self.header)
        self._rate = self._bitrate_controller()
        self._buffer = _GopBuffer()
        self._chain = _Chain()
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
            max_atoms=min(self.options.codebook // 2, 65535),
        )
        cells = self._cells(self.options.gop)
        lowest, highest = controller.reachable_bpp(self.options.gop, cells, self._framing_bytes(self.options.gop, cells))
        if not lowest <= self.options.target_bpp <= highest:
            raise InputError(
                f"--target-bpp {self.options.target_bpp} is outside the rates this geometry can reach, "
                f"{lowest:.5f} to {highest:.5f} bpp (1 to {controller.max_atoms} atoms per step and latent frame at "
                f"{self.width}x{self.height}, GOP {self.options.gop}); change --codebook, --steps or --gop to reach it"
            )
        controller.charge(len(self.extradata))
        return controller

    def _cells(self, frames: int) -> int:
        """Choices in a GOP of ``frames`` source frames: coded steps x latent frames."""
        factor = self.backbone.temporal_factor
        latent_frames = latent_frame_count(coded_frame_count(frames, factor), factor)
        return self.params.sampler.coded_steps * latent_frames

    def _framing_bytes(self, frames: int, cells: int) -> int:
        """Packet bytes of a GOP besides its choices payload (exact: the framing depends on geometry only)."""
        skeleton = GopPacket(
            gop_index=0,
            first_frame=0,
            frame_count=frames,
            anchors=(),
            coded_steps=self.params.sampler.coded_steps,
            latent_frames=cells // self.params.sampler.coded_steps,
            atom_counts=(1,) * cells,
            choices=b"",
            residual=b"",
        )
        return len(encode_packet(skeleton))

    def _atom_counts(self, new_frames: int, span: int, anchor_bytes: int) -> tuple[int, ...]:
        """Atom counts of a GOP adding ``new_frames`` output frames and coding ``span`` frames; under a
        target bitrate its already coded anchors are paid for first."""
        cells = self._cells(span)
        if self._rate is None:
            latent_frames = cells // self.params.sampler.coded_steps
            return tail_atom_counts(self.params, latent_frames, min(self.tail_frames, latent_frames), self.tail_atoms)
        return self._rate.atoms_for_gop(new_frames, cells, self._framing_bytes(span, cells) + anchor_bytes)

    @property
    def extradata(self) -> bytes:
        """The stream header bytes; a ``.gvc`` stream is ``extradata`` followed by every packet's data."""
        return encode_header(self.header)

    @property
    def time_base(self) -> Fraction:
        return 1 / self.rate

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
        if len(self._buffer.frames) == self.plan.new_frames(self._chain.gop_index, self.options.gop):
            return [self._encode_buffer()]
        return []

    def take_recon(self) -> list[Yuv420Frame]:
        """The encoder's own reconstruction of the frames coded so far (``keep_recon=True``), then forget them."""
        recon, self._recon = self._recon, []
        return recon

    def _code_anchors(self, roles: tuple[str, ...], span: list[Yuv420Frame]) -> tuple[tuple[Anchor, ...], dict[str, Yuv420Frame]]:
        """Intra-code the span's first and/or last frame; return the packet anchors and the decoded frames."""
        anchors, decoded = [], {}
        for role in roles:
            data, decoded[role] = code_anchor(
                span[0] if role == "first" else span[-1], self.options.anchor_codec, self.anchor_quality
            )
            anchors.append(Anchor(role=role, codec=self.options.anchor_codec, quality=self.anchor_quality, data=data))
        return tuple(anchors), decoded

    def _encode_buffer(self) -> Packet:
        frames, first = self._buffer.frames, self._buffer.first_frame
        gop_index = self._chain.gop_index
        overlap = self.plan.overlap(gop_index)
        span = ([self._chain.shared_source] if overlap else []) + frames
        anchors, decoded = self._code_anchors(self.plan.anchor_roles(gop_index, len(span)), span)
        first_condition, last_condition = self.plan.condition_frames(decoded, self._chain.carried)
        coded_frames = coded_frame_count(len(span), self.backbone.temporal_factor)
        padded_width, padded_height = padded_size(self.width, self.height, self.backbone.pixel_multiple)
        video = _frames_to_video(span, coded_frames, padded_width, padded_height, self.backbone.device)
        coded, latent, target = encode_gop(
            self.backbone,
            video,
            gop_index,
            self.params,
            self.options.prompt,
            self._atom_counts(len(frames), len(span), sum(len(anchor.data) for anchor in anchors)),
            first=_condition_tensor(first_condition, padded_width, padded_height, self.backbone.device),
            last=_condition_tensor(last_condition, padded_width, padded_height, self.backbone.device),
            quiet=self.options.quiet,
        )
        residual = b""
        tail = min(self.tail_frames, coded.latent_frames)
        if tail:
            symbols = quantise(target[:, -tail:] - latent[:, -tail:], self.options.residual_step)
            residual = encode_residual(symbols, self.options.residual_step)
            latent = apply_residual(latent, symbols, self.options.residual_step)
        outputs: list[Yuv420Frame] = []
        # The VAE decode is the dearest stage: the encoder runs it only when someone uses its output.
        if self.options.keep_recon or self.plan.carries_output:
            outputs = _video_to_frames(self.backbone.decode_latent(latent), len(span), self.width, self.height)[overlap:]
        if self.options.keep_recon:
            self._recon.extend(outputs)
        packet = GopPacket(
            gop_index=gop_index,
            first_frame=first,
            frame_count=len(frames),
            anchors=anchors,
            coded_steps=coded.coded_steps,
            latent_frames=coded.latent_frames,
            atom_counts=coded.atom_counts,
            choices=pack_choices(coded.choices, self.params.codebook_size),
            residual=residual,
        )
        result = Packet(
            data=encode_packet(packet),
            pts=first,
            duration=len(frames),
            time_base=self.time_base,
            gop_index=gop_index,
        )
        if self._rate is not None:
            self._rate.record(len(result.data))
        self._chain = _Chain(
            gop_index=gop_index + 1, carried=self.plan.carry(outputs, last_condition), shared_source=span[-1]
        )
        self._buffer = _GopBuffer(first_frame=first + len(frames))
        return result


def check_model_matches(header: StreamHeader, backbone: Backbone) -> None:
    """Refuse a model whose fingerprint differs from the one the stream was encoded with."""
    if header.fingerprint != backbone.fingerprint:
        raise ModelError(
            f"model mismatch: the stream was encoded with model fingerprint {header.fingerprint.hex()[:16]}..., "
            f"but model {backbone.name!r} has fingerprint {backbone.fingerprint.hex()[:16]}...; "
            "decode with the model folder the stream was encoded with (--model)"
        )


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
    ) -> None:
        if header.atom_generator not in GENERATORS:
            raise StreamError(
                f"the stream needs atom generator {header.atom_generator}; this release implements "
                f"{', '.join(map(str, GENERATORS))}"
            )
        if header.mode not in MODES:
            raise StreamError(f"the stream uses mode {header.mode!r}, which this release cannot decode")
        self.header = header
        self.plan = PLANS[header.mode]
        self._chain = _Chain()
        self.backbone = backbone or load_backbone(model, device, dtype)
        check_model_matches(header, self.backbone)
        self.params = _coding_params(header)
        self.quiet = quiet

    def decode(self, packet: Packet | GopPacket | bytes | None) -> list[av.VideoFrame]:
        """Decode one GOP packet into ``av.VideoFrame`` objects (yuv420p, ``pts`` = frame index in
        ``time_base`` = 1 / fps); ``None`` (flush) returns nothing, since a GOP holds no delay."""
        if packet is None:
            return []
        gop = self._parse(packet)
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
        gop = self._parse(packet)
        header = self.header
        if self.plan.chained and gop.gop_index != self._chain.gop_index:
            raise StreamError(
                f"mode {header.mode} chains GOPs: GOP {self._chain.gop_index} is due, got GOP {gop.gop_index}; "
                "decode the packets in stream order from the first"
            )
        overlap = self.plan.overlap(gop.gop_index)
        span = gop.frame_count + overlap
        coded_frames = coded_frame_count(span, self.backbone.temporal_factor)
        width, height = padded_size(header.width, header.height, self.backbone.pixel_multiple)
        try:
            choices = unpack_choices(gop.choices, gop.atom_counts, self.params.codebook_size)
        except StreamError as error:
            raise StreamError(f"GOP {gop.gop_index}: {error}") from error
        coded = CodedGop(
            coded_steps=gop.coded_steps,
            latent_frames=gop.latent_frames,
            atom_counts=tuple(gop.atom_counts),
            choices=tuple(choices),
        )
        self._check_geometry(gop, coded_frames)
        decoded = self._decode_anchors(gop, span)
        first_condition, last_condition = self.plan.condition_frames(decoded, self._chain.carried)
        latent = decode_gop(
            self.backbone,
            coded,
            gop.gop_index,
            self.params,
            header.prompt,
            coded_frames,
            height,
            width,
            first=_condition_tensor(first_condition, width, height, self.backbone.device),
            last=_condition_tensor(last_condition, width, height, self.backbone.device),
            quiet=self.quiet,
        )
        if gop.residual:
            channels, _, latent_height, latent_width = latent.shape
            try:
                symbols, step = decode_residual(gop.residual, channels, latent_height, latent_width)
                latent = apply_residual(latent, symbols, step)
            except StreamError as error:
                raise StreamError(f"GOP {gop.gop_index}: {error}") from error
        outputs = _video_to_frames(self.backbone.decode_latent(latent), span, header.width, header.height)[overlap:]
        self._chain = _Chain(gop_index=gop.gop_index + 1, carried=self.plan.carry(outputs, last_condition))
        return outputs

    def _decode_anchors(self, gop: GopPacket, span: int) -> dict[str, Yuv420Frame]:
        """The GOP's anchors decoded by role, after checking they are the ones its mode codes."""
        expected = self.plan.anchor_roles(gop.gop_index, span)
        roles = tuple(anchor.role for anchor in gop.anchors)
        if roles != expected:
            raise StreamError(
                f"GOP {gop.gop_index} carries anchors {list(roles)}; mode {self.header.mode} codes {list(expected)} there"
            )
        decoded = {}
        for anchor in gop.anchors:
            if anchor.codec not in ANCHOR_CODECS:
                raise StreamError(f"GOP {gop.gop_index}: anchor codec {anchor.codec!r} is not supported by this release")
            try:
                decoded[anchor.role] = decode_anchor(anchor.data, anchor.codec, self.header.width, self.header.height)
            except StreamError as error:
                raise StreamError(f"GOP {gop.gop_index}, {anchor.role} anchor: {error}") from error
        return decoded

    def _parse(self, packet: Packet | GopPacket | bytes) -> GopPacket:
        if isinstance(packet, GopPacket):
            return packet
        data = packet.data if isinstance(packet, Packet) else packet
        try:
            return decode_packet(data)
        except ContainerError as error:
            raise StreamError(str(error)) from error

    def _check_geometry(self, gop: GopPacket, coded_frames: int) -> None:
        expected_latent = latent_frame_count(coded_frames, self.backbone.temporal_factor)
        if gop.latent_frames != expected_latent or gop.coded_steps != self.params.sampler.coded_steps:
            raise StreamError(
                f"GOP {gop.gop_index} is inconsistent: {gop.latent_frames} latent frames x {gop.coded_steps} coded "
                f"steps, expected {expected_latent} x {self.params.sampler.coded_steps}"
            )
        most = self.plan.new_frames(gop.gop_index, self.header.gop_length)
        if not 1 <= gop.frame_count <= most:
            raise StreamError(
                f"GOP {gop.gop_index} claims {gop.frame_count} new frames; in mode {self.header.mode} it can hold 1 to {most}"
            )


def bits_per_pixel(total_bytes: int, frames: int, width: int, height: int) -> float:
    """``bpp = 8 bytes / (W H frames)``."""
    return 8 * total_bytes / max(1, frames * width * height) if frames else math.nan


def read_stream(stream: BinaryIO) -> tuple[StreamHeader, Iterator[GopPacket]]:
    """Parse a stream's header now and return it with a lazy iterator over its GOP packets."""
    try:
        reader = StreamReader(stream)
    except ContainerError as error:
        raise StreamError(str(error)) from error

    def packets() -> Iterator[GopPacket]:
        try:
            for record in reader:
                yield record.packet
        except ContainerError as error:
            raise StreamError(str(error)) from error

    return reader.header, packets()


def encode_stream(encoder: Encoder, frames: Iterable[Yuv420Frame | av.VideoFrame | np.ndarray]) -> bytes:
    """A whole ``.gvc`` stream: ``encoder.extradata``, the packets of ``frames``, then those of the flush."""
    return encoder.extradata + b"".join(packet.data for frame in (*frames, None) for packet in encoder.encode(frame))


def decode_stream(stream: bytes, **decoder_options: Any) -> list[Yuv420Frame]:
    """Every frame of a whole ``.gvc`` stream, in display order, from ``Decoder(header, **decoder_options)``."""
    header, packets = read_stream(io.BytesIO(stream))
    decoder = Decoder(header, **decoder_options)
    return [frame for packet in packets for frame in decoder.decode_yuv(packet)]


def codebook_bits(codebook_size: int, atoms: int) -> int:
    """Bits of one (step, latent frame) choice: ``ceil(log2 C(K, M)) + M`` (index set rank + signs)."""
    return choice_bits(codebook_size, atoms)
