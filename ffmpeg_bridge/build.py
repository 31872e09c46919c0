"""Build libgvc.so (gvcodec's C library, a cffi embedding of its Python API) and the C examples.

    python ffmpeg_bridge/build.py OUTDIR              # OUTDIR/libgvc.so
    python ffmpeg_bridge/build.py OUTDIR --examples   # and OUTDIR/gvc_encode_any, OUTDIR/gvc_decode_raw

Run it with the Python of the environment where gvcodec is installed: the library links that
Python's libpython and, when it starts, puts that environment's site-packages and this checkout's
``ffmpeg_bridge`` on its ``sys.path``. The examples need a C compiler, ``pkg-config`` and FFmpeg's
development packages (Debian: libavformat-dev libavcodec-dev libswscale-dev libavutil-dev).
"""
from __future__ import annotations

import argparse
import shlex
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

BRIDGE = Path(__file__).resolve().parent
HEADER = BRIDGE / "gvc.h"
GLUE = BRIDGE / "libgvc.c"
MODULE = "_libgvc"
LIBRARY = "libgvc.so"
EXAMPLES = ("gvc_encode_any", "gvc_decode_raw")
FFMPEG_PACKAGES = ("libavformat", "libavcodec", "libswscale", "libavutil")
API_BEGIN, API_END = "/* GVC-API-BEGIN", "/* GVC-API-END */"

# The Python half of each gvc.h call (capi.py), called from libgvc.c.
PYTHON_FUNCTIONS = """
extern "Python" {
    int gvc_py_encoder_config_init(gvc_encoder_config *cfg);
    int gvc_py_encoder_open(const gvc_encoder_config *cfg, gvc_encoder **out);
    int gvc_py_encoder_encode(gvc_encoder *enc, const uint8_t *const *planes, const int *strides);
    int gvc_py_encoder_flush(gvc_encoder *enc);
    int gvc_py_encoder_receive(gvc_encoder *enc, const uint8_t **data, size_t *size);
    int gvc_py_encoder_close(gvc_encoder *enc);
    int gvc_py_decoder_open(const char *model, const char *device, gvc_decoder **out);
    int gvc_py_decoder_feed(gvc_decoder *dec, const uint8_t *data, size_t n);
    int gvc_py_decoder_flush(gvc_decoder *dec);
    int gvc_py_decoder_receive_frame(gvc_decoder *dec, gvc_frame *out);
    int gvc_py_decoder_get_info(gvc_decoder *dec, gvc_stream_info *out);
    int gvc_py_decoder_close(gvc_decoder *dec);
}
void gvc_set_last_error(const char *message);
"""


class BuildError(Exception):
    """A build step failed; the message says which and what to install or fix."""


def api_declarations(header: str) -> str:
    """The declarations between gvc.h's GVC-API-BEGIN and GVC-API-END markers, for cffi's ``cdef``."""
    start, end = header.find(API_BEGIN), header.find(API_END)
    if start < 0 or end < start:
        raise BuildError(f"{HEADER} lacks its GVC-API-BEGIN / GVC-API-END markers")
    return header[header.index("\n", start) + 1 : end]


def python_paths() -> list[str]:
    """Where the embedded interpreter must look: this checkout (for ``ffmpeg_bridge``), then site dirs."""
    sites = [*site.getsitepackages(), site.getusersitepackages()]
    return [str(BRIDGE.parent), *(path for path in sites if Path(path).is_dir())]


def init_code(paths: list[str]) -> str:
    """Python run once when the library starts: find gvcodec, keep stdout for the C program, load capi."""
    return f"""
import site
import sys

for path in {paths[1:]!r}:
    site.addsitedir(path)
if {paths[0]!r} not in sys.path:
    sys.path.insert(0, {paths[0]!r})
# A C program may write video to stdout; nothing from Python may land there.
sys.stdout = sys.stderr
import ffmpeg_bridge.capi
"""


def build_library(out_dir: Path, verbose: bool = False) -> Path:
    """Compile ``OUT_DIR/libgvc.so``; returns its path."""
    import cffi

    builder = cffi.FFI()
    builder.cdef(api_declarations(HEADER.read_text(encoding="utf-8")) + PYTHON_FUNCTIONS)
    builder.embedding_init_code(init_code(python_paths()))
    libdir = sysconfig.get_config_var("LIBDIR")
    builder.set_source(
        MODULE,
        GLUE.read_text(encoding="utf-8"),
        include_dirs=[str(BRIDGE)],
        library_dirs=[libdir],
        extra_link_args=[f"-Wl,-rpath,{libdir}"],
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="libgvc-build-") as work:
        built = Path(builder.compile(tmpdir=work, target=LIBRARY, verbose=verbose))
        target = out_dir / LIBRARY
        shutil.copyfile(built, target)
    return target


def ffmpeg_flags() -> list[str]:
    """Compiler and linker flags for FFmpeg's libraries, from pkg-config."""
    if shutil.which("pkg-config") is None:
        raise BuildError("pkg-config is not installed (Debian: apt-get install pkg-config)")
    result = subprocess.run(["pkg-config", "--cflags", "--libs", *FFMPEG_PACKAGES], capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(
            f"pkg-config does not find FFmpeg's development files ({result.stderr.strip()}); Debian: apt-get "
            "install libavformat-dev libavcodec-dev libswscale-dev libavutil-dev"
        )
    return shlex.split(result.stdout)


def build_examples(out_dir: Path, library: Path) -> list[Path]:
    """Compile the C examples against ``gvc.h`` and ``library``; returns the programs' paths."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise BuildError("no C compiler (cc) found (Debian: apt-get install gcc)")
    flags = ffmpeg_flags()
    programs = []
    for name in EXAMPLES:
        program = out_dir / name
        command = [
            compiler, "-std=c11", "-O2", "-Wall", "-Wextra", f"-I{BRIDGE}", str(BRIDGE / "examples" / f"{name}.c"),
            "-o", str(program), *flags, f"-L{library.parent}", "-lgvc", f"-Wl,-rpath,{library.parent.resolve()}",
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(f"compiling {name}.c failed:\n{shlex.join(command)}\n{result.stderr}")
        programs.append(program)
    return programs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="Build libgvc.so and the C examples.")
    parser.add_argument("out_dir", type=Path, help="folder for libgvc.so (and the examples)")
    parser.add_argument("--examples", action="store_true", help="also build gvc_encode_any and gvc_decode_raw")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the compiler commands")
    args = parser.parse_args(argv)
    try:
        library = build_library(args.out_dir, args.verbose)
        built = [library, *(build_examples(args.out_dir, library) if args.examples else [])]
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    for path in built:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
