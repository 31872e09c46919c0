"""An ``Encoder`` behind send/receive calls: frames in, stream chunks out, the header first."""
from __future__ import annotations

from collections import deque

from ffmpeg_bridge.status import Status
from gvcodec.codec import Encoder
from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame


class EncoderSession:
    """Queues the stream's bytes as they are produced: ``extradata``, then one chunk per coded GOP.

    ``receive`` hands the chunks out in order; concatenated, they are a complete ``.gvc`` stream.
    """

    def __init__(self, encoder: Encoder) -> None:
        self._encoder = encoder
        self._chunks: deque[bytes] = deque([encoder.extradata])
        self._flushed = False

    @property
    def width(self) -> int:
        return self._encoder.width

    @property
    def height(self) -> int:
        return self._encoder.height

    def encode(self, frame: Yuv420Frame) -> None:
        """Queue one frame; a GOP it completes is coded now."""
        if self._flushed:
            raise InputError("a frame was given after the encoder was flushed; the stream is finished, "
                             "open a new encoder for another stream")
        self._chunks.extend(packet.data for packet in self._encoder.encode(frame))

    def flush(self) -> None:
        """Code the last, possibly partial, GOP. Flushing again does nothing."""
        if not self._flushed:
            self._chunks.extend(packet.data for packet in self._encoder.encode(None))
            self._flushed = True

    def receive(self) -> bytes | Status:
        """The next chunk, ``Status.EAGAIN`` if none is ready yet, ``Status.EOF`` once flushed and drained."""
        if self._chunks:
            return self._chunks.popleft()
        return Status.EOF if self._flushed else Status.EAGAIN
