"""Plain result types returned by ``FsClient`` (independent of protobuf)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FunctionInfo", "FunctionStatus", "ShowFunctionsResult"]


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
