"""Model fingerprints: a 32-byte digest of a model folder's configs and weights, written into every stream.

Real checkpoints are many gigabytes, so the SHA-256 of each weight file is cached in
``$XDG_CACHE_HOME/gvcodec/fingerprints.json`` (default ``~/.cache``), keyed by the file's absolute path and
trusted only while its size and ``mtime_ns`` are unchanged. The cache is an optimisation: a missing or
corrupt cache is recomputed and rewritten, never an error.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path

FINGERPRINT_TAG = b"gvcodec-model-fingerprint-v1"
CHUNK_BYTES = 8 << 20
# Keys a library writes about itself when saving; they do not change the model.
_METADATA_PREFIX = "_"
_METADATA_KEYS = frozenset({"transformers_version"})


def cache_file() -> Path:
    """The digest cache: ``$XDG_CACHE_HOME/gvcodec/fingerprints.json``, ``~/.cache`` when unset."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gvcodec" / "fingerprints.json"


def canonical_config(path: Path) -> bytes:
    """A config file as canonical JSON (sorted keys, no whitespace), without library metadata keys."""
    config = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(config, dict):
        config = {
            key: value
            for key, value in config.items()
            if not key.startswith(_METADATA_PREFIX) and key not in _METADATA_KEYS
        }
    return json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def file_sha256(path: Path) -> bytes:
    """SHA-256 of a file's bytes, read in chunks so multi-gigabyte weights never sit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.digest()


def folder_fingerprint(root: Path, configs: Iterable[Path], contents: Iterable[Path]) -> bytes:
    """``sha256(tag || (relpath, canonical config)* || (relpath, sha256(file))*)``, each sorted by relpath.

    Every field is length-prefixed so that no two different folders can feed the hash the same bytes.
    Paths are relative to ``root``, so a copied or moved folder keeps its fingerprint.
    """
    root = root.resolve()
    digest = hashlib.sha256(FINGERPRINT_TAG)
    for path in sorted(configs, key=lambda p: _relative(root, p)):
        _update_field(digest, _relative(root, path).encode("utf-8"))
        _update_field(digest, canonical_config(path))
    cache = _read_cache(cache_file())
    changed = False
    for path in sorted(contents, key=lambda p: _relative(root, p)):
        file_digest, fresh = _cached_file_sha256(path, cache)
        changed |= fresh
        _update_field(digest, _relative(root, path).encode("utf-8"))
        _update_field(digest, file_digest)
    if changed:
        _write_cache(cache_file(), cache)
    return digest.digest()


def _relative(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root).as_posix()


def _update_field(digest: hashlib._Hash, field: bytes) -> None:
    digest.update(struct.pack(">Q", len(field)))
    digest.update(field)


def _cached_file_sha256(path: Path, cache: dict[str, dict]) -> tuple[bytes, bool]:
    """The file's digest and whether it had to be computed (cache miss)."""
    key = str(path.resolve())
    stat = path.stat()
    entry = cache.get(key)
    if entry is not None and entry["size"] == stat.st_size and entry["mtime_ns"] == stat.st_mtime_ns:
        return bytes.fromhex(entry["sha256"]), False
    file_digest = file_sha256(path)
    cache[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": file_digest.hex()}
    return file_digest, True


def _read_cache(path: Path) -> dict[str, dict]:
    """The cached entries; anything unreadable or malformed counts as absent (the cache is rebuilt)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != 1:
        return {}
    files = data.get("files")
    if not isinstance(files, dict):
        return {}
    return {key: entry for key, entry in files.items() if _valid_entry(entry)}


def _valid_entry(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    size, mtime_ns, sha = entry.get("size"), entry.get("mtime_ns"), entry.get("sha256")
    if not (isinstance(size, int) and isinstance(mtime_ns, int) and isinstance(sha, str) and len(sha) == 64):
        return False
    try:
        bytes.fromhex(sha)
    except ValueError:
        return False
    return True


def _write_cache(path: Path, entries: dict[str, dict]) -> None:
    """Atomically replace the cache file; failing to write it only costs a recomputation next time."""
    tmp_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as tmp:
            json.dump({"version": 1, "files": entries}, tmp, sort_keys=True, indent=1)
        os.replace(tmp_name, path)
    except OSError as error:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
        warnings.warn(
            f"could not write the model fingerprint cache {path} ({error}); "
            "fingerprints will be recomputed from the weights next time",
            stacklevel=3,
        )
