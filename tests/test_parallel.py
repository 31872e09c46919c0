"""Scale-out on Ray: N workers write the single process's bytes and frames, survive a killed worker, and
stop on a GOP that fails for a real reason. One local Ray cluster (2 CPUs) serves the whole module."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import imageio_ffmpeg
import pytest

from gvcodec.codec import Encoder, decode_stream, encode_stream, read_stream
from gvcodec.errors import InputError, WorkerError
from gvcodec.io.frames import Yuv420Frame
from gvcodec.parallel import ParallelDecoder, ParallelEncoder
from tests.helpers import REPO, load_script, read_frames, with_short_choices

ray = pytest.importorskip("ray", reason="the parallel path needs the optional extra: pip install -e '.[ray]'")
# A local Ray cluster and a model load per worker take tens of seconds on the 2-core machine.
pytestmark = pytest.mark.slow

OPTIONS = {"codebook": 64, "atoms": 4, "steps": 3, "tail_steps": 1, "gop": 5, "quiet": True, "keep_recon": True}
CLIP = REPO / "examples" / "carphone_176x144_17f.y4m"


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[Yuv420Frame]:
    """13 frames of the repository's example clip, cropped to 64x48: three GOPs of 5 (I2V, FLF2V: 4) frames."""
    path = tmp_path_factory.mktemp("clip") / "clip.y4m"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(CLIP), "-vf", "crop=64:48:56:48", "-frames:v", "13",
         "-pix_fmt", "yuv420p", "-y", str(path)],
        check=True,
    )
    return read_frames(path)


def as_bytes(frames: list[Yuv420Frame]) -> list[bytes]:
    return [frame.to_bytes() for frame in frames]


def parallel_stream(model: Path, frames: list[Yuv420Frame], **options: object) -> tuple[bytes, list[Yuv420Frame]]:
    with ParallelEncoder(64, 48, 30, workers=2, model=str(model), **{**OPTIONS, **options}) as encoder:
        stream = encode_stream(encoder, frames)
        return stream, encoder.take_recon()


def parallel_decode(model: Path, stream: bytes) -> list[Yuv420Frame]:
    header, packets = read_stream(io.BytesIO(stream))
    with ParallelDecoder(header, model=str(model), quiet=True, workers=2) as decoder:
        return [frame for packet in (*packets, None) for frame in decoder.decode_yuv(packet)]


@pytest.mark.parametrize("mode", ["t2v", "flf2v", "i2v"])
def test_two_workers_write_the_single_process_stream_and_decode_its_frames(
    ray_cluster: None, one_thread: None, tiny_nano_folder: Path, frames: list[Yuv420Frame], mode: str
) -> None:
    encoder = Encoder(64, 48, 30, model=str(tiny_nano_folder), **OPTIONS, mode=mode)
    expected = encode_stream(encoder, frames)
    expected_recon = encoder.take_recon()
    stream, recon = parallel_stream(tiny_nano_folder, frames, mode=mode)
    assert stream == expected
    assert as_bytes(recon) == as_bytes(expected_recon)
    decoded = parallel_decode(tiny_nano_folder, stream)
    assert as_bytes(decoded) == as_bytes(decode_stream(expected, model=str(tiny_nano_folder), quiet=True))
    assert len(decoded) == len(frames)


def test_a_worker_killed_mid_gop_is_replaced_and_its_gop_coded_again(
    ray_cluster: None, one_thread: None, tiny_nano_folder: Path, frames: list[Yuv420Frame]
) -> None:
    expected = encode_stream(Encoder(64, 48, 30, model=str(tiny_nano_folder), **OPTIONS), frames)
    with ParallelEncoder(64, 48, 30, workers=2, model=str(tiny_nano_folder), **OPTIONS) as encoder:
        pids = encoder.worker_pids()
        stream = encoder.extradata
        for index, frame in enumerate((*frames, None)):
            stream += b"".join(packet.data for packet in encoder.encode(frame))
            if index == 9:
                # Frame 10 completed GOP 1, which went to the second worker: GOP 0 still holds the first.
                os.kill(pids[1], signal.SIGKILL)
        survivors = encoder.worker_pids()
    assert stream == expected
    assert pids[0] in survivors and pids[1] not in survivors


def test_a_gop_that_fails_on_its_worker_stops_the_run_naming_the_gop(
    ray_cluster: None, tiny_nano_folder: Path, frames: list[Yuv420Frame]
) -> None:
    stream = encode_stream(Encoder(64, 48, 30, model=str(tiny_nano_folder), **OPTIONS), frames)
    with pytest.raises(WorkerError, match=r"^GOP 1\b"):
        parallel_decode(tiny_nano_folder, with_short_choices(stream, 1))


def test_the_input_is_read_only_as_far_as_the_workers_need(
    ray_cluster: None, one_thread: None, tiny_nano_folder: Path, frames: list[Yuv420Frame]
) -> None:
    read = 0

    def counted(source: list[Yuv420Frame]) -> Iterator[Yuv420Frame]:
        nonlocal read
        for frame in source:
            read += 1
            yield frame

    with ParallelEncoder(64, 48, 30, workers=2, model=str(tiny_nano_folder), **OPTIONS) as encoder:
        written = 0
        for frame in counted(frames * 4):
            written += len(encoder.encode(frame))
            # 2 workers: at most 4 GOPs (of 5 frames) coding or held for an earlier one, plus the one gathering.
            assert read - 5 * written <= 5 * 5
        assert written + len(encoder.encode(None)) == 11


def test_two_workers_with_the_nano_model_write_the_single_process_stream_and_frames(
    ray_cluster: None, frames: list[Yuv420Frame]
) -> None:
    options = {"gop": 5, "quiet": True, "mode": "flf2v"}
    expected = encode_stream(Encoder(64, 48, 30, **options), frames[:9])
    with ParallelEncoder(64, 48, 30, workers=2, **options) as encoder:
        assert encode_stream(encoder, frames[:9]) == expected
    header, packets = read_stream(io.BytesIO(expected))
    with ParallelDecoder(header, quiet=True, workers=2) as decoder:
        decoded = [frame for packet in (*packets, None) for frame in decoder.decode_yuv(packet)]
    assert as_bytes(decoded) == as_bytes(decode_stream(expected, quiet=True))


def test_the_benchmark_checks_its_runs_agree_and_measures_a_process_peak(
    ray_cluster: None, one_thread: None, tiny_nano_folder: Path, frames: list[Yuv420Frame]
) -> None:
    benchmark = load_script("parallel")
    rows = benchmark.throughput_rows(frames, benchmark.TINY_RUNS, model=str(tiny_nano_folder), gop=5, quiet=True,
                                     **benchmark.TINY)
    assert [(row["workers"], row["gops"]) for row in rows] == [(0, 3), (1, 3)]
    peak = benchmark.peak_rss([sys.executable, "-c", "import time; x = bytearray(300 << 20); time.sleep(1)"], b"")
    assert 300 <= peak["process_mib"] <= peak["tree_mib"] < 600


def test_more_workers_than_the_cluster_can_hold_are_refused_before_any_starts(
    ray_cluster: None, tiny_nano_folder: Path
) -> None:
    with pytest.raises(InputError, match=r"^--workers 3 needs 3 CPUs \(1 per worker\); the Ray cluster has 2$"):
        ParallelEncoder(64, 48, 30, workers=3, threads=1, model=str(tiny_nano_folder), **OPTIONS)
