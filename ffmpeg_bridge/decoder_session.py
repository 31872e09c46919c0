"""A ``Decoder`` fed bytes in arbitrary chunks, with frames taken out as they are decoded.

The stream is parsed by ``gvcodec.codec.read_stream``, the same reader ``gvc-dec`` uses, running in a
worker thread that reads from the bytes fed so far and waits when it needs more. So "does the decoder
need more input?" has an exact answer: the worker is waiting for bytes and every fed byte has been
read. No framing knowledge is duplicated here, and a packet is decoded as soon as its last byte
arrives.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ffmpeg_bridge.status import Status
from gvcodec.codec import Decoder, read_stream
from gvcodec.errors import InputError
from gvcodec.io.frames import Yuv420Frame

if TYPE_CHECKING:
    from container import StreamHeader


@dataclass(frozen=True)
class DecodedFrame:
    """A decoded picture and its index in the stream (its time in units of ``1 / fps``)."""

    frame: Yuv420Frame
    pts: int


class _FedBytes:
    """What the stream reader reads from: the session's fed bytes, through ``read`` alone."""

    def __init__(self, session: DecoderSession) -> None:
        self._session = session

    def read(self, size: int) -> bytes:
        return self._session._read_fed(size)


class DecoderSession:
    """Bytes in (``feed``, then ``flush``), frames out (``receive``), memory bounded by about one GOP.

    The worker decodes a GOP only when the frames of the previous one have all been received.
    """

    def __init__(self, model: str = "nano", device: str = "cpu", dtype: str = "float32", quiet: bool = True) -> None:
        self._model, self._device, self._dtype, self._quiet = model, device, dtype, quiet
        self._state = threading.Condition()
        self._input = bytearray()
        self._input_ended = False
        self._closed = False
        self._reader_waiting = False
        self._header: StreamHeader | None = None
        self._frames: deque[DecodedFrame] = deque()
        self._error: BaseException | None = None
        self._finished = False
        self._worker = threading.Thread(target=self._decode_all, name="gvc-decoder", daemon=True)
        self._worker.start()

    def feed(self, data: bytes) -> None:
        """Append the next bytes of the stream, split anywhere."""
        with self._state:
            if self._input_ended:
                raise InputError("bytes were fed after the decoder was flushed; open a new decoder for another stream")
            self._input += data
            self._state.notify_all()

    def flush(self) -> None:
        """The stream has ended. Flushing again does nothing."""
        with self._state:
            self._input_ended = True
            self._state.notify_all()

    def receive(self) -> DecodedFrame | Status:
        """The next frame; ``Status.EAGAIN`` when all fed bytes are decoded; ``Status.EOF`` after the last.

        Waits while the worker is busy. A stream or model error is raised once the frames decoded
        before it have been received, and again on every later call.
        """
        with self._state:
            while True:
                if self._frames:
                    decoded = self._frames.popleft()
                    self._state.notify_all()
                    return decoded
                if self._finished:
                    return self._end()
                if self._starved():
                    return Status.EAGAIN
                self._state.wait()

    def header(self) -> StreamHeader | Status:
        """The stream header once its bytes have been fed, else ``Status.EAGAIN``."""
        with self._state:
            while True:
                if self._header is not None:
                    return self._header
                if self._finished:
                    return self._end()
                if self._starved():
                    return Status.EAGAIN
                self._state.wait()

    def close(self) -> None:
        """Stop the worker (after the GOP it may be decoding) and drop what is queued."""
        with self._state:
            self._closed = True
            self._input_ended = True
            self._frames.clear()
            self._state.notify_all()
        self._worker.join()

    def _starved(self) -> bool:
        return self._reader_waiting and not self._input and not self._input_ended

    def _end(self) -> Status:
        if self._error is not None:
            raise self._error
        return Status.EOF

    def _read_fed(self, size: int) -> bytes:
        """Up to ``size`` fed bytes for the stream reader; waits for bytes; ``b""`` once flushed and empty."""
        with self._state:
            while not self._input and not self._input_ended:
                self._reader_waiting = True
                self._state.notify_all()
                self._state.wait()
            self._reader_waiting = False
            chunk = bytes(self._input[:size])
            del self._input[:size]
            return chunk

    def _decode_all(self) -> None:
        try:
            header, packets = read_stream(_FedBytes(self))  # type: ignore[arg-type]  # it only calls read()
            with self._state:
                self._header = header
                self._state.notify_all()
            decoder = Decoder(header, model=self._model, device=self._device, dtype=self._dtype, quiet=self._quiet)
            next_pts = 0
            for packet in packets:
                if not self._wait_for_room():
                    return
                frames = decoder.decode_yuv(packet)
                next_pts = self._publish(frames, packet.first_frame)
            self._publish(decoder.decode_yuv(None), next_pts)
        except BaseException as error:  # handed to the caller's thread by receive()
            with self._state:
                self._error = None if self._closed else error
        finally:
            with self._state:
                self._finished = True
                self._state.notify_all()

    def _wait_for_room(self) -> bool:
        """Wait until the previous GOP's frames have been received; False if the session was closed."""
        with self._state:
            while self._frames and not self._closed:
                self._state.wait()
            return not self._closed

    def _publish(self, frames: list[Yuv420Frame], first_pts: int) -> int:
        with self._state:
            self._frames.extend(DecodedFrame(frame, first_pts + index) for index, frame in enumerate(frames))
            self._state.notify_all()
        return first_pts + len(frames)
