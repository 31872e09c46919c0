"""Compiled kernels (cffi, API mode) for the hot loops that torch cannot fuse on the CPU.

``atoms``: the fused generate-and-dot of the codebook atoms used by the encoder's atom search.
"""
