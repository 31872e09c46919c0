"""What every training phase shares: a wall-clock budget, its progress bar, periodic logs and checkpoints,
and the optimiser step."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import torch
from tqdm import tqdm

from gvcodec.train.schedules import warmup_cosine

LOG_EVERY_SECONDS = 15.0


class PhaseClock:
    """Runs a phase whose whole budget is ``seconds`` of wall clock, ``spent`` of which earlier chunks already
    used, and stops at ``deadline`` (a ``time.monotonic()`` value; the end of this chunk) if that comes first.

    Iterate :meth:`ticks` for the training progress in ``[0, 1)`` over the whole budget, call
    :meth:`after_step` after each step; :attr:`spent` is the phase's total so far.
    """

    def __init__(
        self,
        name: str,
        seconds: float,
        checkpoint: Callable[[], None],
        checkpoint_every: float,
        spent: float = 0.0,
        deadline: float = float("inf"),
    ) -> None:
        self.name = name
        self.seconds = seconds
        self._before = spent
        self._deadline = deadline
        self._checkpoint = checkpoint
        self._checkpoint_every = checkpoint_every
        self._bar = tqdm(total=round(seconds), initial=round(spent), desc=name, unit="s", mininterval=5.0)
        self.start = self._last_checkpoint = self._last_log = time.monotonic()

    def ticks(self) -> Iterator[float]:
        """Progress ``spent / seconds`` before each step, until the budget is spent or the chunk ends."""
        while self.spent < self.seconds and time.monotonic() < self._deadline:
            yield self.spent / self.seconds
        self._bar.close()

    def after_step(self, log: Callable[[float], str], **postfix: object) -> None:
        """Advance the bar; every 15 s write ``log(spent)``; checkpoint every ``checkpoint_every`` s."""
        now = time.monotonic()
        self._bar.update(round(self.spent) - self._bar.n)
        self._bar.set_postfix(postfix, refresh=False)
        if now - self._last_log >= LOG_EVERY_SECONDS:
            tqdm.write(f"{self.name} {log(self.spent)}")
            self._last_log = now
        if now - self._last_checkpoint >= self._checkpoint_every:
            self._checkpoint()
            self._last_checkpoint = now

    @property
    def elapsed(self) -> float:
        """Seconds of this chunk."""
        return time.monotonic() - self.start

    @property
    def spent(self) -> float:
        """Seconds of the phase over all chunks."""
        return self._before + self.elapsed


def set_learning_rate(optimizer: torch.optim.Optimizer, peak: float, progress: float, warmup: float) -> None:
    """``lr = peak * warmup_cosine(progress)`` on every parameter group."""
    for group in optimizer.param_groups:
        group["lr"] = peak * warmup_cosine(progress, warmup)


def optimise(module: torch.nn.Module, optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One optimiser step on ``loss``, gradients clipped to norm 1."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
    optimizer.step()
