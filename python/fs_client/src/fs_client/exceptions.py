"""Errors raised by fs_client, and the mapping from server replies to them.

Every error is an ``FsError``. ``ClientError`` means the problem was found
locally (nothing was sent); ``ServerError`` and its subclasses carry the
server's message, its reply ``status_code`` (HTTP-like, e.g. 409) and, for
transport failures, the ``grpc_code``.
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ClientError",
    "ConflictError",
    "FsError",
    "FunctionStreamTimeoutError",
    "InternalServerError",
    "InvalidArgumentError",
    "NetworkError",
    "NotFoundError",
    "PackagingError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "ServerError",
    "error_from_grpc",
    "error_from_status",
]


class FsError(Exception):
    """Root of every fs_client error; catch it to handle any failed call.

    ``str(error)`` is a human message; ``original_exception`` keeps the
    underlying error when there is one.
    """

    def __init__(self, message: str, original_exception: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.original_exception = original_exception


class ClientError(FsError):
    """The request was rejected locally, before anything was sent.

    Fix what the message names (a file path, an argument, the operator class).
    """


class InvalidArgumentError(ClientError, ValueError, TypeError):
    """An argument has the wrong type or value; the message says which.

    It is also a ``ValueError`` and a ``TypeError`` because the public client
    raised those builtins for the same mistakes; catch whichever you prefer.
    """


class PackagingError(ClientError):
    """The operator's source could not be packaged for upload.

    The message names the module or statement; usually the class must be
    defined at module top level in a ``.py`` file that can be read.
    """


class ServerError(FsError):
    """The server answered with an error, or could not be reached.

    ``status_code`` is the reply's HTTP-like code (None for transport errors)
    and ``grpc_code`` the gRPC status (None for error replies). Read the
    message; the subclasses tell what to do for each common case.
    """

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        grpc_code: grpc.StatusCode | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.grpc_code = grpc_code


class NetworkError(ServerError, ConnectionError):
    """The server could not be reached (refused, reset, TLS or DNS failure).

    Check the host, port and ``secure`` setting, then retry.
    """


class FunctionStreamTimeoutError(ServerError, TimeoutError):
    """The call did not finish within its deadline (``default_timeout``).

    The operation may still have happened on the server: check with
    ``show_functions`` before retrying, or raise the timeout.
    """


class BadRequestError(ServerError):
    """The server rejected the request (400): usually the task YAML or Kafka settings.

    The message names the field; fix it in the ``WasmTaskBuilder`` calls.
    ``trigger_checkpoint`` also raises it when the function's checkpoints are
    disabled: enable them with ``configure_checkpoint(True, ...)``.
    """


class AuthenticationError(ServerError):
    """The server needs credentials (401): pass ``token=`` to ``FsClient``."""


class PermissionDeniedError(ServerError):
    """The credentials may not do this (403): use a token with more rights."""


class NotFoundError(ServerError):
    """The function (or checkpoint) does not exist (404).

    Check the name, e.g. with ``show_functions()``.
    """


class ConflictError(ServerError):
    """The name is already taken, or the function is in the wrong state (409).

    For creates: call ``drop_function`` first, or choose another task name.
    For checkpoints: ``trigger_checkpoint`` needs a running function
    (``start_function``), ``restore_checkpoint`` a stopped one (``stop_function``).
    """


class ResourceExhaustedError(ServerError):
    """A limit or quota was reached (429): wait and retry, or free resources."""


class InternalServerError(ServerError):
    """The server failed internally (500), e.g. its state storage.

    Check the server's logs and its storage directory permissions.
    """


_STATUS_TO_ERROR: Mapping[int, type[ServerError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: ResourceExhaustedError,
    500: InternalServerError,
}

_GRPC_TO_ERROR: Mapping[grpc.StatusCode, type[ServerError]] = {
    grpc.StatusCode.UNAVAILABLE: NetworkError,
    grpc.StatusCode.DEADLINE_EXCEEDED: FunctionStreamTimeoutError,
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: ConflictError,
    grpc.StatusCode.ABORTED: ConflictError,
    grpc.StatusCode.INVALID_ARGUMENT: BadRequestError,
    grpc.StatusCode.OUT_OF_RANGE: BadRequestError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.INTERNAL: InternalServerError,
    grpc.StatusCode.DATA_LOSS: InternalServerError,
}


def error_from_status(status_code: int, message: str = "") -> ServerError:
    """Returns the error for a reply whose ``status_code`` is not a success (2xx/3xx).

    Unknown codes (including 0, a reply without a status) give a plain ``ServerError``.
    """
    error_class = _STATUS_TO_ERROR.get(status_code, ServerError)
    text = message or f"Server replied with status {status_code} and no message"
    return error_class(text, status_code=status_code)


def error_from_grpc(error: grpc.RpcError) -> ServerError:
    """Returns the error for a failed gRPC call (``grpc.RpcError``).

    UNAVAILABLE gives ``NetworkError``, DEADLINE_EXCEEDED
    ``FunctionStreamTimeoutError``; codes without a specific class give a
    plain ``ServerError``. The gRPC code name is appended to the message.
    """
    code = _rpc_code(error)
    details = _rpc_details(error) or "gRPC call failed"
    error_class = _GRPC_TO_ERROR.get(code, ServerError) if code is not None else ServerError
    name = code.name if code is not None else "UNKNOWN"
    result = error_class(f"{details} (gRPC code: {name})", grpc_code=code)
    result.original_exception = error
    return result


def _rpc_code(error: grpc.RpcError) -> grpc.StatusCode | None:
    # Only call objects (grpc.Call) carry code(); a bare RpcError has none.
    code_method = getattr(error, "code", None)
    if code_method is None:
        return None
    code = code_method()
    return code if isinstance(code, grpc.StatusCode) else None


def _rpc_details(error: grpc.RpcError) -> str:
    details_method = getattr(error, "details", None)
    if details_method is None:
        return str(error)
    details = details_method()
    return details if isinstance(details, str) else ""
