"""``with`` support shared by every reader and writer: leaving the block closes the object."""
from __future__ import annotations

from types import TracebackType
from typing import TypeVar

Closing = TypeVar("Closing", bound="ClosesOnExit")


class ClosesOnExit:
    """Mixin: ``__enter__`` returns the object, ``__exit__`` calls its ``close()``."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: Closing) -> Closing:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
