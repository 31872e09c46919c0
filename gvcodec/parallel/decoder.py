"""The parallel decoder: packets in, frames out in display order, GOPs decoded by Ray actors."""
from __future__ import annotations

from types import TracebackType

from container import GopPacket, StreamHeader
from gvcodec.codec import Packet, parse_packet
from gvcodec.gop.coder import Chain, StreamSetup, chain_after_replay, check_decodable
from gvcodec.io.frames import Yuv420Frame
from gvcodec.parallel.cluster import Cluster, actor_device
from gvcodec.parallel.scheduler import InOrderPool
from gvcodec.parallel.worker import DecodedGop, DecodeJob, DecodeWorker


class ParallelDecoder:
    """:class:`gvcodec.Decoder` with its GOPs decoded by ``workers`` Ray actors; the same frames, in order.

    ``ray_address`` and ``threads`` as for :class:`gvcodec.parallel.ParallelEncoder`. ``decode_yuv(packet)`` returns the
    frames of the GOPs finished so far, in display order, and waits only while ``2 * workers`` GOPs are
    decoding or held for an earlier one; ``decode_yuv(None)`` waits for all. I2V GOPs are decoded one
    after another (each starts on the decoded last frame of the one before). Close the decoder (or use it
    in a ``with``) to stop the workers.
    """

    def __init__(
        self,
        header: StreamHeader,
        model: str = "nano",
        device: str = "cpu",
        dtype: str = "float32",
        quiet: bool = False,
        max_memory: int | None = None,
        workers: int = 2,
        ray_address: str | None = None,
        threads: int | None = None,
    ) -> None:
        check_decodable(header)
        self.header = header
        self._setup = StreamSetup.of(header)
        self._cluster = Cluster(workers, ray_address)
        try:
            options = {"model": model, "device": actor_device(device), "dtype": dtype, "quiet": quiet,
                       "max_memory": max_memory}
            actors = self._cluster.start(DecodeWorker, device, threads, header, options)
            self._pool = InOrderPool(self._cluster.ray, actors, "decode", 2 * workers)
            self._pool.call_all("setup")
        except BaseException:
            self._cluster.close()
            raise
        self._chain = Chain()
        self._frames: list[Yuv420Frame] = []

    def decode_yuv(self, packet: Packet | GopPacket | bytes | None) -> list[Yuv420Frame]:
        """Queue one GOP packet (``None`` flushes); return the frames of the GOPs finished so far, in order."""
        if packet is None:
            self._collect(self._pool.drain())
        else:
            gop = parse_packet(packet)
            if self._setup.mode.carries_output:
                self._collect(self._pool.drain())
            self._pool.submit(gop.gop_index, DecodeJob(chain=self._chain, packet=gop))
            if not self._setup.mode.carries_output:
                self._chain = chain_after_replay(self._setup, self._chain, gop)
            self._collect(self._pool.ready())
        frames, self._frames = self._frames, []
        return frames

    def worker_pids(self) -> list[int]:
        """The process id of each worker (answered once the worker is free)."""
        return self._pool.call_all("pid")

    def close(self) -> None:
        """Stop the workers (and the local cluster this decoder started)."""
        self._cluster.close()

    def __enter__(self) -> ParallelDecoder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def _collect(self, gops: list[DecodedGop]) -> None:
        for gop in gops:
            self._frames.extend(gop.frames)
            if self._setup.mode.carries_output:
                self._chain = gop.chain

