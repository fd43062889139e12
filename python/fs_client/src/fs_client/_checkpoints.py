"""Conversions for the checkpoint RPCs: wire messages to ``CheckpointInfo``, and argument checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .exceptions import InvalidArgumentError, ServerError
from .models import CheckpointInfo, CheckpointPosition

__all__ = ["INT64_MAX", "check_checkpoint_id", "checkpoint_from_message"]

INT64_MAX = 2**63 - 1
"""The largest checkpoint id the wire (int64) can carry."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def check_checkpoint_id(checkpoint_id: object) -> int:
    """Returns ``checkpoint_id`` if it is an int in 0..2**63-1; raises InvalidArgumentError otherwise.

    ``bool`` is refused although it is an ``int``: ``True`` is never meant as id 1.
    """
    if isinstance(checkpoint_id, bool) or not isinstance(checkpoint_id, int):
        raise InvalidArgumentError(
            f"Cannot restore a checkpoint as checkpoint_id must be an int: current value is {checkpoint_id!r}"
        )
    if checkpoint_id < 0 or checkpoint_id > INT64_MAX:
        raise InvalidArgumentError(
            "Cannot restore a checkpoint as checkpoint_id must be between 0 and 2**63-1: "
            f"current value is {checkpoint_id}"
        )
    return checkpoint_id


def checkpoint_from_message(message: Any) -> CheckpointInfo:
    """Converts a ``function_stream.CheckpointInfo`` message to a ``CheckpointInfo``.

    Raises ServerError when ``created_at_ms`` is outside what ``datetime`` can hold.
    """
    try:
        # Integer arithmetic: exact to the millisecond, unlike a float timestamp.
        created_at = _EPOCH + timedelta(milliseconds=int(message.created_at_ms))
    except OverflowError as error:
        raise ServerError(
            f"Cannot read checkpoint {message.checkpoint_id} as its created_at_ms is out of range: "
            f"current value is {message.created_at_ms}"
        ) from error
    positions = tuple(
        CheckpointPosition(topic=p.topic, partition=int(p.partition), next_offset=int(p.next_offset))
        for p in message.positions
    )
    return CheckpointInfo(
        checkpoint_id=int(message.checkpoint_id),
        created_at=created_at,
        size_bytes=int(message.size_bytes),
        positions=positions,
    )
