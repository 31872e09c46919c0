"""Every encoder option, declared once: name, default, range, help, command-line flag and who reads it.

:class:`EncoderOptions` is the declaration; each field carries an :class:`OptionSpec`. ``gvc-enc``'s
parser (:func:`add_encoder_arguments`), the C API's keywords and ``gvc-bench``'s defaults are built
from it, and :func:`check_option_ranges` checks a value against its spec (:func:`check_options_agree`
the options against each other) before any model is loaded.
Limits that come from the bitstream are asked of the container (:func:`container.largest_allowed`: the field's type or the format's limit).

This module imports neither torch nor a model (the atom generators are named by the container's list of
them; GOP lengths are checked against the temporal factor every loadable model has), so the command lines
parse and check every option in well under a second.
"""
from __future__ import annotations

import argparse
import functools
import math
import re
import types
import typing
from dataclasses import Field, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from container import largest_allowed
from container.limits import G_SCALE_RANGE, MAX_TAIL_FRAMES, SHIFT_RANGE
from container.schema import ATOM_GENERATOR, SUPPORTED_ATOM_GENERATORS, HeaderFields, PacketBody
from gvcodec.anchors import ANCHOR_CODECS, DEFAULT_ANCHOR_CODEC, check_quality
from gvcodec.backbones.layout import SUPPORTED_TEMPORAL_FACTOR
from gvcodec.backbones.placement import DTYPES
from gvcodec.errors import InputError
from gvcodec.modes import MODES, mode_named

if TYPE_CHECKING:
    from gvcodec.backbones import Backbone

MODEL_OPTIONS = ("model", "device", "dtype", "quiet")
"""Options ``gvc-dec`` (and the decoder's C API) read too; every other option is the encoder's alone."""


@dataclass(frozen=True)
class OptionSpec:
    """How one option is checked and offered: ``low`` / ``high`` bound it (inclusive; ``above`` is an
    exclusive lower bound), ``choices`` lists its values; ``flag`` is its command-line flag (``None``: the
    command lines set it otherwise); ``c_api``: ``gvc_encoder_config`` has a field of the same name."""

    help: str
    flag: str | None = ""
    low: float | None = None
    high: float | None = None
    above: float | None = None
    choices: tuple[Any, ...] | None = None
    c_api: bool = False


def option(default: Any, help: str, **spec: Any) -> Any:
    """A dataclass field with ``default`` and its :class:`OptionSpec`."""
    return field(default=default, metadata={"spec": OptionSpec(help, **spec)})


def _limit(path: str) -> int:
    return largest_allowed(HeaderFields, path)


GENERATOR_HELP = "1 dense (slow search), 2 shifted (FFT search)"
"""The atom generators for ``--help`` (``gvcodec.codebook.generator_list()``, which a test compares, imports torch)."""

MAX_ATOMS = largest_allowed(PacketBody, "atom_counts")
"""Most atoms one (coded step, latent frame) can keep: the packet's atom count field."""


@dataclass(frozen=True)
class EncoderOptions:
    """Everything the encoder can be told besides the picture geometry (defaults: DESIGN.md)."""

    mode: str = option("t2v", "conditioning mode", choices=tuple(MODES), c_api=True)
    model: str = option("nano", "model: 'nano' (embedded default) or a diffusers Wan2.1 folder", c_api=True)
    device: str = option("cpu", "where the model runs: cpu, cuda or cuda:N", c_api=True)
    dtype: str = option("float32", "model precision", choices=DTYPES, c_api=True)
    atoms: int = option(64, "atoms per (step, latent frame), the quality knob", low=1, high=_limit("sampler.atoms"), c_api=True)
    codebook: int = option(16384, "codebook size K", low=1, high=_limit("sampler.codebook_size"), c_api=True)
    atom_generator: int = option(
        ATOM_GENERATOR, f"codebook atoms: {GENERATOR_HELP}", choices=SUPPORTED_ATOM_GENERATORS
    )
    steps: int = option(20, "sampler steps N", low=1, high=_limit("sampler.num_steps"), c_api=True)
    tail_steps: int = option(3, "final uncoded ODE steps", low=0, high=_limit("sampler.tail_steps"), c_api=True)
    shift: float | None = option(
        None, "timestep shift (default: the mode's, 3 for t2v, 5 for i2v and flf2v)", low=SHIFT_RANGE[0],
        high=SHIFT_RANGE[1], c_api=True
    )
    g_scale: float = option(
        3.0, "SDE noise scale g(t) = g_scale t^2", low=G_SCALE_RANGE[0], high=G_SCALE_RANGE[1], c_api=True
    )
    gop: int = option(33, "frames per GOP, 4k+1", low=1, high=_limit("gop_length"), c_api=True)
    seed: int = option(0, "stream seed of the codebook", low=0, high=_limit("sampler.seed"), c_api=True)
    prompt: str = option("", "text prompt (models with a text encoder only)", c_api=True)
    target_bpp: float | None = option(
        None, "target bits per pixel over the clip; chooses the atoms of each GOP (overrides --atoms)", above=0
    )
    quiet: bool = option(False, "no progress bars", flag="-q")
    keep_recon: bool = option(False, "keep the encoder's reconstruction for take_recon()", flag=None)
    anchor_codec: str = option(
        DEFAULT_ANCHOR_CODEC, "intra codec of the anchor frames of i2v and flf2v", choices=tuple(sorted(ANCHOR_CODECS))
    )
    anchor_quality: int | None = option(
        None,
        "anchor CRF, lower is better ("
        + ", ".join(
            f"{name}: 0-{codec.max_quality}, default {codec.default_quality}"
            for name, codec in sorted(ANCHOR_CODECS.items())
        )
        + ")",
        flag="--anchor-q",
        low=0,
    )
    tail_frames: int | None = option(
        None, "last latent frames given --tail-atoms atoms and a coded residual (default: 2 for i2v, 0 otherwise)",
        low=0, high=MAX_TAIL_FRAMES,
    )
    tail_atoms: int | None = option(
        None, "atoms per step on the tail latent frames (default: 2 x --atoms)", low=1, high=MAX_ATOMS
    )
    residual_step: float = option(0.2, "quantiser step of the tail latent residual", above=0)


def choices_of(name: str) -> tuple[Any, ...]:
    """The values option ``name`` can take (``gvc-bench`` offers the same ones)."""
    (option_field,) = [f for f in fields(EncoderOptions) if f.name == name]
    choices = spec_of(option_field).choices
    assert choices is not None, f"option {name} has no choices"
    return choices


def spec_of(option_field: Field) -> OptionSpec:
    return option_field.metadata["spec"]


def flag_of(option_field: Field) -> str | None:
    """The command-line flag of an option: its spec's, else ``--`` and the name with dashes."""
    flag = spec_of(option_field).flag
    return f"--{option_field.name.replace('_', '-')}" if flag == "" else flag


@functools.cache
def option_type(name: str) -> type:
    """The value type of option ``name``: ``int`` for ``int`` and ``int | None``, and so on."""
    hint = typing.get_type_hints(EncoderOptions)[name]
    if isinstance(hint, types.UnionType):
        (hint,) = [arg for arg in hint.__args__ if arg is not type(None)]
    return hint


def encoder_options(**options: Any) -> EncoderOptions:
    """``EncoderOptions(**options)`` after checking every name and every value's range."""
    known = {option_field.name for option_field in fields(EncoderOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InputError(f"unknown encoder option {unknown[0]!r}; the options are {', '.join(sorted(known))}")
    result = EncoderOptions(**options)
    check_option_ranges(result)
    check_options_agree(result)
    return result


def check_option_ranges(options: EncoderOptions) -> None:
    """``InputError`` naming the flag and the allowed range of the first option outside its spec."""
    for option_field in fields(EncoderOptions):
        value, spec = getattr(options, option_field.name), spec_of(option_field)
        if value is None or value == option_field.default:
            continue
        name = flag_of(option_field) or option_field.name
        kind = option_type(option_field.name)
        if kind in (int, float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InputError(f"{name} must be a number, got {value!r}")
        if kind is float and not math.isfinite(value):
            raise InputError(f"{name} must be a finite number, got {value}")
        if spec.choices is not None and value not in spec.choices:
            raise InputError(f"{name} must be one of {', '.join(map(str, spec.choices))}, got {value!r}")
        if spec.above is not None and not value > spec.above:
            raise InputError(f"{name} must be greater than {spec.above}, got {value}")
        if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
            low = "" if spec.low is None else spec.low
            high = "" if spec.high is None else spec.high
            raise InputError(f"{name} must be in [{low}, {high}], got {value}")


def check_options_agree(options: EncoderOptions) -> None:
    """``InputError`` unless the options agree with each other (the checks that need no model)."""
    if not options.tail_steps < options.steps:
        raise InputError(f"tail steps must be in [0, steps), got {options.tail_steps} of {options.steps}")
    if not options.atoms <= options.codebook:
        raise InputError(f"--atoms must be in [1, --codebook={options.codebook}], got {options.atoms}")
    if options.tail_atoms is not None and not options.tail_atoms <= options.codebook:
        raise InputError(f"--tail-atoms must be in [1, min(--codebook, {MAX_ATOMS})], got {options.tail_atoms}")
    if options.anchor_quality is not None:
        check_quality(options.anchor_codec, options.anchor_quality)
    check_gop(options)


def check_gop(options: EncoderOptions, temporal_factor: int = SUPPORTED_TEMPORAL_FACTOR) -> None:
    """``InputError`` unless ``--gop`` is ``r k + 1`` frames for the model's temporal factor ``r`` (every model
    this release loads has :data:`SUPPORTED_TEMPORAL_FACTOR`, so it is checked before loading) and long enough
    for the mode."""
    if (options.gop - 1) % temporal_factor:
        raise InputError(f"--gop must be {temporal_factor}k + 1 frames (e.g. 17, 33), got {options.gop}")
    if options.gop < MODES[options.mode].shortest_gop(temporal_factor):
        raise InputError(
            f"--mode {options.mode} chains GOPs that share a frame: --gop must be at least "
            f"{1 + temporal_factor}, got {options.gop}"
        )


def check_options_for(options: EncoderOptions, backbone: Backbone) -> None:
    """``InputError`` unless the options agree with ``backbone`` (ranges and :func:`check_options_agree` before)."""
    refusal = mode_named(options.mode).unsupported_by(backbone)
    if refusal:
        raise InputError(
            f"model {backbone.name!r} cannot condition on mode {options.mode!r}: it {refusal}; "
            "use another mode, or a model folder whose layout has this mode"
        )
    check_gop(options, backbone.temporal_factor)


def check_picture_size(width: int, height: int) -> None:
    """``InputError`` unless the format allows ``width x height``."""
    largest = (_limit("width"), _limit("height"))
    if not (1 <= width <= largest[0] and 1 <= height <= largest[1]):
        raise InputError(f"picture size must be 1x1 to {largest[0]}x{largest[1]}, got {width}x{height}")


def add_encoder_arguments(parser: argparse.ArgumentParser, names: tuple[str, ...] | None = None) -> None:
    """One argument per option with a flag (``names``: only those), typed, with its choices and default."""
    for option_field in fields(EncoderOptions):
        flag = flag_of(option_field)
        if flag is None or (names is not None and option_field.name not in names):
            continue
        spec = spec_of(option_field)
        default = option_field.default
        if option_type(option_field.name) is bool:
            flags = ("-q", "--quiet") if flag == "-q" else (flag,)
            parser.add_argument(*flags, dest=option_field.name, action="store_true", help=spec.help)
            continue
        shown = "" if default is None or "default" in spec.help else f" (default {default if default != '' else 'empty'})"
        parser.add_argument(
            flag, dest=option_field.name, type=option_type(option_field.name), default=default, choices=spec.choices,
            help=spec.help + shown,
        )


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The options the decoding commands share with gvc-enc: --model, --device, --dtype, -q."""
    add_encoder_arguments(parser, MODEL_OPTIONS)


def options_from_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The encoder keywords a parsed namespace of :func:`add_encoder_arguments` holds."""
    return {option_field.name: getattr(args, option_field.name) for option_field in fields(EncoderOptions)
            if hasattr(args, option_field.name)}


def c_api_options() -> tuple[str, ...]:
    """The options ``gvc_encoder_config`` carries under their own names."""
    return tuple(option_field.name for option_field in fields(EncoderOptions) if spec_of(option_field).c_api)


_MEMORY_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_memory(text: str) -> int:
    """Bytes from ``"512M"``, ``"16G"``, ``"1.5T"`` or a plain byte count (binary units)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not match or float(match.group(1)) <= 0:
        raise InputError(f"--max-memory must be a positive size such as 512M, 16G or 1.5T, got {text!r}")
    return int(float(match.group(1)) * _MEMORY_UNITS[match.group(2).upper()])
