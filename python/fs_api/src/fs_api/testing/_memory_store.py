"""MemoryKvStore: the whole KvStore surface in memory, with the server's semantics."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

from ..limits import check_key_size, check_value_size, complex_key_size
from ..store import ComplexKey, KvIterator, KvStore

__all__ = ["MemoryKvStore"]

# (key_group, key, namespace): one prefix of complex keys.
_Prefix = tuple[bytes, bytes, bytes]


def _require_bytes(value: object, what: str) -> bytes:
    # Strict on purpose: the server only takes bytes, so a str that works here
    # would fail there.
    if not isinstance(value, bytes):
        hint = " (encode a str with .encode())" if isinstance(value, str) else ""
        raise TypeError(
            f"Cannot use {what} of type {type(value).__name__} as a KvStore {what}: keys and values must be bytes{hint}"
        )
    return value


def _require_complex_key(key: object) -> ComplexKey:
    if not isinstance(key, ComplexKey):
        raise TypeError(f"Cannot use key of type {type(key).__name__} as a complex key: pass a fs_api.ComplexKey")
    for part in ("key_group", "key", "namespace", "user_key"):
        _require_bytes(getattr(key, part), f"ComplexKey.{part}")
    return key


class _SortedBytesMap:
    """A dict plus its keys in byte order, so ranges are found by bisection."""

    def __init__(self) -> None:
        self.values: dict[bytes, bytes | bytearray] = {}
        self.keys: list[bytes] = []

    def put(self, key: bytes, value: bytes | bytearray) -> None:
        if key not in self.values:
            insort(self.keys, key)
        self.values[key] = value

    def delete(self, key: bytes) -> None:
        if self.values.pop(key, None) is not None:
            del self.keys[bisect_left(self.keys, key)]

    def range(self, start: bytes, end: bytes) -> list[bytes]:
        if end <= start:
            return []
        return self.keys[bisect_left(self.keys, start) : bisect_left(self.keys, end)]

    def first_after(self, key: bytes | None) -> bytes | None:
        index = 0 if key is None else bisect_right(self.keys, key)
        return self.keys[index] if index < len(self.keys) else None


class _MemoryIterator(KvIterator):
    """A cursor over one prefix: each step reads the next key after the last one returned.

    Nothing is copied up front, so a scan over a large prefix costs memory for
    one entry at a time.
    """

    def __init__(self, store: MemoryKvStore, prefix: _Prefix) -> None:
        self._store = store
        self._prefix = prefix
        self._last: bytes | None = None

    def _peek(self) -> bytes | None:
        entries = self._store._complex.get(self._prefix)
        return None if entries is None else entries.first_after(self._last)

    def has_next(self) -> bool:
        return self._peek() is not None

    def next(self) -> tuple[bytes, bytes] | None:
        user_key = self._peek()
        if user_key is None:
            return None
        self._last = user_key
        return user_key, bytes(self._store._complex[self._prefix].values[user_key])


class MemoryKvStore(KvStore):
    """An in-memory ``KvStore`` for unit tests, with the server's semantics.

    - Simple keys and complex keys live apart; complex keys are held as
      ``(key_group, key, namespace)`` tuples plus ``user_key``, so no two
      different keys can collide.
    - Ranges are ``[start_inclusive, end_exclusive)`` in byte order; an
      ``end_exclusive`` at or before ``start_inclusive`` gives an empty list.
    - ``merge`` appends to the stored bytes (stores the value when absent).
    - ``scan_complex`` is lazy: a cursor that reads one entry per step.
    - Keys and values must be ``bytes``: anything else raises ``TypeError``.
      Keys over ``MAX_KEY_BYTES`` and values over ``MAX_VALUE_BYTES`` (see
      ``fs_api.limits``) raise ``KvOtherError`` naming the limit.

    On error: a ``TypeError`` means you passed a str or other object where
    bytes are needed (encode it); a ``KvOtherError`` means a key or value is
    too large (shorten it or split it).
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._simple = _SortedBytesMap()
        self._complex: dict[_Prefix, _SortedBytesMap] = {}

    def __len__(self) -> int:
        """Returns the number of stored entries, simple and complex."""
        return len(self._simple.values) + sum(len(m.values) for m in self._complex.values())

    def clear(self) -> None:
        """Removes every entry (not part of KvStore; handy between test cases)."""
        self._simple = _SortedBytesMap()
        self._complex.clear()

    # Simple keys.
    def put_state(self, key: bytes, value: bytes) -> None:
        """Stores ``value`` under ``key``, replacing any earlier value."""
        check_key_size(len(_require_bytes(key, "key")))
        check_value_size(len(_require_bytes(value, "value")))
        self._simple.put(key, value)

    def get_state(self, key: bytes) -> bytes | None:
        """Returns the value stored under ``key``, or None."""
        value = self._simple.values.get(_require_bytes(key, "key"))
        return None if value is None else bytes(value)

    def delete_state(self, key: bytes) -> None:
        """Removes ``key``; removing an absent key does nothing."""
        self._simple.delete(_require_bytes(key, "key"))

    def list_states(self, start_inclusive: bytes, end_exclusive: bytes) -> list[bytes]:
        """Returns the simple keys in ``[start_inclusive, end_exclusive)`` in byte order."""
        start = _require_bytes(start_inclusive, "key")
        end = _require_bytes(end_exclusive, "key")
        return self._simple.range(start, end)

    # Complex keys.
    def put(self, key: ComplexKey, value: bytes) -> None:
        """Stores ``value`` under a complex key."""
        ck = _require_complex_key(key)
        check_key_size(complex_key_size(ck))
        check_value_size(len(_require_bytes(value, "value")))
        self._entries(ck).put(ck.user_key, value)

    def get(self, key: ComplexKey) -> bytes | None:
        """Returns the value under a complex key, or None."""
        ck = _require_complex_key(key)
        entries = self._existing_entries(ck)
        value = None if entries is None else entries.values.get(ck.user_key)
        return None if value is None else bytes(value)

    def delete(self, key: ComplexKey) -> None:
        """Removes a complex key; removing an absent key does nothing."""
        ck = _require_complex_key(key)
        entries = self._existing_entries(ck)
        if entries is not None:
            entries.delete(ck.user_key)
            if not entries.values:
                del self._complex[(ck.key_group, ck.key, ck.namespace)]

    def merge(self, key: ComplexKey, value: bytes) -> None:
        """Appends ``value`` to the bytes stored under ``key`` (stores it when absent)."""
        ck = _require_complex_key(key)
        check_key_size(complex_key_size(ck))
        _require_bytes(value, "value")
        entries = self._existing_entries(ck)
        current = None if entries is None else entries.values.get(ck.user_key)
        check_value_size(len(value) + (0 if current is None else len(current)))
        if entries is None or current is None:
            self._entries(ck).put(ck.user_key, value)
        elif isinstance(current, bytearray):
            current += value  # in place: repeated merges cost O(len(value)) each
        else:
            entries.values[ck.user_key] = bytearray(current) + value

    def delete_prefix(self, key: ComplexKey) -> None:
        """Removes every entry sharing ``key_group``, ``key`` and ``namespace``; ignores ``user_key``."""
        ck = _require_complex_key(key)
        self._complex.pop((ck.key_group, ck.key, ck.namespace), None)

    def list_complex(
        self,
        key_group: bytes,
        key: bytes,
        namespace: bytes,
        start_inclusive: bytes,
        end_exclusive: bytes,
    ) -> list[bytes]:
        """Returns the user keys in ``[start_inclusive, end_exclusive)`` under a prefix, in byte order."""
        prefix = self._prefix(key_group, key, namespace)
        start = _require_bytes(start_inclusive, "user key")
        end = _require_bytes(end_exclusive, "user key")
        entries = self._complex.get(prefix)
        return [] if entries is None else entries.range(start, end)

    def scan_complex(self, key_group: bytes, key: bytes, namespace: bytes) -> KvIterator:
        """Returns a lazy iterator over every ``(user_key, value)`` under a prefix, in byte order.

        The iterator is a cursor: each step returns the first entry after the
        previous one as the store holds it at that moment. Do not rely on
        seeing writes made ahead of the cursor during a scan: the server
        reads in pages and may not see them.
        """
        return _MemoryIterator(self, self._prefix(key_group, key, namespace))

    @staticmethod
    def _prefix(key_group: bytes, key: bytes, namespace: bytes) -> _Prefix:
        return (
            _require_bytes(key_group, "key_group"),
            _require_bytes(key, "key"),
            _require_bytes(namespace, "namespace"),
        )

    def _existing_entries(self, ck: ComplexKey) -> _SortedBytesMap | None:
        return self._complex.get((ck.key_group, ck.key, ck.namespace))

    def _entries(self, ck: ComplexKey) -> _SortedBytesMap:
        prefix = (ck.key_group, ck.key, ck.namespace)
        entries = self._complex.get(prefix)
        if entries is None:
            entries = self._complex[prefix] = _SortedBytesMap()
        return entries
