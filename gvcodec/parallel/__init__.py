"""Scale-out: GOPs coded in parallel by Ray actors, packets and frames back in stream order (DESIGN.md, Scale-out).

:class:`ParallelEncoder` and :class:`ParallelDecoder` have the shape of :class:`gvcodec.Encoder` and
:class:`gvcodec.Decoder` (``encode(frame) -> packets``, ``decode_yuv(packet) -> frames``, ``None`` flushes)
and write the same bytes. Ray is imported only when one of them is opened, so the single-process path
never loads it; without Ray installed, opening one says how to install it.
"""
from __future__ import annotations

from gvcodec.parallel.decoder import ParallelDecoder
from gvcodec.parallel.encoder import ParallelEncoder

__all__ = ["ParallelDecoder", "ParallelEncoder"]
