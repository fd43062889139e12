"""Exception hierarchy and the mapping of reply status codes and gRPC errors."""

from __future__ import annotations

import grpc
import pytest
from fs_client.exceptions import error_from_grpc, error_from_status

from fs_client import exceptions as ex


class FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self._code = code
        self._details = details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


def test_hierarchy_follows_the_spec() -> None:
    assert issubclass(ex.ClientError, ex.FsError)
    assert issubclass(ex.ServerError, ex.FsError)
    for cls in (
        ex.BadRequestError,
        ex.AuthenticationError,
        ex.PermissionDeniedError,
        ex.NotFoundError,
        ex.ConflictError,
        ex.ResourceExhaustedError,
        ex.InternalServerError,
        ex.NetworkError,
        ex.FunctionStreamTimeoutError,
    ):
        assert issubclass(cls, ex.ServerError), cls
    assert issubclass(ex.InvalidArgumentError, ex.ClientError)
    assert issubclass(ex.PackagingError, ex.ClientError)


def test_network_and_timeout_errors_are_also_the_builtin_kinds() -> None:
    network = ex.NetworkError("refused", grpc_code=grpc.StatusCode.UNAVAILABLE)
    timeout = ex.FunctionStreamTimeoutError("slow", status_code=None, grpc_code=grpc.StatusCode.DEADLINE_EXCEEDED)
    assert isinstance(network, ConnectionError)
    assert isinstance(timeout, TimeoutError)
    assert str(network) == "refused" and str(timeout) == "slow"
    assert network.grpc_code is grpc.StatusCode.UNAVAILABLE and network.status_code is None


def test_server_error_keeps_message_status_code_and_grpc_code() -> None:
    error = ex.ServerError("boom", status_code=503, grpc_code=None)
    assert (str(error), error.message, error.status_code, error.grpc_code) == ("boom", "boom", 503, None)
    assert ex.ServerError("positional", 500, grpc.StatusCode.INTERNAL).grpc_code is grpc.StatusCode.INTERNAL


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ex.BadRequestError),
        (401, ex.AuthenticationError),
        (403, ex.PermissionDeniedError),
        (404, ex.NotFoundError),
        (409, ex.ConflictError),
        (422, ex.BadRequestError),
        (429, ex.ResourceExhaustedError),
        (500, ex.InternalServerError),
        (501, ex.ServerError),
        (503, ex.ServerError),
        (0, ex.ServerError),
    ],
)
def test_reply_status_maps_to_its_exception(status: int, expected: type[ex.ServerError]) -> None:
    error = error_from_status(status, "server says no")
    assert type(error) is expected
    assert error.status_code == status
    assert str(error) == "server says no"


def test_reply_without_message_still_gets_a_readable_one() -> None:
    assert "404" in str(error_from_status(404, ""))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (grpc.StatusCode.UNAVAILABLE, ex.NetworkError),
        (grpc.StatusCode.DEADLINE_EXCEEDED, ex.FunctionStreamTimeoutError),
        (grpc.StatusCode.UNAUTHENTICATED, ex.AuthenticationError),
        (grpc.StatusCode.PERMISSION_DENIED, ex.PermissionDeniedError),
        (grpc.StatusCode.NOT_FOUND, ex.NotFoundError),
        (grpc.StatusCode.ALREADY_EXISTS, ex.ConflictError),
        (grpc.StatusCode.INVALID_ARGUMENT, ex.BadRequestError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, ex.ResourceExhaustedError),
        (grpc.StatusCode.INTERNAL, ex.InternalServerError),
        (grpc.StatusCode.UNIMPLEMENTED, ex.ServerError),
        (grpc.StatusCode.UNKNOWN, ex.ServerError),
        (grpc.StatusCode.CANCELLED, ex.ServerError),
    ],
)
def test_grpc_code_maps_to_its_exception(code: grpc.StatusCode, expected: type[ex.ServerError]) -> None:
    original = FakeRpcError(code, "details here")
    error = error_from_grpc(original)
    assert type(error) is expected
    assert error.grpc_code is code
    assert error.status_code is None
    assert "details here" in str(error) and code.name in str(error)
    assert error.original_exception is original


def test_a_bare_rpc_error_without_code_is_a_server_error() -> None:
    error = error_from_grpc(grpc.RpcError("odd"))
    assert type(error) is ex.ServerError
    assert error.grpc_code is None


def test_every_exception_is_exported_from_the_package() -> None:
    import fs_client

    for name in ex.__all__:
        if name[0].isupper():
            assert getattr(fs_client, name) is getattr(ex, name), name
