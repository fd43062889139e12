"""Keyed states: one state per key, reached with ``for_key(key)``.

Every keyed state is a family of the matching unkeyed state: ``for_key(key)``
returns a ``ValueState`` / ``ListState`` / ``MapState`` / ``ReducingState`` /
``AggregatingState`` scoped to that key, with the same API. Views are cheap
(no store access) and may be created per record::

    per_user = KeyedValueState(store, "clicks", StrCodec(), IntCodec())
    clicks = per_user.for_key(event["user"])
    clicks.update((clicks.value() or 0) + 1)

Layout: ``ComplexKey(key_group=<name>, key=key_codec.encode(key),
namespace=b"fs.state/keyed/<kind>", user_key=...)``; the namespace keeps keyed
entries apart from an unkeyed state of the same name, even for a key that
encodes to b"". See ``fs_api.state`` for the whole layout.

On error: codec errors when a key does not fit ``key_codec``; ``KvOtherError``
when the encoded key makes the ComplexKey longer than ``MAX_KEY_BYTES`` (use
shorter keys, for example a hash); otherwise as for the unkeyed states.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from ..store import KvStore
from ._slot import Clock, StateSlot
from .aggregating_state import AggregateFunction, AggregatingState
from .codecs import Codec
from .list_state import ListState
from .map_state import MapState
from .reducing_state import ReducingState
from .value_state import ValueState

__all__ = [
    "KeyedAggregatingState",
    "KeyedListState",
    "KeyedMapState",
    "KeyedReducingState",
    "KeyedValueState",
]

K = TypeVar("K")
T = TypeVar("T")
UK = TypeVar("UK")
IN = TypeVar("IN")
ACC = TypeVar("ACC")
OUT = TypeVar("OUT")


class _Keyed(Generic[K]):
    """The part every keyed state shares: its slot family and key codec."""

    def __init__(self, slot: StateSlot, key_codec: Codec[K]) -> None:
        self._family = slot
        self._key_codec = key_codec

    @property
    def name(self) -> str:
        """The state's name."""
        return self._family.name

    def _slot_for(self, key: K) -> StateSlot:
        encoded = self._key_codec.encode(key)
        if not isinstance(encoded, bytes):
            raise TypeError(
                f"Cannot scope state {self._family.name!r} by {key!r} as the key codec returned "
                f"{type(encoded).__name__}, not bytes"
            )
        return self._family.keyed(encoded)


class KeyedValueState(_Keyed[K], Generic[K, T]):
    """One ``ValueState[T]`` per key; ``for_key(key)`` returns it."""

    def __init__(
        self,
        store: KvStore,
        name: str,
        key_codec: Codec[K],
        codec: Codec[T],
        *,
        ttl: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(StateSlot.create(store, name, "value", ttl, clock), key_codec)
        self._codec = codec

    def for_key(self, key: K) -> ValueState[T]:
        """Returns the value state of ``key``."""
        return ValueState._bound(self._slot_for(key), self._codec)


class KeyedListState(_Keyed[K], Generic[K, T]):
    """One ``ListState[T]`` per key; ``for_key(key)`` returns it."""

    def __init__(
        self,
        store: KvStore,
        name: str,
        key_codec: Codec[K],
        codec: Codec[T],
        *,
        ttl: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(StateSlot.create(store, name, "list", ttl, clock), key_codec)
        self._codec = codec

    def for_key(self, key: K) -> ListState[T]:
        """Returns the list state of ``key``."""
        return ListState._bound(self._slot_for(key), self._codec)


class KeyedMapState(_Keyed[K], Generic[K, UK, T]):
    """One ``MapState[UK, T]`` per key; ``for_key(key)`` returns it."""

    def __init__(
        self,
        store: KvStore,
        name: str,
        key_codec: Codec[K],
        map_key_codec: Codec[UK],
        value_codec: Codec[T],
        *,
        ttl: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(StateSlot.create(store, name, "map", ttl, clock), key_codec)
        self._map_key_codec = map_key_codec
        self._value_codec = value_codec

    def for_key(self, key: K) -> MapState[UK, T]:
        """Returns the map state of ``key``."""
        return MapState._bound(self._slot_for(key), self._map_key_codec, self._value_codec)


class KeyedReducingState(_Keyed[K], Generic[K, T]):
    """One ``ReducingState[T]`` per key; ``for_key(key)`` returns it."""

    def __init__(
        self,
        store: KvStore,
        name: str,
        key_codec: Codec[K],
        codec: Codec[T],
        reduce_fn: Callable[[T, T], T],
        *,
        ttl: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(StateSlot.create(store, name, "reducing", ttl, clock), key_codec)
        if not callable(reduce_fn):
            raise TypeError(f"Cannot create KeyedReducingState {name!r} as reduce_fn is not callable")
        self._codec = codec
        self._reduce = reduce_fn

    def for_key(self, key: K) -> ReducingState[T]:
        """Returns the reducing state of ``key``."""
        return ReducingState._bound(self._slot_for(key), self._codec, self._reduce)


class KeyedAggregatingState(_Keyed[K], Generic[K, IN, ACC, OUT]):
    """One ``AggregatingState[IN, ACC, OUT]`` per key; ``for_key(key)`` returns it."""

    def __init__(
        self,
        store: KvStore,
        name: str,
        key_codec: Codec[K],
        acc_codec: Codec[ACC],
        aggregate: AggregateFunction[IN, ACC, OUT],
        *,
        ttl: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(StateSlot.create(store, name, "aggregating", ttl, clock), key_codec)
        self._codec = acc_codec
        self._aggregate = aggregate

    def for_key(self, key: K) -> AggregatingState[IN, ACC, OUT]:
        """Returns the aggregating state of ``key``."""
        return AggregatingState._bound(self._slot_for(key), self._codec, self._aggregate)
