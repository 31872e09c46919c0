"""Scale-out on Ray: GOPs per second against worker count, the overhead per GOP, and memory on a long pipe.

Three measurements, printed as tables and written as JSON (``--out``):

1. throughput: one clip encoded with the default nano model in-process (no Ray; 1 and 2 torch threads),
   then by 1 Ray worker of 2 threads and 2 workers of 1 thread on a local cluster (the same 2 cores);
   GOPs per second over the whole run (cluster start and model loads excluded: the clock starts at the
   first frame). Every run must write the same bytes;
2. overhead per GOP: the same with a tiny random model and the fewest steps, so a GOP costs almost nothing
   and the difference between Ray (1 worker, 1 thread) and in-process (1 thread) is the per-GOP cost of
   scheduling and of moving frames and packets; plus the pickled bytes of one GOP's job (frames in) and
   result (packet out), the time to pickle them, and the time per GOP of scheduling and moving alone
   (100 GOP jobs through the pool to a worker that answers at once);
3. memory: ``gvc-enc --workers 2`` on a raw yuv420p pipe, 1x and 10x the clip (once), tiny model: the peak RSS
   of the gvc-enc process and of its whole process tree (driver, Ray services, workers), sampled.

    python benchmarks/parallel.py [--clip examples/carphone_176x144_17f.y4m] [--gop 5] [--loops 3] [--out results.json]
"""
from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import psutil
import ray
import torch

from gvcodec.codec import Encoder, Packet
from gvcodec.gop.coder import Chain
from gvcodec.io.frames import Yuv420Frame
from gvcodec.io.y4m import Y4MReader
from gvcodec.parallel import ParallelEncoder
from gvcodec.parallel.cluster import Cluster
from gvcodec.parallel.scheduler import InOrderPool
from gvcodec.parallel.worker import EncodedGop, EncodeJob
from gvcodec.testing.tiny_wan import write_tiny_wan

REPO = Path(__file__).resolve().parents[1]
TINY = {"codebook": 64, "atoms": 4, "steps": 2, "tail_steps": 1}


def read_clip(path: Path) -> list[Yuv420Frame]:
    with open(path, "rb") as stream:
        return list(Y4MReader(stream))


def timed_encode(encoder: Encoder | ParallelEncoder, frames: list[Yuv420Frame]) -> tuple[float, list]:
    """Wall seconds from the first frame to the last packet, and the packets."""
    started = time.perf_counter()
    packets = [packet for frame in (*frames, None) for packet in encoder.encode(frame)]
    return time.perf_counter() - started, packets


# (run, workers (0: in-process), torch threads per worker or of the process)
NANO_RUNS = (("in-process", 0, 1), ("in-process", 0, 2), ("ray", 1, 2), ("ray", 2, 1))
TINY_RUNS = (("in-process", 0, 1), ("ray", 1, 1))


def throughput_rows(frames: list[Yuv420Frame], runs: tuple[tuple[str, int, int], ...], **options: object) -> list[dict]:
    """One row per run; every run must write the bytes of the first."""
    rows, reference = [], None
    width, height = frames[0].width, frames[0].height
    for run, workers, threads in runs:
        if workers:
            with ParallelEncoder(width, height, 30, workers=workers, threads=threads, **options) as encoder:
                seconds, packets = timed_encode(encoder, frames)
        else:
            torch.set_num_threads(threads)
            seconds, packets = timed_encode(Encoder(width, height, 30, **options), frames)
        data = [packet.data for packet in packets]
        if reference is not None and data != reference:
            raise SystemExit(f"{run} with {workers} worker(s) x {threads} thread(s) wrote other bytes than {rows[0]['run']}")
        reference = data
        rows.append({"run": run, "workers": workers, "threads": threads, "gops": len(packets), "seconds": seconds,
                     "gops_per_second": len(packets) / seconds, "seconds_per_gop": seconds / len(packets)})
    return rows


class EchoWorker:
    """A worker that codes nothing: it takes a GOP's job and answers a packet-sized result at once."""

    def __init__(self, threads: int, result: EncodedGop) -> None:
        self._result = result

    def code(self, job: EncodeJob) -> EncodedGop:
        return self._result


def round_trip_seconds(frames: list[Yuv420Frame], gop: int, jobs: int = 100) -> float:
    """Seconds per GOP that scheduling and moving cost alone: ``jobs`` full-GOP jobs through the pool to one
    :class:`EchoWorker` on the Ray this process initialised."""
    packet = Packet(data=bytes(45), pts=0, duration=gop, time_base=Fraction(1, 30), gop_index=0)
    cluster = Cluster(1, None)
    try:
        actors = cluster.start(EchoWorker, "cpu", 1, EncodedGop(packet=packet, recon=[], chain=None))
        pool = InOrderPool(ray, actors, "code", 2)
        job = EncodeJob(chain=Chain(), first_frame=0, frames=frames[:gop])
        pool.submit(0, job)
        pool.drain()  # the actor has started
        started = time.perf_counter()
        for index in range(jobs):
            pool.submit(index, job)
            pool.ready()
        pool.drain()
        return (time.perf_counter() - started) / jobs
    finally:
        cluster.close()


def moved_bytes(frames: list[Yuv420Frame], gop: int, model: str) -> dict:
    """Pickled bytes of one full T2V GOP's job (its frames) and result (its packet), and the seconds to
    pickle and unpickle both (best of 20)."""
    encoder = Encoder(frames[0].width, frames[0].height, 30, model=model, gop=gop, quiet=True, **TINY)
    packet = [p for frame in frames[:gop] for p in encoder.encode(frame)][0]
    job = EncodeJob(chain=Chain(), first_frame=0, frames=frames[:gop])
    result = EncodedGop(packet=packet, recon=[], chain=None)
    times = []
    for _ in range(20):
        started = time.perf_counter()
        pickle.loads(pickle.dumps(job))
        pickle.loads(pickle.dumps(result))
        times.append(time.perf_counter() - started)
    return {"job_bytes": len(pickle.dumps(job)), "result_bytes": len(pickle.dumps(result)),
            "packet_bytes": len(packet.data), "pickle_seconds": min(times)}


def peak_rss(command: list[str], stdin_data: bytes) -> dict:
    """Run ``command`` fed ``stdin_data``; the peak RSS (MiB) of the process and of its process tree."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    root = psutil.Process(process.pid)
    peaks = {"process": 0, "tree": 0}

    def sample() -> None:
        while process.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                rss = [member.memory_info().rss for member in tree]
            except psutil.Error:
                continue
            peaks["process"] = max(peaks["process"], rss[0])
            peaks["tree"] = max(peaks["tree"], sum(rss))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    _, stderr = process.communicate(stdin_data)
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{command[:4]} failed with status {process.returncode}: {stderr.decode(errors='replace')}")
    return {"process_mib": peaks["process"] / 2**20, "tree_mib": peaks["tree"] / 2**20, "seconds": seconds}


def memory_rows(frames: list[Yuv420Frame], gop: int, model: str, repeats: tuple[int, ...]) -> list[dict]:
    raw = b"".join(frame.to_bytes() for frame in frames)
    width, height = frames[0].width, frames[0].height
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for times in repeats:
            command = [sys.executable, "-m", "gvcodec.cli.enc", "-", "-s", f"{width}x{height}", "-r", "30", "-o",
                       str(Path(folder) / "out.gvc"), "--model", model, "--gop", str(gop), "--workers", "2", "-q",
                       *(f"--{name.replace('_', '-')}={value}" for name, value in TINY.items())]
            rows.append({"input_frames": len(frames) * times, **peak_rss(command, raw * times)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=REPO / "examples" / "carphone_176x144_17f.y4m")
    parser.add_argument("--gop", type=int, default=5, help="GOP length: small, so the clip has several GOPs")
    parser.add_argument("--loops", type=int, default=3, help="the clip played this many times over, for more GOPs")
    parser.add_argument("--skip-nano", action="store_true", help="only the tiny-model overhead and memory runs")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    clip = read_clip(args.clip)
    frames = clip * args.loops
    report: dict = {"clip": args.clip.name, "frames": len(frames), "gop": args.gop}

    def keep(name: str, value: object) -> None:
        """Record one part's figures, and save them at once: a later part may fail on a busy machine."""
        report[name] = value
        if args.out:
            args.out.write_text(json.dumps(report, indent=2) + "\n")

    with tempfile.TemporaryDirectory() as folder:
        tiny = str(write_tiny_wan(Path(folder), variant="nano"))
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            if not args.skip_nano:
                keep("nano", throughput_rows(frames, NANO_RUNS, model="nano", gop=args.gop, quiet=True))
            keep("tiny", throughput_rows(frames, TINY_RUNS, model=tiny, gop=args.gop, quiet=True, **TINY))
            keep("round_trip_seconds_per_gop", round_trip_seconds(frames, args.gop))
        finally:
            ray.shutdown()
        keep("moved", moved_bytes(frames, args.gop, tiny))
        keep("memory", memory_rows(clip, args.gop, tiny, (1, 10)))
    in_process, ray_one = report["tiny"][0], report["tiny"][1]
    keep("overhead_seconds_per_gop", ray_one["seconds_per_gop"] - in_process["seconds_per_gop"])
    for name in ("nano", "tiny"):
        for row in report.get(name, []):
            print(f"{name:<5} {row['run']:<10} {row['workers']} worker(s) x {row['threads']} thread(s) "
                  f"{row['gops']:>3} GOPs {row['seconds']:>8.2f} s "
                  f"{row['gops_per_second']:>7.3f} GOP/s {row['seconds_per_gop']:>7.3f} s/GOP")
    print(f"overhead per GOP (tiny, ray 1 worker - in-process): {report['overhead_seconds_per_gop'] * 1000:.0f} ms; "
          f"scheduling and moving alone (no model): {report['round_trip_seconds_per_gop'] * 1000:.1f} ms")
    moved = report["moved"]
    print(f"moved per GOP: job {moved['job_bytes']} B, result {moved['result_bytes']} B (packet "
          f"{moved['packet_bytes']} B); pickling both ways {moved['pickle_seconds'] * 1000:.2f} ms")
    for row in report["memory"]:
        print(f"memory {row['input_frames']:>4} frames piped: gvc-enc {row['process_mib']:.0f} MiB, "
              f"tree {row['tree_mib']:.0f} MiB, {row['seconds']:.1f} s")


if __name__ == "__main__":
    main()
