"""The Ray side of a parallel run: joining or starting a cluster, starting GOP worker actors, stopping both."""
from __future__ import annotations

import logging
import os
import signal
from types import ModuleType
from typing import Any

from gvcodec.errors import InputError, InstallError

INSTALL_HINT = "--workers needs Ray, which is not installed: pip install 'gvcodec[ray]' (or pip install 'ray[default]')"
# A killed worker process is restarted (its model reloaded) and its GOP run again this many times.
RESTARTS = 3


def import_ray() -> ModuleType:
    """The ``ray`` module, or :class:`InstallError` saying how to install it."""
    try:
        import ray
    except ImportError as error:
        raise InstallError(INSTALL_HINT) from error
    return ray


def cpu_threads_per_worker(workers: int, cpus: int | None = None) -> int:
    """Torch threads of each of ``workers`` CPU actors sharing ``cpus`` cores (default: this machine's)."""
    return max(1, (cpus or os.cpu_count() or 1) // workers)


class Cluster:
    """A Ray connection for one run: to ``address`` (``"auto"``: the cluster ``ray start`` made), to the Ray
    this process already initialised, or else a local cluster started here and shut down by :meth:`close`."""

    def __init__(self, workers: int, address: str | None) -> None:
        if workers < 1:
            raise InputError(f"--workers must be 1 or more, got {workers}")
        self.ray = import_ray()
        self.workers = workers
        self.owned = not self.ray.is_initialized()
        if self.owned:
            # Ray installs its own SIGTERM handler; keep ours, which turns SIGTERM into a clean interrupt.
            handler = signal.getsignal(signal.SIGTERM)
            # Ray's notices (its start, its authentication token) are not the codec's: stderr keeps our lines.
            logging.getLogger("ray").setLevel(logging.ERROR)
            cpus = None if address else max(workers, os.cpu_count() or 1)
            self.ray.init(
                address=address or "local", num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                logging_level=logging.ERROR, configure_logging=False,
            )
            signal.signal(signal.SIGTERM, handler)
        self.actors: list[Any] = []

    def start(self, worker_class: type, device: str, threads: int | None, *args: object) -> list[Any]:
        """``workers`` actors of ``worker_class(threads, *args)``: one GPU each on CUDA, else ``threads`` cores
        each (default: this machine's cores split between them)."""
        on_gpu = device.startswith("cuda")
        if threads is None:
            threads = 1 if on_gpu else cpu_threads_per_worker(self.workers)
        resource, each = ("GPU", 1) if on_gpu else ("CPU", threads)
        total = self.ray.cluster_resources().get(resource, 0)
        if self.workers * each > total:
            # Ray would keep the extra actors pending for ever.
            raise InputError(
                f"--workers {self.workers} needs {self.workers * each:g} {resource}s ({each:g} per worker); "
                f"the Ray cluster has {total:g}"
            )
        actor_class = self.ray.remote(worker_class).options(
            num_gpus=1 if on_gpu else 0, num_cpus=threads, max_restarts=RESTARTS, max_task_retries=RESTARTS,
        )
        self.actors = [actor_class.remote(threads, *args) for _ in range(self.workers)]
        return self.actors

    def close(self) -> None:
        """Stop this run's actors: shut down the cluster this run started, else kill the actors in it."""
        if self.owned:
            # Killing actors with GOPs in flight makes Ray print a retry notice; a shutdown stops them quietly.
            if self.ray.is_initialized():
                self.ray.shutdown()
        else:
            for actor in self.actors:
                self.ray.kill(actor, no_restart=True)
        self.actors = []


def actor_device(device: str) -> str:
    """The device an actor codes on: Ray gives each CUDA actor one GPU, which it sees as ``cuda``."""
    return "cuda" if device.startswith("cuda") else device
