"""ReducingState: a value folded with a reduce function as elements are added."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from ..store import KvStore
from ._slot import Clock, StateSlot
from .codecs import Codec

__all__ = ["ReducingState"]

T = TypeVar("T")


class ReducingState(Generic[T]):
    """Keeps ``reduce_fn(...reduce_fn(first, second)..., last)`` of every added element.

    ``add(v)`` stores ``v`` when the state is empty (or expired) and
    ``reduce_fn(current, v)`` otherwise; each add restarts the TTL.

    Example::

        peak = ReducingState(store, "peak", FloatCodec(), max)
        peak.add(3.5)
        peak.add(1.0)
        assert peak.get() == 3.5

    On error: exceptions from ``reduce_fn`` propagate and leave the stored
    value unchanged; ``KvError`` comes from the store; ``StateCorruptedError``
    means the name holds bytes this state did not write.
    """

    def __init__(
        self,
        store: KvStore,
        name: str,
        codec: Codec[T],
        reduce_fn: Callable[[T, T], T],
        *,
        ttl: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        self._setup(StateSlot.create(store, name, "reducing", ttl, clock), codec, reduce_fn)

    @classmethod
    def _bound(cls, slot: StateSlot, codec: Codec[T], reduce_fn: Callable[[T, T], T]) -> ReducingState[T]:
        state: ReducingState[T] = cls.__new__(cls)
        state._setup(slot, codec, reduce_fn)
        return state

    def _setup(self, slot: StateSlot, codec: Codec[T], reduce_fn: Callable[[T, T], T]) -> None:
        if not callable(reduce_fn):
            raise TypeError(f"Cannot create ReducingState {slot.name!r} as reduce_fn is not callable")
        self._slot = slot
        self._codec = codec
        self._reduce = reduce_fn

    @property
    def name(self) -> str:
        """The state's name."""
        return self._slot.name

    def get(self) -> T | None:
        """Returns the reduced value, or None when nothing was added (or it expired)."""
        payload = self._slot.read()
        return None if payload is None else self._codec.decode(payload)

    def add(self, value: T) -> None:
        """Folds ``value`` into the stored result."""
        current = self.get()
        result = value if current is None else self._reduce(current, value)
        self._slot.write(self._codec.encode(result))

    def clear(self) -> None:
        """Removes the reduced value."""
        self._slot.delete()
