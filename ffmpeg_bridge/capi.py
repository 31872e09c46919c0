"""The Python half of libgvc: the ``gvc_py_*`` functions that ``libgvc.c`` calls for each ``gvc.h`` call.

Imported only by libgvc.so's embedded interpreter, where cffi provides the compiled module ``_libgvc``.
Each function converts C arguments, calls a session, and turns a raised error into a status code and
a message for ``gvc_last_error()``.
"""
from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from _libgvc import ffi, lib  # type: ignore[import-not-found]  # exists inside libgvc.so only

from ffmpeg_bridge.decoder_session import DecodedFrame, DecoderSession
from ffmpeg_bridge.encoder_session import EncoderSession
from ffmpeg_bridge.planes import check_stride, copy_plane, plane_byte_span
from ffmpeg_bridge.status import Status, status_of
from gvcodec.codec import Encoder
from gvcodec.options import EncoderOptions, c_api_options, option_type
from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame, chroma_size


class _Handles:
    """Sessions by the opaque pointer handed to C, plus the cdata each must keep alive for its caller."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[int, tuple[Any, Any]] = {}
        self._lent: dict[int, tuple[Any, ...]] = {}

    def add(self, session: Any) -> Any:
        handle = ffi.new_handle(session)
        self._entries[_address(handle)] = (handle, session)
        return handle

    def get(self, pointer: Any) -> Any:
        entry = self._entries.get(_address(pointer))
        if entry is None:
            raise InputError(f"the {self.kind} handle is NULL, already closed, or not one this library opened")
        return entry[1]

    def lend(self, pointer: Any, *keep_alive: Any) -> None:
        """Keep ``keep_alive`` referenced until the next ``lend`` or ``remove`` for this handle."""
        self._lent[_address(pointer)] = keep_alive

    def remove(self, pointer: Any) -> Any:
        session = self.get(pointer)
        del self._entries[_address(pointer)]
        self._lent.pop(_address(pointer), None)
        return session


_encoders = _Handles("encoder")
_decoders = _Handles("decoder")


def _address(pointer: Any) -> int:
    return int(ffi.cast("uintptr_t", pointer))


def _report(error: BaseException) -> int:
    status = status_of(error)
    message = str(error) or type(error).__name__
    if status == Status.EINTERNAL:
        traceback.print_exception(error, file=sys.stderr)
        message = f"internal error in gvcodec ({type(error).__name__}: {message}); please report it"
    lib.gvc_set_last_error(message.encode("utf-8", errors="replace"))
    return int(status)


def _api(function: Callable[..., int]) -> Callable[..., int]:
    """Run a C entry point; any raised error becomes its status code and the thread's last error."""

    @functools.wraps(function)
    def call(*args: Any) -> int:
        try:
            return int(function(*args))
        except BaseException as error:  # reported to the C caller, never lost
            return _report(error)

    return call


def _text(pointer: Any, field: str) -> str | None:
    if pointer == ffi.NULL:
        return None
    try:
        return ffi.string(pointer).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{field} is not UTF-8 text ({error})") from None


def _require(pointer: Any, name: str) -> None:
    if pointer == ffi.NULL:
        raise InputError(f"{name} must not be NULL")


def encoder_keywords(cfg: Any) -> dict[str, object]:
    """``Encoder`` keyword options from a ``gvc_encoder_config``; NULL strings and ``shift <= 0`` keep defaults."""
    options: dict[str, object] = {"quiet": not cfg.verbose}
    for name in c_api_options():
        value = getattr(cfg, name)
        if option_type(name) is str:
            value = _text(value, f"gvc_encoder_config.{name}")
        if value is not None and not (name == "shift" and value <= 0):
            options[name] = value
    return options


@ffi.def_extern(name="gvc_py_encoder_config_init", error=int(Status.EINTERNAL))
@_api
def encoder_config_init(cfg: Any) -> int:
    _require(cfg, "cfg")
    defaults = EncoderOptions()
    ffi.memmove(cfg, bytes(ffi.sizeof(cfg[0])), ffi.sizeof(cfg[0]))  # NULL strings, verbose 0: a silent library
    cfg.frame_count = -1
    for name in c_api_options():
        if option_type(name) is not str:
            setattr(cfg, name, getattr(defaults, name) or 0)  # a shift of 0 means the mode's default
    return Status.OK


@ffi.def_extern(name="gvc_py_encoder_open", error=int(Status.EINTERNAL))
@_api
def encoder_open(cfg: Any, out: Any) -> int:
    _require(cfg, "cfg")
    _require(out, "out")
    if cfg.fps_num <= 0 or cfg.fps_den <= 0:
        raise InputError(f"the frame rate {cfg.fps_num}/{cfg.fps_den} is invalid: set fps_num and fps_den > 0, "
                         "e.g. 30000 and 1001")
    if cfg.frame_count < -1:
        raise InputError(f"frame_count must be >= 0, or -1 when unknown; got {cfg.frame_count}")
    encoder = Encoder(
        cfg.width,
        cfg.height,
        Fraction(cfg.fps_num, cfg.fps_den),
        frame_count=None if cfg.frame_count == -1 else cfg.frame_count,
        **encoder_keywords(cfg),
    )
    out[0] = ffi.cast("gvc_encoder *", _encoders.add(EncoderSession(encoder)))
    return Status.OK


@ffi.def_extern(name="gvc_py_encoder_encode", error=int(Status.EINTERNAL))
@_api
def encoder_encode(enc: Any, planes: Any, strides: Any) -> int:
    session: EncoderSession = _encoders.get(enc)
    _require(planes, "planes")
    _require(strides, "strides")
    width, height = session.width, session.height
    chroma_w, chroma_h = chroma_size(width, height)
    sizes = ((width, height), (chroma_w, chroma_h), (chroma_w, chroma_h))
    copies = []
    for index, (name, (plane_w, plane_h)) in enumerate(zip(("Y", "U", "V"), sizes)):
        _require(planes[index], f"planes[{index}] ({name})")
        stride = strides[index]
        check_stride(plane_w, stride, name)
        span = plane_byte_span(plane_w, plane_h, stride)
        copies.append(copy_plane(ffi.buffer(planes[index], span), plane_w, plane_h, stride, name))
    session.encode(Yuv420Frame(*copies))
    return Status.OK


@ffi.def_extern(name="gvc_py_encoder_flush", error=int(Status.EINTERNAL))
@_api
def encoder_flush(enc: Any) -> int:
    _encoders.get(enc).flush()
    return Status.OK


@ffi.def_extern(name="gvc_py_encoder_receive", error=int(Status.EINTERNAL))
@_api
def encoder_receive(enc: Any, data: Any, size: Any) -> int:
    session: EncoderSession = _encoders.get(enc)
    _require(data, "data")
    _require(size, "size")
    chunk = session.receive()
    if isinstance(chunk, Status):
        return chunk
    view = ffi.from_buffer("uint8_t[]", chunk)
    _encoders.lend(enc, chunk, view)
    data[0] = view
    size[0] = len(chunk)
    return Status.OK


@ffi.def_extern(name="gvc_py_encoder_close", error=int(Status.EINTERNAL))
@_api
def encoder_close(enc: Any) -> int:
    _encoders.remove(enc)
    return Status.OK


@ffi.def_extern(name="gvc_py_decoder_open", error=int(Status.EINTERNAL))
@_api
def decoder_open(model: Any, device: Any, out: Any) -> int:
    _require(out, "out")
    defaults = EncoderOptions()  # the decoder shares --model and --device with the encoder
    session = DecoderSession(
        model=_text(model, "model") or defaults.model,
        device=_text(device, "device") or defaults.device,
        dtype=defaults.dtype,
    )
    out[0] = ffi.cast("gvc_decoder *", _decoders.add(session))
    return Status.OK


@ffi.def_extern(name="gvc_py_decoder_feed", error=int(Status.EINTERNAL))
@_api
def decoder_feed(dec: Any, data: Any, n: int) -> int:
    session: DecoderSession = _decoders.get(dec)
    if n:
        _require(data, "data")
        session.feed(bytes(ffi.buffer(data, n)))
    return Status.OK


@ffi.def_extern(name="gvc_py_decoder_flush", error=int(Status.EINTERNAL))
@_api
def decoder_flush(dec: Any) -> int:
    _decoders.get(dec).flush()
    return Status.OK


@ffi.def_extern(name="gvc_py_decoder_receive_frame", error=int(Status.EINTERNAL))
@_api
def decoder_receive_frame(dec: Any, out: Any) -> int:
    session: DecoderSession = _decoders.get(dec)
    _require(out, "out")
    decoded = session.receive()
    if isinstance(decoded, Status):
        return decoded
    _fill_frame(dec, decoded, out)
    return Status.OK


def _fill_frame(dec: Any, decoded: DecodedFrame, out: Any) -> None:
    planes = (decoded.frame.y, decoded.frame.u, decoded.frame.v)
    views = [ffi.from_buffer("uint8_t[]", plane) for plane in planes]
    _decoders.lend(dec, decoded, *views)
    for index, (plane, view) in enumerate(zip(planes, views)):
        out.data[index] = view
        out.linesize[index] = plane.strides[0]
    out.width, out.height = decoded.frame.width, decoded.frame.height
    out.pts = decoded.pts


@ffi.def_extern(name="gvc_py_decoder_get_info", error=int(Status.EINTERNAL))
@_api
def decoder_get_info(dec: Any, out: Any) -> int:
    session: DecoderSession = _decoders.get(dec)
    _require(out, "out")
    header = session.header()
    if isinstance(header, Status):
        return header
    out.width, out.height = header.width, header.height
    out.fps_num, out.fps_den = header.fps.numerator, header.fps.denominator
    out.frame_count = -1 if header.frame_count is None else header.frame_count
    out.gop_length = header.gop_length
    return Status.OK


@ffi.def_extern(name="gvc_py_decoder_close", error=int(Status.EINTERNAL))
@_api
def decoder_close(dec: Any) -> int:
    _decoders.remove(dec).close()
    return Status.OK
