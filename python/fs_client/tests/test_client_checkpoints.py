"""FsClient checkpoint calls (trigger, list, restore) against the in-process fake FunctionStreamService."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

import grpc
import pytest
from client_test_support import FakeServer
from fs_client._proto import function_stream_pb2 as pb

from fs_client import (
    AuthenticationError,
    BadRequestError,
    CheckpointInfo,
    CheckpointPosition,
    ConflictError,
    FsClient,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
)

INT64_MAX = 2**63 - 1
BIG_ID = 2**62 + 3  # beyond what a double holds exactly
CREATED_MS = 1_764_055_075_123  # 2025-11-25 07:17:55.123 UTC


def client_for(server: FakeServer) -> FsClient:
    return FsClient(host="127.0.0.1", port=server.port, default_timeout=10.0)


def test_trigger_checkpoint_sends_the_name_and_returns_the_64_bit_id(fake_server: FakeServer) -> None:
    fake_server.state.checkpoint_id = BIG_ID
    with client_for(fake_server) as client:
        checkpoint_id = client.trigger_checkpoint("etl")
    assert checkpoint_id == BIG_ID
    assert type(checkpoint_id) is int
    assert [r.function_name for r in fake_server.state.requests("TriggerCheckpoint")] == ["etl"]


def test_list_checkpoints_returns_typed_frozen_records_oldest_first(fake_server: FakeServer) -> None:
    fake_server.state.checkpoints = [
        pb.CheckpointInfo(checkpoint_id=7, created_at_ms=CREATED_MS, size_bytes=512),
        pb.CheckpointInfo(
            checkpoint_id=BIG_ID,
            created_at_ms=CREATED_MS + 1001,
            size_bytes=2**40,
            positions=[
                pb.CheckpointPosition(topic="in", partition=0, next_offset=12),
                pb.CheckpointPosition(topic="in", partition=3, next_offset=INT64_MAX),
            ],
        ),
    ]
    with client_for(fake_server) as client:
        checkpoints = client.list_checkpoints("etl")
    assert checkpoints == [
        CheckpointInfo(
            checkpoint_id=7,
            created_at=datetime(2025, 11, 25, 7, 17, 55, 123_000, tzinfo=UTC),
            size_bytes=512,
            positions=(),
        ),
        CheckpointInfo(
            checkpoint_id=BIG_ID,
            created_at=datetime(2025, 11, 25, 7, 17, 56, 124_000, tzinfo=UTC),
            size_bytes=2**40,
            positions=(
                CheckpointPosition(topic="in", partition=0, next_offset=12),
                CheckpointPosition(topic="in", partition=3, next_offset=INT64_MAX),
            ),
        ),
    ]
    newest = checkpoints[-1]
    assert newest.created_at.utcoffset() is not None
    assert int(newest.created_at.timestamp() * 1000) == CREATED_MS + 1001
    with pytest.raises(dataclasses.FrozenInstanceError):
        newest.checkpoint_id = 1  # type: ignore[misc]
    assert len({newest, newest}) == 1  # hashable: positions is a tuple
    assert [r.function_name for r in fake_server.state.requests("ListCheckpoints")] == ["etl"]


def test_list_checkpoints_of_a_function_without_any_is_empty(fake_server: FakeServer) -> None:
    with client_for(fake_server) as client:
        assert client.list_checkpoints("etl") == []


def test_restore_checkpoint_sends_the_exact_64_bit_id_and_returns_true(fake_server: FakeServer) -> None:
    with client_for(fake_server) as client:
        assert client.restore_checkpoint("etl", BIG_ID) is True
        assert client.restore_checkpoint("etl", 0) is True
    requests = fake_server.state.requests("RestoreCheckpoint")
    assert [(r.function_name, r.checkpoint_id) for r in requests] == [("etl", BIG_ID), ("etl", 0)]


@pytest.mark.parametrize("bad_id", [-1, INT64_MAX + 1, True, "3", 3.0, None])
def test_restore_checkpoint_rejects_a_bad_id_before_anything_is_sent(fake_server: FakeServer, bad_id: object) -> None:
    with client_for(fake_server) as client, pytest.raises(InvalidArgumentError, match="checkpoint_id") as caught:
        client.restore_checkpoint("etl", bad_id)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert fake_server.state.calls == []


CALLS: dict[str, Callable[[FsClient], object]] = {
    "TriggerCheckpoint": lambda client: client.trigger_checkpoint("etl"),
    "ListCheckpoints": lambda client: client.list_checkpoints("etl"),
    "RestoreCheckpoint": lambda client: client.restore_checkpoint("etl", 5),
}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, NotFoundError),
        (409, ConflictError),
        (400, BadRequestError),
        (500, InternalServerError),
        (503, ServerError),
    ],
)
@pytest.mark.parametrize("method", sorted(CALLS))
def test_checkpoint_error_replies_raise_the_mapped_exception_with_the_server_message(
    fake_server: FakeServer, method: str, status: int, expected: type[ServerError]
) -> None:
    fake_server.state.replies[method] = (status, f"{method} failed on purpose")
    fake_server.state.checkpoints = [pb.CheckpointInfo(checkpoint_id=1)]
    with client_for(fake_server) as client, pytest.raises(expected) as caught:
        CALLS[method](client)
    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert str(caught.value) == f"{method} failed on purpose"


def test_checkpoint_calls_map_grpc_errors_and_send_the_token(fake_server: FakeServer) -> None:
    fake_server.state.aborts["TriggerCheckpoint"] = (grpc.StatusCode.UNAUTHENTICATED, "no token")
    with FsClient(host="127.0.0.1", port=fake_server.port, token="s3cret") as client:
        with pytest.raises(AuthenticationError, match="no token") as caught:
            client.trigger_checkpoint("etl")
        assert caught.value.grpc_code is grpc.StatusCode.UNAUTHENTICATED
        client.list_checkpoints("etl")
    assert all(call.metadata["authorization"] == "Bearer s3cret" for call in fake_server.state.calls)


def test_a_created_at_beyond_datetime_raises_server_error(fake_server: FakeServer) -> None:
    fake_server.state.checkpoints = [pb.CheckpointInfo(checkpoint_id=1, created_at_ms=INT64_MAX)]
    with client_for(fake_server) as client, pytest.raises(ServerError, match="created_at_ms is out of range"):
        client.list_checkpoints("etl")
