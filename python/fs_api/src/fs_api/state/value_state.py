"""ValueState: one typed value."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

from ..store import KvStore
from ._slot import Clock, StateSlot
from .codecs import Codec

__all__ = ["ValueState"]

T = TypeVar("T")


class ValueState(Generic[T]):
    """A single value of type ``T``, stored under the state's name.

    ``ttl`` (seconds) makes the value read as absent once it is older than
    that; it is removed on the next access. The write time comes from
    ``clock`` (default ``time.time``).

    Example::

        total = ValueState(store, "total", IntCodec())
        total.update((total.value() or 0) + 1)

    On error: ``KvError`` from the store (see ``fs_api.errors``);
    ``StateCorruptedError`` when the stored bytes were not written by a
    ValueState (give each state its own name); codec errors (TypeError,
    ValueError) when a value does not fit the codec.
    """

    def __init__(
        self,
        store: KvStore,
        name: str,
        codec: Codec[T],
        *,
        ttl: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        self._setup(StateSlot.create(store, name, "value", ttl, clock), codec)

    @classmethod
    def _bound(cls, slot: StateSlot, codec: Codec[T]) -> ValueState[T]:
        state: ValueState[T] = cls.__new__(cls)
        state._setup(slot, codec)
        return state

    def _setup(self, slot: StateSlot, codec: Codec[T]) -> None:
        self._slot = slot
        self._codec = codec

    @property
    def name(self) -> str:
        """The state's name."""
        return self._slot.name

    def value(self, default: T | None = None) -> T | None:
        """Returns the stored value, or ``default`` when absent or expired."""
        payload = self._slot.read()
        return default if payload is None else self._codec.decode(payload)

    def update(self, value: T) -> None:
        """Replaces the stored value (and restarts its TTL)."""
        self._slot.write(self._codec.encode(value))

    def clear(self) -> None:
        """Removes the value."""
        self._slot.delete()
