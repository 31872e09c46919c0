"""gvcodec: a generative video codec. A pretrained rectified-flow video model is the codec.

Public API (PyAV-like): :class:`Encoder`, :class:`Decoder`, :class:`Packet`, :func:`read_stream`.
"""
from gvcodec.codec import Decoder, Encoder, Packet, read_stream

__version__ = "0.1.0"
__all__ = ["Decoder", "Encoder", "Packet", "read_stream", "__version__"]
