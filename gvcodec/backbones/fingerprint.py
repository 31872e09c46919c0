"""Model fingerprints: a 32-byte digest of a model folder's configs and weights, written into every stream.

Every weight file is hashed on every load: a digest cached by path, size and mtime goes stale when a file
is changed in place with those restored, and a stale digest would let a different model decode a stream.
"""
from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable
from pathlib import Path

FINGERPRINT_TAG = b"gvcodec-model-fingerprint-v1"
CHUNK_BYTES = 8 << 20
# Keys a library writes about itself when saving; they do not change the model.
_METADATA_PREFIX = "_"
_METADATA_KEYS = frozenset({"transformers_version"})


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
    for path in sorted(contents, key=lambda p: _relative(root, p)):
        _update_field(digest, _relative(root, path).encode("utf-8"))
        _update_field(digest, file_sha256(path))
    return digest.digest()


def _relative(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root).as_posix()


def _update_field(digest: hashlib._Hash, field: bytes) -> None:
    digest.update(struct.pack(">Q", len(field)))
    digest.update(field)
