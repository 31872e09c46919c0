"""Rate points of gvc-bench: one clip coded by one codec at one setting, measured against the source.

A point is a flat dict (one CSV row): clip, codec, setting, bytes, bpp, the metrics, encode and decode
seconds, device; gvcodec points also split their bytes into header, anchors, codebook, residual and framing. Points are appended to a JSON-lines file as soon as they are measured, so an
interrupted run resumes where it stopped.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from container import decode_packet, packet_sections
from gvcodec.bench.baselines import encode_baseline
from gvcodec.codec import Encoder, decode_stream
from gvcodec.io.frames import VideoInfo, Yuv420Frame
from gvcodec.io.y4m import Y4MReader, Y4MWriter
from gvcodec.metrics import evaluate
from gvcodec.rate import bits_per_pixel


@dataclass(frozen=True)
class Clip:
    """The first ``frames`` frames of an evaluation clip, held in memory."""

    name: str
    info: VideoInfo
    frames: tuple[Yuv420Frame, ...]


@dataclass(frozen=True)
class GvcSetting:
    """One gvcodec operating point: a mode and encoder options (atoms, codebook...)."""

    mode: str
    options: tuple[tuple[str, object], ...]

    @property
    def label(self) -> str:
        return f"{self.mode} " + " ".join(f"{key}={value}" for key, value in self.options)


def load_clip(path: Path, frames: int | None) -> Clip:
    """Read up to ``frames`` frames of a ``.y4m`` clip."""
    with open(path, "rb") as stream:
        reader = Y4MReader(stream)
        kept = []
        for frame in reader:
            if frames is not None and len(kept) == frames:
                break
            kept.append(frame)
    info = VideoInfo(reader.info.width, reader.info.height, reader.info.fps, len(kept))
    return Clip(name=path.stem, info=info, frames=tuple(kept))


def write_clip(clip: Clip, path: Path) -> Path:
    """Write the clip's frames as a ``.y4m`` (the baselines code exactly the frames gvcodec codes)."""
    with open(path, "wb") as stream:
        writer = Y4MWriter(stream, clip.info.width, clip.info.height, clip.info.fps)
        for frame in clip.frames:
            writer.write(frame)
        writer.close()
    return path


def gvcodec_point(clip: Clip, setting: GvcSetting, model: str, device: str, metrics: Sequence[str]) -> dict:
    """Encode and decode the clip through the public codec API and measure the result."""
    options = dict(setting.options)
    started = time.monotonic()
    encoder = Encoder(
        clip.info.width, clip.info.height, clip.info.fps, frame_count=len(clip.frames),
        mode=setting.mode, model=model, device=device, quiet=True, **options,
    )
    stream = bytearray(encoder.extradata)
    sections = Counter({"header": len(stream)})
    for frame in (*clip.frames, None):
        for packet in encoder.encode(frame):
            stream += packet.data
            sections.update(packet_sections(decode_packet(packet.data), len(packet.data)))
    encode_seconds = time.monotonic() - started
    started = time.monotonic()
    decoded = decode_stream(bytes(stream), backbone=encoder.backbone, quiet=True)
    decode_seconds = time.monotonic() - started
    point = _point(clip, "gvcodec", setting.label, len(stream), decoded, encode_seconds, decode_seconds, device, metrics)
    return {**point, **{f"{name}_bytes": size for name, size in sections.items()}}


def baseline_point(clip: Clip, codec: str, quality: int, workdir: Path, preset: str | None, metrics: Sequence[str]) -> dict:
    """Encode and decode the clip with a conventional codec through ffmpeg and measure the result."""
    source = workdir / f"{clip.name}.y4m"
    if not source.exists():
        write_clip(clip, source)
    result = encode_baseline(source, codec, quality, workdir, preset=preset)
    decoded = load_clip(result.decoded, None).frames
    return _point(
        clip, codec, f"q={quality}", result.stream_bytes, decoded, result.encode_seconds, result.decode_seconds,
        "cpu", metrics,
    )


def _point(clip: Clip, codec: str, setting: str, size: int, decoded: Sequence[Yuv420Frame], encode_seconds: float,
           decode_seconds: float, device: str, metrics: Sequence[str]) -> dict:
    frames = len(clip.frames)
    return {
        "clip": clip.name,
        "codec": codec,
        "setting": setting,
        "frames": frames,
        "width": clip.info.width,
        "height": clip.info.height,
        "bytes": size,
        "bpp": bits_per_pixel(size, frames, clip.info.width, clip.info.height),
        **evaluate(clip.frames, decoded, metrics),
        "encode_seconds": round(encode_seconds, 3),
        "decode_seconds": round(decode_seconds, 3),
        "device": device,
    }


def point_key(point: dict) -> tuple[str, str, str]:
    return point["clip"], point["codec"], point["setting"]


def read_points(path: Path) -> Iterator[dict]:
    """The points already measured (a resumed run skips them)."""
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                yield json.loads(line)


def append_point(path: Path, point: dict) -> None:
    with open(path, "a") as stream:
        stream.write(json.dumps(point) + "\n")
