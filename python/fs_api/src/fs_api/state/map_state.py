"""MapState: a typed map whose entries are separate store keys."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

from ..store import KvStore
from ._slot import Clock, StateSlot
from .codecs import Codec

__all__ = ["MapState"]

K = TypeVar("K")
V = TypeVar("V")


class MapState(Generic[K, V]):
    """A map from ``K`` to ``V``; each entry is its own store key.

    The map key's encoding (``key_codec``) is the ComplexKey's ``user_key``,
    so ``items()``, ``keys()`` and ``values()`` stream the entries in byte
    order of the encoded keys: numeric order with ``IntCodec`` or
    ``FloatCodec``, code point order with ``StrCodec``. With ``ttl``, each
    entry expires on its own and is removed when met.

    Example::

        counts = MapState(store, "counts", StrCodec(), IntCodec())
        counts.put("b", 2); counts.put("a", 1)
        assert list(counts.items()) == [("a", 1), ("b", 2)]

    On error: ``KvOtherError`` when an encoded key makes the ComplexKey longer
    than ``MAX_KEY_BYTES`` (use shorter keys); ``StateCorruptedError`` when the
    name holds bytes this state did not write; codec errors when a key or value
    does not fit its codec.
    """

    def __init__(
        self,
        store: KvStore,
        name: str,
        key_codec: Codec[K],
        value_codec: Codec[V],
        *,
        ttl: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        self._setup(StateSlot.create(store, name, "map", ttl, clock), key_codec, value_codec)

    @classmethod
    def _bound(cls, slot: StateSlot, key_codec: Codec[K], value_codec: Codec[V]) -> MapState[K, V]:
        state: MapState[K, V] = cls.__new__(cls)
        state._setup(slot, key_codec, value_codec)
        return state

    def _setup(self, slot: StateSlot, key_codec: Codec[K], value_codec: Codec[V]) -> None:
        self._slot = slot
        self._key_codec = key_codec
        self._value_codec = value_codec

    @property
    def name(self) -> str:
        """The state's name."""
        return self._slot.name

    def get(self, key: K, default: V | None = None) -> V | None:
        """Returns the value for ``key``, or ``default`` when absent or expired."""
        payload = self._slot.read(self._key_codec.encode(key))
        return default if payload is None else self._value_codec.decode(payload)

    def put(self, key: K, value: V) -> None:
        """Sets ``key`` to ``value`` (and restarts that entry's TTL)."""
        self._slot.write(self._value_codec.encode(value), self._key_codec.encode(key))

    def put_all(self, entries: Mapping[K, V]) -> None:
        """Puts every entry of ``entries``."""
        for key, value in entries.items():
            self.put(key, value)

    def contains(self, key: K) -> bool:
        """Returns True when ``key`` has a live entry."""
        return self._slot.read(self._key_codec.encode(key)) is not None

    def __contains__(self, key: K) -> bool:
        return self.contains(key)

    def remove(self, key: K) -> None:
        """Removes ``key``; removing an absent key does nothing."""
        self._slot.delete(self._key_codec.encode(key))

    def items(self) -> Iterator[tuple[K, V]]:
        """Streams the live ``(key, value)`` pairs in byte order of the encoded keys."""
        for user_key, payload in self._scan():
            yield self._key_codec.decode(user_key), self._value_codec.decode(payload)

    def keys(self) -> Iterator[K]:
        """Streams the live keys in byte order of their encoding."""
        for user_key, _ in self._scan():
            yield self._key_codec.decode(user_key)

    def values(self) -> Iterator[V]:
        """Streams the live values in byte order of their keys' encoding."""
        for _, payload in self._scan():
            yield self._value_codec.decode(payload)

    def __iter__(self) -> Iterator[K]:
        return self.keys()

    def is_empty(self) -> bool:
        """Returns True when the map has no live entry (reads at most up to the first one)."""
        for _ in self._scan():
            return False
        return True

    def clear(self) -> None:
        """Removes every entry, with one ``delete_prefix``."""
        self._slot.store.delete_prefix(self._slot.complex_key())

    def _scan(self) -> Iterator[tuple[bytes, bytes]]:
        slot = self._slot
        iterator = slot.store.scan_complex(slot.key_group, slot.key, slot.namespace)
        while True:
            item = iterator.next()
            if item is None:
                return
            user_key, entry = item
            payload = slot.unwrap(entry)
            if payload is None:
                slot.delete(user_key)  # behind the cursor, so the scan is unaffected
            else:
                yield user_key, payload
