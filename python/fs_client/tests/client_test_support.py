"""Test support for fs_client: an in-process fake FunctionStreamService (imported by conftest and tests)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from fs_client._proto import function_stream_pb2 as pb
from fs_client._proto import function_stream_pb2_grpc as pb_grpc

__all__ = ["DATA_DIR", "FakeServer", "FakeService", "FakeState", "Recorded"]

DATA_DIR = Path(__file__).parent / "data"

Reply = tuple[int, str]


@dataclass
class Recorded:
    method: str
    request: Any
    metadata: dict[str, str]


@dataclass
class FakeState:
    """What the fake server received, and what it answers (per RPC name)."""

    calls: list[Recorded] = field(default_factory=list)
    replies: dict[str, Reply] = field(default_factory=dict)
    aborts: dict[str, tuple[grpc.StatusCode, str]] = field(default_factory=dict)
    functions: list[tuple[str, str, str]] = field(default_factory=list)
    sql_data: bytes | None = None
    """The ``data`` field of ExecuteSql replies (absent when None)."""
    checkpoint_id: int = 1
    """The ``checkpoint_id`` of TriggerCheckpoint replies."""
    checkpoints: list[Any] = field(default_factory=list)
    """The ``pb.CheckpointInfo`` messages of ListCheckpoints replies."""
    hold: threading.Event | None = None
    """When set to an Event, every handler waits (at most 5 s) until it is set."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self, method: str) -> list[Any]:
        with self.lock:
            return [call.request for call in self.calls if call.method == method]


class FakeService(pb_grpc.FunctionStreamServiceServicer):
    """Records every request; answers the configured status (default: 200, 201 for creates)."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    def _handle(self, method: str, request: Any, context: grpc.ServicerContext, default: int) -> Reply:
        with self.state.lock:
            self.state.calls.append(Recorded(method, request, dict(context.invocation_metadata())))
        if self.state.hold is not None:
            self.state.hold.wait(5)
        if method in self.state.aborts:
            code, details = self.state.aborts[method]
            context.abort(code, details)
        return self.state.replies.get(method, (default, f"{method} ok"))

    def _response(self, method: str, request: Any, context: grpc.ServicerContext, default: int = 200) -> pb.Response:
        code, message = self._handle(method, request, context, default)
        return pb.Response(status_code=code, message=message)

    def ExecuteSql(self, request, context):  # noqa: N802
        reply = self._response("ExecuteSql", request, context)
        if self.state.sql_data is not None:
            reply.data = self.state.sql_data
        return reply

    def CreateFunction(self, request, context):  # noqa: N802
        return self._response("CreateFunction", request, context, 201)

    def CreatePythonFunction(self, request, context):  # noqa: N802
        return self._response("CreatePythonFunction", request, context, 201)

    def DropFunction(self, request, context):  # noqa: N802
        return self._response("DropFunction", request, context)

    def StartFunction(self, request, context):  # noqa: N802
        return self._response("StartFunction", request, context)

    def StopFunction(self, request, context):  # noqa: N802
        return self._response("StopFunction", request, context)

    def ShowFunctions(self, request, context):  # noqa: N802
        code, message = self._handle("ShowFunctions", request, context, 200)
        infos = [pb.FunctionInfo(name=n, task_type=t, status=s) for n, t, s in self.state.functions]
        return pb.ShowFunctionsResponse(status_code=code, message=message, functions=infos)

    def TriggerCheckpoint(self, request, context):  # noqa: N802
        code, message = self._handle("TriggerCheckpoint", request, context, 201)
        checkpoint_id = self.state.checkpoint_id if code < 400 else 0
        return pb.TriggerCheckpointResponse(status_code=code, message=message, checkpoint_id=checkpoint_id)

    def ListCheckpoints(self, request, context):  # noqa: N802
        code, message = self._handle("ListCheckpoints", request, context, 200)
        checkpoints = self.state.checkpoints if code < 400 else []
        return pb.ListCheckpointsResponse(status_code=code, message=message, checkpoints=checkpoints)

    def RestoreCheckpoint(self, request, context):  # noqa: N802
        return self._response("RestoreCheckpoint", request, context)


@dataclass
class FakeServer:
    port: int
    state: FakeState
