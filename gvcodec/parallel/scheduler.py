"""In-order scheduling of GOP jobs on Ray actors: each job goes to the next free actor, results come back
in submission order through a bounded reorder buffer."""
from __future__ import annotations

from types import ModuleType
from typing import Any

from gvcodec.errors import GvcError, WorkerError
from gvcodec.parallel.cluster import RESTARTS
from gvcodec.parallel.worker import GopFailure


class InOrderPool:
    """Runs ``method`` of ``actors`` on jobs, one job per actor at a time, and returns results in job order.

    At most ``window`` jobs are running or finished but held for an earlier one: :meth:`submit` waits while
    the window is full, which bounds both the input read ahead of the workers and the results buffered.
    """

    def __init__(self, ray: ModuleType, actors: list[Any], method: str, window: int) -> None:
        self._ray = ray
        self._method = method
        self._window = max(window, len(actors))
        self._actors = list(actors)
        self._idle = list(actors)
        self._running: dict[Any, tuple[int, int, Any]] = {}  # object ref -> (job number, GOP index, actor)
        self._finished: dict[int, Any] = {}
        self._submitted = 0
        self._returned = 0

    def call_all(self, method: str) -> list[Any]:
        """``method()`` on every actor at once, queued behind their jobs; an error it raises is raised here as it is."""
        refs = [getattr(actor, method).remote() for actor in self._actors]
        return [self._result(ref, None) for ref in refs]

    def submit(self, gop_index: int, job: object) -> None:
        """Start ``job`` (coding GOP ``gop_index``) on the next free actor, first waiting for room in the window."""
        while not self._idle or (self._running and len(self._running) + len(self._finished) >= self._window):
            self._wait_one()
        actor = self._idle.pop(0)
        ref = getattr(actor, self._method).remote(job)
        self._running[ref] = (self._submitted, gop_index, actor)
        self._submitted += 1

    def ready(self) -> list[Any]:
        """The results that are next in job order and finished, without waiting."""
        results = []
        while self._returned in self._finished:
            results.append(self._finished.pop(self._returned))
            self._returned += 1
        return results

    def drain(self) -> list[Any]:
        """Every remaining result in job order, waiting for all running jobs."""
        while self._running:
            self._wait_one()
        return self.ready()

    def _wait_one(self) -> None:
        done, _ = self._ray.wait(list(self._running), num_returns=1)
        number, gop_index, actor = self._running.pop(done[0])
        self._finished[number] = self._result(done[0], gop_index)
        self._idle.append(actor)

    def _result(self, ref: Any, gop_index: int | None) -> Any:
        """The value of ``ref``; a worker's error re-raised, naming the GOP it was coding."""
        exceptions = self._ray.exceptions
        try:
            value = self._ray.get(ref)
        except exceptions.RayTaskError as error:
            cause = error.cause
            if gop_index is None and isinstance(cause, GvcError):
                raise cause from None
            raise WorkerError(_failure(gop_index, GopFailure.of(cause).reason)) from cause
        except exceptions.RayActorError as error:
            what = "a worker" if gop_index is None else f"the worker of GOP {gop_index}"
            raise WorkerError(f"{what} died {RESTARTS + 1} times; see the Ray logs ({error})") from error
        if isinstance(value, GopFailure):
            raise WorkerError(_failure(gop_index, value.reason))
        return value


def _failure(gop_index: int | None, reason: str) -> str:
    """One line for a worker's error: what failed (the GOP, when one was being coded) and why."""
    if gop_index is None:
        return f"a worker failed: {reason}"
    return reason if reason.startswith(f"GOP {gop_index}") else f"GOP {gop_index} failed: {reason}"
