"""One GOP coder for both sides: ``code`` (frames -> packet + frames) and ``replay`` (packet -> frames).

Both run the same steps in the same order, so no GOP-level step is written twice:

1. geometry: overlap with the previous GOP, span, coded frame count, padded size (:mod:`gvcodec.gop.geometry`);
2. anchors: the roles the mode codes there; the encoder intra-codes them, the decoder decodes them;
3. conditions: the mode's first / last condition frames (decoded anchors, the frame carried over), as
   the backbone's condition;
4. trajectory: one sampler run, searching the codebook toward the target latent (encoder) or replaying
   the recorded choices (decoder);
5. tail correction: the quantised ``x0 - x0_rec`` of the last latent frames, added to the latent;
6. finish: VAE decode, padding and overlap removed, and each intra-coded anchor shown as decoded at its
   position (the stream carries that picture; the generated one at its place is only an estimate of it);
7. chain: what the mode carries over to the next GOP.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from container import Anchor, GopPacket, StreamHeader
from gvcodec.anchors import ANCHOR_CODECS, code_anchor, decode_anchor
from gvcodec.backbones import Backbone, Condition
from gvcodec.codebook import GENERATORS, pack_choices, unpack_choices
from gvcodec.errors import ModelError, StreamCorruptError, StreamError, StreamLimitError, StreamUnsupportedError
from gvcodec.gop.allocation import AtomAllocation
from gvcodec.gop.geometry import GopGeometry, gop_geometry
from gvcodec.gop.pixels import condition_tensor, frames_to_video, video_to_frames
from gvcodec.gop.trajectory import CodingParams, StepCallback, run_trajectory
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.progress import stage
from gvcodec.modes import MODES, Mode
from gvcodec.noise_sources import AtomLayout, CodebookReplay, CodebookSearch
from gvcodec.sampler import NoiseSource, SamplerSettings
from gvcodec.residual import apply_residual, decode_residual, encode_residual, quantise


@dataclass(frozen=True)
class StreamSetup:
    """What both sides know of every GOP from the stream header."""

    mode: Mode
    params: CodingParams
    width: int
    height: int
    gop_length: int
    prompt: str

    @classmethod
    def of(cls, header: StreamHeader) -> StreamSetup:
        """The setup a stream header declares (its mode must be one of :data:`gvcodec.modes.MODES`)."""
        sampler = header.sampler
        params = CodingParams(
            sampler=SamplerSettings(
                num_steps=sampler.num_steps, tail_steps=sampler.tail_steps, shift=sampler.shift, g_scale=sampler.g_scale
            ),
            atom_generator=header.atom_generator,
            seed=sampler.seed,
            codebook_size=sampler.codebook_size,
            atoms=sampler.atoms,
        )
        return cls(MODES[header.mode], params, header.width, header.height, header.gop_length, header.prompt)


def check_decodable(header: StreamHeader) -> None:
    """``StreamError`` unless this release implements the stream's atom generator and mode."""
    if header.atom_generator not in GENERATORS:
        raise StreamUnsupportedError(
            f"the stream needs atom generator {header.atom_generator}; this release implements "
            f"{', '.join(map(str, GENERATORS))}"
        )
    if header.mode not in MODES:
        raise StreamUnsupportedError(f"the stream uses mode {header.mode!r}, which this release cannot decode")


def check_model_fits(header: StreamHeader, backbone: Backbone) -> None:
    """Refuse a model whose fingerprint differs from the stream's, or whose frame grouping its GOPs miss."""
    if header.fingerprint != backbone.fingerprint:
        raise ModelError(
            f"model mismatch: the stream was encoded with model fingerprint {header.fingerprint.hex()[:16]}..., "
            f"but model {backbone.name!r} has fingerprint {backbone.fingerprint.hex()[:16]}...; "
            "decode with the model folder the stream was encoded with (--model)"
        )
    if (header.gop_length - 1) % backbone.temporal_factor:
        raise StreamUnsupportedError(
            f"the stream's GOPs are {header.gop_length} frames long; model {backbone.name!r} codes "
            f"{backbone.temporal_factor}k + 1 frames"
        )
    full = gop_geometry(0, 0, header.gop_length, header.width, header.height, backbone.temporal_factor,
                        backbone.pixel_multiple)
    positions = (full.latent_frames, full.padded_height // backbone.pixel_multiple,
                 full.padded_width // backbone.pixel_multiple)
    if max(positions) > backbone.max_positions:
        raise StreamLimitError(
            f"a {header.width}x{header.height} GOP of {header.gop_length} frames is {' x '.join(map(str, positions))} "
            f"tokens (frames x rows x columns); model {backbone.name!r} positions at most {backbone.max_positions} "
            "along each"
        )


@dataclass(frozen=True)
class EncoderSettings:
    """What only the encoder decides per GOP: anchor codec and quality, tail correction frames and step."""

    anchor_codec: str
    anchor_quality: int
    tail_frames: int
    residual_step: float


@dataclass(frozen=True)
class Chain:
    """What a chained mode carries to the next GOP: the GOP index due, the decoded frame it is conditioned
    on, and (encoder only) the source frame it starts on. Given this, any GOP can be coded on its own."""

    gop_index: int = 0
    carried: Yuv420Frame | None = None
    shared_source: Yuv420Frame | None = None


class GopCoder:
    """Codes or replays the GOPs of one stream, in stream order; ``chain`` is what the GOP before the next one
    left, which :mod:`gvcodec.parallel` sets to code any one GOP on its own."""

    def __init__(
        self, backbone: Backbone, setup: StreamSetup, quiet: bool = False, on_step: StepCallback | None = None
    ) -> None:
        self.backbone = backbone
        self.setup = setup
        self.quiet = quiet
        self.on_step = on_step
        self.chain = Chain()

    @property
    def due_frames(self) -> int:
        """New frames a full next GOP takes: the GOP length less its overlap with the previous GOP."""
        return self.setup.mode.new_frames(self.chain.gop_index, self.setup.gop_length)

    def geometry(self, gop_index: int, new_frames: int) -> GopGeometry:
        """Step 1: where GOP ``gop_index`` adding ``new_frames`` frames sits and what it is coded as."""
        backbone, setup = self.backbone, self.setup
        return gop_geometry(
            gop_index, setup.mode.overlap(gop_index), new_frames, setup.width, setup.height,
            backbone.temporal_factor, backbone.pixel_multiple,
        )

    def code(
        self, frames: list[Yuv420Frame], first_frame: int, settings: EncoderSettings, atoms: AtomAllocation,
        keep_frames: bool,
    ) -> tuple[GopPacket, list[Yuv420Frame]]:
        """Encode the next GOP's new ``frames``; return its packet and (``keep_frames`` or a mode that
        carries the output) its decoded frames, exactly those :meth:`replay` gives."""
        geometry = self.geometry(self.chain.gop_index, len(frames))
        span = ([self.chain.shared_source] if geometry.overlap else []) + frames
        anchors, decoded = _code_anchors(self._roles(geometry), span, settings)
        atom_counts = atoms.counts(geometry, sum(len(anchor.data) for anchor in anchors))
        condition, last = self._condition(geometry, decoded)
        video = frames_to_video(
            span, geometry.coded_frames, geometry.padded_width, geometry.padded_height, self.backbone.device
        )
        with stage(f"encode GOP {geometry.index}: VAE encode", self.quiet):
            target = self.backbone.encode_video(video)
        search = CodebookSearch(layout=self._layout(geometry, atom_counts), target=target)
        latent = self._trajectory(geometry, condition, search, "encode")
        residual = b""
        tail = min(settings.tail_frames, geometry.latent_frames)
        if tail:
            symbols = quantise(target[:, -tail:] - latent[:, -tail:], settings.residual_step)
            residual = encode_residual(symbols, settings.residual_step)
            latent = apply_residual(latent, symbols, settings.residual_step)
        # The VAE decode is the dearest stage: the encoder runs it only when someone uses its output.
        outputs = self._finish(geometry, latent, decoded) if keep_frames or self.setup.mode.carries_output else []
        packet = GopPacket(
            gop_index=geometry.index,
            first_frame=first_frame,
            frame_count=len(frames),
            anchors=anchors,
            coded_steps=self.setup.params.sampler.coded_steps,
            latent_frames=geometry.latent_frames,
            atom_counts=atom_counts,
            choices=pack_choices(search.choices, self.setup.params.codebook_size),
            residual=residual,
        )
        self._advance(geometry, outputs, last, span[-1])
        return packet, outputs

    def replay(self, packet: GopPacket) -> list[Yuv420Frame]:
        """Decode one GOP packet, the next in stream order for a chained mode, into its new frames."""
        setup = self.setup
        if setup.mode.chained and packet.gop_index != self.chain.gop_index:
            raise StreamCorruptError(
                f"mode {setup.mode.name} chains GOPs: GOP {self.chain.gop_index} is due, got GOP {packet.gop_index}; "
                "decode the packets in stream order from the first"
            )
        geometry = self.geometry(packet.gop_index, packet.frame_count)
        try:
            recorded = unpack_choices(packet.choices, packet.atom_counts, setup.params.codebook_size)
        except StreamError as error:
            raise StreamCorruptError(f"GOP {packet.gop_index}: {error}", gop_index=packet.gop_index) from error
        self._check_geometry(packet, geometry)
        decoded = _decode_anchors(packet, self._roles(geometry), setup)
        condition, last = self._condition(geometry, decoded)
        replay = CodebookReplay(layout=self._layout(geometry, tuple(packet.atom_counts)), choices=tuple(recorded))
        latent = self._trajectory(geometry, condition, replay, "decode")
        if packet.residual:
            channels, _, latent_height, latent_width = latent.shape
            try:
                symbols, step = decode_residual(packet.residual, channels, latent_height, latent_width)
            except StreamError as error:
                raise StreamCorruptError(f"GOP {packet.gop_index}: {error}", gop_index=packet.gop_index) from error
            latent = apply_residual(latent, symbols, step)
        outputs = self._finish(geometry, latent, decoded)
        self._advance(geometry, outputs, last, None)
        return outputs

    def skip(self, gop_index: int, stand_in: list[Yuv420Frame]) -> None:
        """Go on after GOP ``gop_index`` without decoding it, as if it had output ``stand_in`` (concealment): a
        chained mode's next GOP starts on its last frame."""
        self.chain = Chain(gop_index + 1, self.setup.mode.carry(stand_in, stand_in[-1]), None)

    def _roles(self, geometry: GopGeometry) -> tuple[str, ...]:
        """Step 2: the roles of the anchors the mode codes in this GOP."""
        return self.setup.mode.anchor_roles(geometry.index, geometry.span)

    def _condition(
        self, geometry: GopGeometry, decoded: dict[str, Yuv420Frame]
    ) -> tuple[Condition, Yuv420Frame | None]:
        """Step 3: the backbone's condition from the mode's condition frames, and the last condition frame."""
        first, last = self.setup.mode.condition_frames(decoded, self.chain.carried)
        width, height, device = geometry.padded_width, geometry.padded_height, self.backbone.device
        condition = self.backbone.condition(
            self.setup.prompt, geometry.coded_frames, height, width,
            first=condition_tensor(first, width, height, device),
            last=condition_tensor(last, width, height, device),
        )
        return condition, last

    def _layout(self, geometry: GopGeometry, atom_counts: tuple[int, ...]) -> AtomLayout:
        return self.setup.params.layout(geometry.index, atom_counts, geometry.latent_frames)

    def _trajectory(self, geometry: GopGeometry, condition: Condition, source: NoiseSource, verb: str) -> torch.Tensor:
        """Step 4: the trajectory's final latent, its noise from ``source``."""
        return run_trajectory(
            self.backbone, condition, self.setup.params, geometry.index, source, self.quiet, verb, self.on_step
        )

    def _finish(
        self, geometry: GopGeometry, latent: torch.Tensor, anchors: dict[str, Yuv420Frame]
    ) -> list[Yuv420Frame]:
        """Step 6: the GOP's new frames, VAE-decoded, without the padding and the overlap, with its decoded
        anchors in their places."""
        with stage(f"GOP {geometry.index}: VAE decode", self.quiet):
            video = self.backbone.decode_latent(latent)
        generated = video_to_frames(video, geometry.overlap, geometry.span, self.setup.width, self.setup.height)
        return show_anchors(generated, anchors, geometry.overlap)

    def _advance(
        self, geometry: GopGeometry, outputs: list[Yuv420Frame], last: Yuv420Frame | None,
        shared_source: Yuv420Frame | None,
    ) -> None:
        """Step 7: carry the mode's frame (and the encoder's source frame) over to the next GOP."""
        self.chain = Chain(geometry.index + 1, self.setup.mode.carry(outputs, last), shared_source)

    def _check_geometry(self, packet: GopPacket, geometry: GopGeometry) -> None:
        coded_steps = self.setup.params.sampler.coded_steps
        if packet.latent_frames != geometry.latent_frames or packet.coded_steps != coded_steps:
            raise StreamCorruptError(
                f"GOP {packet.gop_index} is inconsistent: {packet.latent_frames} latent frames x {packet.coded_steps} "
                f"coded steps, expected {geometry.latent_frames} x {coded_steps}"
            )
        most = self.setup.mode.new_frames(packet.gop_index, self.setup.gop_length)
        if not 1 <= packet.frame_count <= most:
            raise StreamCorruptError(
                f"GOP {packet.gop_index} claims {packet.frame_count} new frames; in mode {self.setup.mode.name} "
                f"it can hold 1 to {most}"
            )


def show_anchors(outputs: list[Yuv420Frame], anchors: dict[str, Yuv420Frame], overlap: int) -> list[Yuv420Frame]:
    """A GOP's output frames with each decoded anchor at its position: the ``first`` anchor is span frame 0
    (output ``0 - overlap``, absent when the GOP starts on a shared frame), the ``last`` anchor the final
    span frame (the final output)."""
    shown = list(outputs)
    if "first" in anchors and overlap == 0:
        shown[0] = anchors["first"]
    if "last" in anchors:
        shown[-1] = anchors["last"]
    return shown


def _code_anchors(
    roles: tuple[str, ...], span: list[Yuv420Frame], settings: EncoderSettings
) -> tuple[tuple[Anchor, ...], dict[str, Yuv420Frame]]:
    """Step 2, encoder: intra-code the span's first and/or last frame; the packet anchors and decoded frames."""
    anchors, decoded = [], {}
    for role in roles:
        frame = span[0] if role == "first" else span[-1]
        data, decoded[role] = code_anchor(frame, settings.anchor_codec, settings.anchor_quality)
        anchors.append(Anchor(role=role, codec=settings.anchor_codec, quality=settings.anchor_quality, data=data))
    return tuple(anchors), decoded


def _decode_anchors(packet: GopPacket, roles: tuple[str, ...], setup: StreamSetup) -> dict[str, Yuv420Frame]:
    """Step 2, decoder: the GOP's anchors decoded by role, after checking they are the ones its mode codes."""
    found = tuple(anchor.role for anchor in packet.anchors)
    if found != roles:
        raise StreamCorruptError(
            f"GOP {packet.gop_index} carries anchors {list(found)}; mode {setup.mode.name} codes {list(roles)} there"
        )
    decoded = {}
    for anchor in packet.anchors:
        if anchor.codec not in ANCHOR_CODECS:
            raise StreamUnsupportedError(
                f"GOP {packet.gop_index}: anchor codec {anchor.codec!r} is not supported by this release",
                gop_index=packet.gop_index,
            )
        try:
            decoded[anchor.role] = decode_anchor(anchor.data, anchor.codec, setup.width, setup.height)
        except StreamError as error:
            raise StreamCorruptError(f"GOP {packet.gop_index}, {anchor.role} anchor: {error}", gop_index=packet.gop_index) from error
    return decoded


def chain_after_code(setup: StreamSetup, chain: Chain, frames: list[Yuv420Frame], settings: EncoderSettings) -> Chain:
    """The chain GOP ``chain.gop_index`` of new ``frames`` leaves to the next, without the model: steps 2, 3 and
    7 of :meth:`GopCoder.code`, so later GOPs can be coded before this one. Not for a mode that carries its
    output (its chain is the GOP's decoded frame)."""
    span = ([chain.shared_source] if setup.mode.overlap(chain.gop_index) else []) + frames
    _, decoded = _code_anchors(setup.mode.anchor_roles(chain.gop_index, len(span)), span, settings)
    return _chain_from_anchors(setup, chain, decoded, span[-1])


def chain_after_replay(setup: StreamSetup, chain: Chain, packet: GopPacket) -> Chain:
    """The chain ``packet``'s GOP leaves to the next, without the model: steps 2, 3 and 7 of
    :meth:`GopCoder.replay`. Not for a mode that carries its output."""
    span = setup.mode.overlap(packet.gop_index) + packet.frame_count
    decoded = _decode_anchors(packet, setup.mode.anchor_roles(packet.gop_index, span), setup)
    return _chain_from_anchors(setup, chain, decoded, None)


def _chain_from_anchors(
    setup: StreamSetup, chain: Chain, decoded: dict[str, Yuv420Frame], shared_source: Yuv420Frame | None
) -> Chain:
    _, last = setup.mode.condition_frames(decoded, chain.carried)
    return Chain(chain.gop_index + 1, setup.mode.carry([], last), shared_source)
