"""cffi (API mode) build of ``gvcodec.native._atoms`` from ``atoms.c``; ``setup.py`` lists ``ffi`` in ``cffi_modules``.

Flags stay valid on any x86-64 (or other) CPU: the AVX2 kernel is selected at run time, never by -march.
``pip install -e .`` compiles the extension in place; after editing ``atoms.c``, run it again.
"""
from __future__ import annotations

import sys
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
DECLARATIONS = """
int gvc_simd_available(void);
int gvc_atom_scores(uint32_t seed, uint32_t gop, uint32_t position, const float *residual, size_t dim,
                    uint64_t first, uint64_t end, const float *table, int use_simd, float *scores);
int gvc_generate_atoms(uint32_t seed, uint32_t gop, uint32_t position, const uint32_t *atoms, size_t count,
                       size_t dim, const float *table, int use_simd, float *out);
"""

ffi = FFI()
ffi.cdef(DECLARATIONS)
ffi.set_source(
    "gvcodec.native._atoms",
    (HERE / "atoms.c").read_text(encoding="utf-8"),
    extra_compile_args=[] if sys.platform == "win32" else ["-O3"],
)
