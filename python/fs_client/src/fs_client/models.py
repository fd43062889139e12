"""Plain result types returned by ``FsClient`` (independent of protobuf)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FunctionInfo", "ShowFunctionsResult"]


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
