"""``FsClient``: the gRPC control client of a Function Stream server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import grpc

from ._checkpoints import check_checkpoint_id, checkpoint_from_message
from ._proto import function_stream_pb2 as pb
from ._proto import function_stream_pb2_grpc as pb_grpc
from .config import WasmTaskConfig
from .exceptions import ClientError, InvalidArgumentError, NotFoundError, error_from_grpc, error_from_status
from .models import CheckpointInfo, FunctionInfo, FunctionStatus, ShowFunctionsResult
from .packaging import collect_modules

__all__ = ["FsClient"]

_log = logging.getLogger("fs_client")

ChannelOptions = Sequence[tuple[str, Any]]


class _Reply(Protocol):
    status_code: int
    message: str


class FsClient:
    """Registers, starts, stops, lists and drops functions on a Function Stream server, and checkpoints them.

    Use it as a context manager (or call ``close()``). Every call uses
    ``default_timeout`` seconds as its gRPC deadline unless given ``timeout=``.
    On error a call raises: ``NetworkError`` when the server cannot be
    reached, ``FunctionStreamTimeoutError`` when the deadline passes, and for
    error replies the ``ServerError`` subclass of the reply's status
    (``BadRequestError`` 400: fix the config; ``NotFoundError`` 404: check the
    name or checkpoint id; ``ConflictError`` 409: drop the function or rename
    the task, or start/stop it for a checkpoint call;
    ``InternalServerError`` 500: see the server logs), with the server's
    message. Local mistakes raise ``ClientError`` subclasses before anything is sent.

    ``token`` sends ``authorization: Bearer <token>`` with every call;
    ``metadata`` adds other headers. ``secure=True`` uses TLS, verified with
    ``root_certificates`` (PEM bytes) or the system roots. A given ``channel``
    is used as is and not closed by ``close()``.
    """

    DEFAULT_TIMEOUT = 30.0

    DEFAULT_OPTIONS: ChannelOptions = (
        # Pings only while a call is open: servers reject idle pings more often than every 5 minutes.
        ("grpc.keepalive_time_ms", 60_000),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.max_receive_message_length", 64 * 1024 * 1024),
        ("grpc.max_send_message_length", 64 * 1024 * 1024),
    )

    def __init__(
        self,
        host: str = "localhost",
        port: int = 8080,
        secure: bool = False,
        channel: grpc.Channel | None = None,
        options: ChannelOptions | None = None,
        default_timeout: float = DEFAULT_TIMEOUT,
        *,
        token: str | None = None,
        root_certificates: bytes | None = None,
        metadata: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        if default_timeout is not None and default_timeout <= 0:
            raise InvalidArgumentError(
                f"Cannot use default_timeout as it must be positive: current value is {default_timeout!r}"
            )
        self.target = f"{host}:{port}"
        self.default_timeout = default_timeout
        self._metadata: tuple[tuple[str, str], ...] = tuple(metadata or ())
        if token:
            self._metadata += (("authorization", f"Bearer {token}"),)
        self._owns_channel = channel is None
        if channel is None:
            merged = list(self.DEFAULT_OPTIONS) + list(options or ())
            if secure:
                credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
                channel = grpc.secure_channel(self.target, credentials, options=merged)
            else:
                channel = grpc.insecure_channel(self.target, options=merged)
            _log.debug("connecting to %s (secure=%s)", self.target, secure)
        self._channel: grpc.Channel | None = channel
        self._stub = pb_grpc.FunctionStreamServiceStub(channel)  # type: ignore[no-untyped-call]

    # Registering functions.

    def create_python_function_from_config(
        self, config: WasmTaskConfig | str, driver_class: type, timeout: float | None = None
    ) -> bool:
        """Packages ``driver_class`` and its local modules and registers it with ``config``.

        The class must subclass ``fs_api.FSProcessorDriver`` (else
        InvalidArgumentError, also a TypeError). Its module and the local
        modules it imports are uploaded in dependency order, the class's
        module last; see ``fs_client.packaging`` for what is left out of a
        script that also runs this call. Returns True; raises ConflictError
        when the name is taken.
        """
        modules = collect_modules(driver_class)
        config_content = config if isinstance(config, str) else config.to_yaml()
        return self.create_python_function(driver_class.__name__, modules, config_content, timeout)

    def create_python_function(
        self,
        class_name: str,
        modules: list[tuple[str, bytes]],
        config_content: str,
        timeout: float | None = None,
    ) -> bool:
        """Registers (and starts) a Python function from module sources; returns True.

        ``modules`` are ``(dotted_name, source)`` pairs in import order; the
        class ``class_name`` is defined in the last one.
        """
        if not class_name or not isinstance(class_name, str):
            raise InvalidArgumentError(
                f"Cannot register a function as class_name is empty: current value is {class_name!r}"
            )
        if not modules:
            raise InvalidArgumentError("Cannot register a function without modules: current value is []")
        proto_modules = []
        for name, source in modules:
            data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
            proto_modules.append(pb.PythonModule(module_name=name, module_bytes=data))
        request = pb.CreatePythonFunctionRequest(
            class_name=class_name, modules=proto_modules, config_content=_text(config_content)
        )
        _log.info("creating Python function: class %s, %d module(s)", class_name, len(proto_modules))
        self._call("CreatePythonFunction", self._stub.CreatePythonFunction, request, timeout)
        return True

    def create_function_from_files(
        self, function_path: str | Path, config_path: str | Path, timeout: float | None = None
    ) -> bool:
        """Registers a WASM function from a module file and a YAML config file; returns True.

        Raises FileNotFoundError when a file is missing, ClientError when it cannot be read.
        """
        paths = (Path(function_path), Path(config_path))
        for path in paths:
            if not path.is_file():
                raise FileNotFoundError(f"Cannot read {path} as it does not exist")
        try:
            function_bytes, config_bytes = (path.read_bytes() for path in paths)
        except OSError as error:
            raise ClientError(f"Cannot read the function files: {error}", error) from error
        return self._create_function(function_bytes, config_bytes, timeout)

    def create_function_from_bytes(
        self, function_bytes: bytes, config_content: str | bytes, timeout: float | None = None
    ) -> bool:
        """Registers a WASM function from module bytes and YAML text; returns True."""
        return self._create_function(bytes(function_bytes), _text(config_content).encode("utf-8"), timeout)

    def _create_function(self, function_bytes: bytes, config_bytes: bytes, timeout: float | None) -> bool:
        request = pb.CreateFunctionRequest(function_bytes=function_bytes, config_bytes=config_bytes)
        self._call("CreateFunction", self._stub.CreateFunction, request, timeout)
        return True

    # Controlling functions.

    def start_function(self, function_name: str, timeout: float | None = None) -> bool:
        """Starts a stopped function (a running one stays running); returns True."""
        request = pb.StartFunctionRequest(function_name=function_name)
        self._call("StartFunction", self._stub.StartFunction, request, timeout)
        return True

    def stop_function(self, function_name: str, timeout: float | None = None) -> bool:
        """Stops a function, keeping its state (a stopped one stays stopped); returns True."""
        request = pb.StopFunctionRequest(function_name=function_name)
        self._call("StopFunction", self._stub.StopFunction, request, timeout)
        return True

    def drop_function(self, function_name: str, timeout: float | None = None) -> bool:
        """Stops and removes a function; returns True. NotFoundError when it does not exist."""
        request = pb.DropFunctionRequest(function_name=function_name)
        self._call("DropFunction", self._stub.DropFunction, request, timeout)
        return True

    def show_functions(self, filter_pattern: str | None = None, timeout: float | None = None) -> ShowFunctionsResult:
        """Lists functions whose name matches the glob ``filter_pattern`` (all when None)."""
        request = pb.ShowFunctionsRequest()
        if filter_pattern is not None:
            request.filter = filter_pattern
        reply = self._call("ShowFunctions", self._stub.ShowFunctions, request, timeout)
        functions = [FunctionInfo(name=f.name, task_type=f.task_type, status=f.status) for f in reply.functions]
        return ShowFunctionsResult(status_code=reply.status_code, message=reply.message, functions=functions)

    def execute_sql(self, sql: str, timeout: float | None = None) -> str:
        """Runs one SQL statement on the server and returns its reply message."""
        reply = self._call("ExecuteSql", self._stub.ExecuteSql, pb.SqlRequest(sql=sql), timeout)
        return str(reply.message)

    def get_function_status(self, name: str, timeout: float | None = None) -> FunctionStatus:
        """Returns one function's status and last error.

        Raises NotFoundError when no function has that name.
        """
        reply = self._call("ExecuteSql", self._stub.ExecuteSql, pb.SqlRequest(sql="SHOW FUNCTIONS"), timeout)
        rows = json.loads(bytes(reply.data).decode("utf-8")) if reply.HasField("data") else []
        for row in rows:
            if row.get("name") == name:
                return FunctionStatus(
                    name=row["name"],
                    task_type=row.get("task_type", ""),
                    status=row.get("status", ""),
                    last_error=row.get("last_error"),
                )
        raise NotFoundError(f"Function '{name}' does not exist", 404, None)

    # Checkpoints.

    def trigger_checkpoint(self, function_name: str, timeout: float | None = None) -> int:
        """Takes a checkpoint of a running function now; returns its id once it is complete.

        The call waits for the whole checkpoint, so a large state may need a
        longer ``timeout``. Raises NotFoundError for an unknown function,
        ConflictError when it is not running, BadRequestError when its task
        config does not enable checkpoints.
        """
        request = pb.TriggerCheckpointRequest(function_name=function_name)
        reply = self._call("TriggerCheckpoint", self._stub.TriggerCheckpoint, request, timeout)
        return int(reply.checkpoint_id)

    def list_checkpoints(self, function_name: str, timeout: float | None = None) -> list[CheckpointInfo]:
        """Returns a function's complete checkpoints, oldest first (empty when it has none).

        Raises NotFoundError for an unknown function.
        """
        request = pb.ListCheckpointsRequest(function_name=function_name)
        reply = self._call("ListCheckpoints", self._stub.ListCheckpoints, request, timeout)
        return [checkpoint_from_message(message) for message in reply.checkpoints]

    def restore_checkpoint(self, function_name: str, checkpoint_id: int, timeout: float | None = None) -> bool:
        """Rewinds a stopped function's state and input positions to a checkpoint; returns True.

        The checkpoints taken after it are deleted; ``start_function`` then
        resumes from the checkpoint. ``checkpoint_id`` must be an int from
        ``list_checkpoints`` or ``trigger_checkpoint`` (else
        InvalidArgumentError, nothing sent). Raises NotFoundError for an
        unknown function or checkpoint, ConflictError when the function is
        not stopped.
        """
        request = pb.RestoreCheckpointRequest(
            function_name=function_name, checkpoint_id=check_checkpoint_id(checkpoint_id)
        )
        self._call("RestoreCheckpoint", self._stub.RestoreCheckpoint, request, timeout)
        return True

    # Plumbing.

    def _call(self, name: str, method: Callable[..., Any], request: Any, timeout: float | None) -> Any:
        if self._channel is None:
            raise ClientError(f"Cannot call {name} as the client is closed")
        deadline = self.default_timeout if timeout is None else timeout
        try:
            reply = method(request, timeout=deadline, metadata=self._metadata or None)
        except grpc.RpcError as error:
            mapped = error_from_grpc(error)
            _log.debug("%s failed: %s", name, mapped)
            raise mapped from error
        _check(name, reply)
        return reply

    def close(self) -> None:
        """Closes the channel this client opened; calls afterwards raise ClientError. Idempotent."""
        channel, self._channel = self._channel, None
        if channel is not None and self._owns_channel:
            channel.close()

    def __enter__(self) -> FsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _check(name: str, reply: _Reply) -> None:
    code = int(reply.status_code)
    if 200 <= code < 400:
        return
    _log.debug("%s replied %d: %s", name, code, reply.message)
    raise error_from_status(code, reply.message)


def _text(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    raise InvalidArgumentError(
        f"Cannot use the config as it must be str or bytes: current value is {type(value).__name__}"
    )
