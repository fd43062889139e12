"""Plain result types returned by ``FsClient`` (independent of protobuf)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["CheckpointInfo", "CheckpointPosition", "FunctionInfo", "FunctionStatus", "ShowFunctionsResult"]


@dataclass(frozen=True)
class FunctionInfo:
    """One function as listed by ``show_functions``.

    ``status`` is an upper-case word such as RUNNING, STOPPED or FAILED.
    """

    name: str
    task_type: str
    status: str


@dataclass
class ShowFunctionsResult:
    """The reply of ``show_functions``: status code, message and the matching functions.

    Error replies never reach this type: they raise a ``ServerError`` subclass.
    """

    status_code: int
    message: str
    functions: list[FunctionInfo] = field(default_factory=list)


@dataclass(frozen=True)
class FunctionStatus:
    """One function's status with its last error, as returned by ``get_function_status``.

    ``last_error`` is None when the function has not failed since it last
    started; otherwise it starts with a one-line summary, then the traceback.
    """

    name: str
    task_type: str
    status: str
    last_error: str | None = None


@dataclass(frozen=True)
class CheckpointPosition:
    """Where a function resumes reading one input partition after a restore to the checkpoint.

    ``next_offset`` is the offset of the next record to read (a 64-bit integer).
    """

    topic: str
    partition: int
    next_offset: int


@dataclass(frozen=True)
class CheckpointInfo:
    """One complete checkpoint of a function, as returned by ``list_checkpoints``.

    ``checkpoint_id`` increases per function and is never reused; pass it to
    ``restore_checkpoint``. ``created_at`` is when it was taken, a
    timezone-aware UTC ``datetime`` (millisecond precision; the wire carries
    milliseconds since the epoch). ``size_bytes`` is what the server stores
    for it. ``positions`` holds the input position of every partition the
    function had read, as a tuple so the record stays immutable and hashable.
    """

    checkpoint_id: int
    created_at: datetime
    size_bytes: int
    positions: tuple[CheckpointPosition, ...] = ()
