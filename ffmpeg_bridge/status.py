"""libgvc's status codes (the ``gvc_status`` enum of ``gvc.h``) and the code each Python error maps to."""
from __future__ import annotations

from enum import IntEnum

from gvcodec.errors import InputError, ModelError, StreamError


class Status(IntEnum):
    """Mirror of ``gvc_status`` in ``gvc.h``; the tests check that the two agree."""

    OK = 0
    EAGAIN = -1
    EOF = -2
    EINVAL = -3
    EMODEL = -4
    ESTREAM = -5
    ENOMEM = -6
    EINTERNAL = -7


def status_of(error: BaseException) -> Status:
    """The status a C caller gets for ``error``; anything not raised on purpose is ``EINTERNAL``."""
    if isinstance(error, InputError):
        return Status.EINVAL
    if isinstance(error, ModelError):
        return Status.EMODEL
    if isinstance(error, StreamError):
        return Status.ESTREAM
    if isinstance(error, MemoryError):
        return Status.ENOMEM
    return Status.EINTERNAL
