"""Limits a stream must keep within, tighter than its field types: a decoder checks them before it
allocates or computes anything, so a header of a few bytes cannot ask for unbounded work.

A value past a limit is refused on write (``FieldValueError``) and on read (``LimitExceededError``); the
encoder's option ranges come from the same table, so no encoder writes a stream a decoder refuses.
"""
from __future__ import annotations

LIMITS: dict[str, int] = {
    "width": 8192,
    "height": 8192,
    "gop_length": 1025,
    "sampler.num_steps": 1000,
    "sampler.tail_steps": 1000,
    "sampler.codebook_size": 1 << 20,
    "sampler.atoms": 1024,
    "atom_counts": 1024,
    "prompt_length": 1 << 16,
    "data_length": 1 << 26,
    "frame_count": 1 << 22,
}
"""Largest value of each limited field, by its path in the schema (``sampler.atoms``) or its name.

A stream holds at most 2^22 frames (38 hours at 30 fps): the header's frame count and every packet's last
frame, so that decoding past damage, which writes a stand-in for every missing frame, stays bounded too.

K <= 2^20 and M <= 1024 keep the exact binomials of the rank coding cheap: unranking the largest index
set costs about 0.1 ms per byte of its payload, so decoding time stays linear in the input.
"""

SHIFT_RANGE = (1e-3, 1e3)
"""Timestep shifts ``s`` a stream may declare: far outside it the warped schedule degenerates."""

G_SCALE_RANGE = (0.0, 100.0)
"""SDE noise scales ``g_scale`` a stream may declare."""

MAX_TAIL_FRAMES = 255
"""Most latent frames a tail residual section covers: its payload counts them in one byte."""
