"""The parallel encoder: frames in, packets out in stream order, GOPs coded by Ray actors."""
from __future__ import annotations

from fractions import Fraction
from types import TracebackType

import av
import numpy as np

from container import decode_header
from gvcodec.codec import Packet
from gvcodec.errors import InputError
from gvcodec.gop.coder import Chain, StreamSetup, chain_after_code
from gvcodec.gop.pixels import as_yuv420
from gvcodec.io.frames import Yuv420Frame
from gvcodec.options import check_picture_size, encoder_options
from gvcodec.parallel.cluster import Cluster, actor_device
from gvcodec.parallel.scheduler import InOrderPool
from gvcodec.parallel.worker import EncodedGop, EncodeJob, EncodeWorker


class ParallelEncoder:
    """:class:`gvcodec.Encoder` with its GOPs coded by ``workers`` Ray actors; the same bytes, in stream order.

    ``ray_address``: an existing Ray cluster (``"auto"``: the one ``ray start`` made); by default the Ray this
    process initialised, else a local cluster for the encoder's lifetime. ``threads``: torch threads of
    each CPU worker (default: this machine's cores split between the workers). ``encode(frame)`` returns the
    packets finished so far in stream order (often none: their GOPs are still coding) and waits only while
    ``2 * workers`` GOPs are coding or held for an earlier one; ``encode(None)`` waits for all. T2V GOPs
    are independent, FLF2V ones too once the anchors (coded here, ahead) are known; I2V GOPs start on the
    decoded last frame of the GOP before, so they are coded one after another. Close the encoder (or use
    it in a ``with``) to stop the workers.
    """

    def __init__(
        self,
        width: int,
        height: int,
        rate: Fraction | int | float,
        frame_count: int | None = None,
        workers: int = 2,
        ray_address: str | None = None,
        threads: int | None = None,
        **options: object,
    ) -> None:
        checked = encoder_options(**options)
        if checked.target_bpp is not None:
            raise InputError(
                "--target-bpp sizes each GOP from the bytes of the GOPs before it, so it cannot be coded in "
                "parallel: drop --workers, or set the rate with --atoms"
            )
        check_picture_size(width, height)
        self._cluster = Cluster(workers, ray_address)
        try:
            actors = self._cluster.start(
                EncodeWorker, checked.device, threads, width, height, rate, frame_count,
                {**options, "device": actor_device(checked.device)},
            )
            self._pool = InOrderPool(self._cluster.ray, actors, "code", 2 * workers)
            (self.extradata, self._settings), *_ = self._pool.call_all("setup")
        except BaseException:
            self._cluster.close()
            raise
        self.header = decode_header(self.extradata)
        self.width, self.height = width, height
        self._setup = StreamSetup.of(self.header)
        self._chain = Chain()
        self._gop_index = 0
        self._frames: list[Yuv420Frame] = []
        self._first_frame = 0
        self._packets: list[Packet] = []
        self._recon: list[Yuv420Frame] = []

    @property
    def time_base(self) -> Fraction:
        return 1 / self.header.fps

    def encode(self, frame: Yuv420Frame | av.VideoFrame | np.ndarray | None) -> list[Packet]:
        """Queue one frame (``None`` flushes); return the packets finished so far, in stream order."""
        if frame is None:
            if self._frames:
                self._submit()
            self._collect(self._pool.drain())
        else:
            self._frames.append(as_yuv420(frame))
            if len(self._frames) == self._setup.mode.new_frames(self._gop_index, self._setup.gop_length):
                self._submit()
            self._collect(self._pool.ready())
        packets, self._packets = self._packets, []
        return packets

    def take_recon(self) -> list[Yuv420Frame]:
        """The reconstruction of the packets returned so far (``keep_recon=True``), then forget it."""
        recon, self._recon = self._recon, []
        return recon

    def worker_pids(self) -> list[int]:
        """The process id of each worker (answered once the worker is free)."""
        return self._pool.call_all("pid")

    def close(self) -> None:
        """Stop the workers (and the local cluster this encoder started)."""
        self._cluster.close()

    def __enter__(self) -> ParallelEncoder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def _submit(self) -> None:
        """Hand the buffered GOP to the next free worker, with the chain the GOP before it leaves."""
        frames, mode = self._frames, self._setup.mode
        if mode.carries_output:
            self._collect(self._pool.drain())
        self._pool.submit(self._gop_index, EncodeJob(chain=self._chain, first_frame=self._first_frame, frames=frames))
        if not mode.carries_output:
            self._chain = chain_after_code(self._setup, self._chain, frames, self._settings)
        self._gop_index += 1
        self._first_frame += len(frames)
        self._frames = []

    def _collect(self, gops: list[EncodedGop]) -> None:
        for gop in gops:
            self._packets.append(gop.packet)
            self._recon.extend(gop.recon)
            if self._setup.mode.carries_output:
                self._chain = gop.chain
