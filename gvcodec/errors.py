"""gvcodec's exception types: each says what was wrong and what was expected."""
from __future__ import annotations

import container


class GvcError(Exception):
    """Base of every error gvcodec raises on purpose."""


class InputError(GvcError):
    """The input video or an option is not what the codec can take."""


class TruncatedInputError(InputError):
    """The input video ends inside a frame; ``complete_frames`` frames before it were whole."""

    def __init__(self, message: str, complete_frames: int) -> None:
        super().__init__(message)
        self.complete_frames = complete_frames


class OutputError(GvcError):
    """An output cannot be written: a missing or read-only folder, a full disk, an I/O error."""


class ModelError(GvcError):
    """A model folder is missing, malformed, or does not match the stream."""


class StreamError(GvcError):
    """A bitstream is damaged, truncated, or of a format this release cannot decode.

    ``gop_index`` and ``offset`` (byte offset in the stream) say where, when known.
    """

    def __init__(self, message: str, gop_index: int | None = None, offset: int | None = None) -> None:
        super().__init__(message)
        self.gop_index = gop_index
        self.offset = offset


class StreamTruncatedError(StreamError):
    """The stream ends inside its header or a packet, or before the frame count its header declares."""


class StreamCorruptError(StreamError):
    """Bytes that break the format: a failed CRC, a value no encoder writes, a missing or reordered packet."""


class StreamUnsupportedError(StreamError):
    """A format version, atom generator or mode this release does not implement."""


class StreamLimitError(StreamError):
    """A stream asks for more than the format's limits or the decoder's memory allow; refused before any work."""


class InstallError(GvcError):
    """A part of gvcodec that is built or installed as an extra is missing: (re)install it."""


class WorkerError(GvcError):
    """A worker of a parallel run failed: its GOP failed, or its process kept dying."""


_KINDS: tuple[tuple[type[container.ContainerError], type[StreamError]], ...] = (
    (container.TruncatedStreamError, StreamTruncatedError),
    (container.LimitExceededError, StreamLimitError),
    (container.UnsupportedVersionError, StreamUnsupportedError),
    (container.UnknownAtomGeneratorError, StreamUnsupportedError),
)


def stream_error(error: container.ContainerError) -> StreamError:
    """The ``StreamError`` subclass for a container error, with its GOP index and byte offset when it has them."""
    kind = next((ours for theirs, ours in _KINDS if isinstance(error, theirs)), StreamCorruptError)
    return kind(str(error), gop_index=getattr(error, "packet_number", None), offset=getattr(error, "offset", None))
