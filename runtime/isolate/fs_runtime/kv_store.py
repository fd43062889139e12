"""KvStore inside the sandbox: a write-back cache in front of the host's state.

Reads are served from a dict of known values; only misses cross to the host
(one blocking round trip each). Writes only touch the dict and mark the key
dirty; at the end of every call the dirty keys become mutations that the host
commits. Listing and scanning merge the host's committed pages with the
writes not yet handed out, so an operator always reads its own writes.

The host must make every handed-out mutation visible to its reads before the
next call (see runtime/isolate/README.md), which is what lets this cache drop
clean entries when it grows.

Limits are the server's own (``_limits.py``): a put or merge over them raises
``KvOtherError`` at the call and is not recorded, so it can never fail the
commit of the batch. A key over the key limit cannot exist, so reading it
returns None, deleting it does nothing, and range bounds over the limit are
widened for the host and applied here.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice

from fs_api import ComplexKey, KvIterator
from fs_api import KvStore as _KvStoreApi

from ._codec import MutationWriter
from ._host import StateHost
from ._limits import StoreLimits, truncate_to, weight
from ._scan import ScanIterator

__all__ = ["KvStore"]

Prefix = tuple[bytes, bytes, bytes]
_MISSING = object()


def _require_bytes(value: object, what: str) -> bytes:
    if not isinstance(value, bytes):
        hint = " (encode a str with .encode())" if isinstance(value, str) else ""
        raise TypeError(
            f"Cannot use {what} of type {type(value).__name__} as a KvStore {what}: "
            f"keys and values must be bytes{hint}"
        )
    return value


def _split(key: object) -> tuple[Prefix, bytes]:
    if not isinstance(key, ComplexKey):
        raise TypeError(f"Cannot use key of type {type(key).__name__} as a complex key: pass a fs_api.ComplexKey")
    prefix = (
        _require_bytes(key.key_group, "ComplexKey.key_group"),
        _require_bytes(key.key, "ComplexKey.key"),
        _require_bytes(key.namespace, "ComplexKey.namespace"),
    )
    return prefix, _require_bytes(key.user_key, "ComplexKey.user_key")


def _prefix_weight(prefix: Prefix) -> int:
    return weight(prefix[0]) + weight(prefix[1]) + weight(prefix[2])


# (start, end, after) -> one page of keys from the host.
_Fetch = Callable[[bytes, "bytes | None", "bytes | None"], list[bytes]]


class _PrefixCache:
    """What the store knows about one (key_group, key, namespace) prefix."""

    __slots__ = ("values", "dirty", "complete", "cleared")

    def __init__(self) -> None:
        # user key -> value, or None when known absent.
        self.values: dict[bytes, bytes | None] = {}
        # user keys written since the last flush (a dict keeps their order).
        self.dirty: dict[bytes, None] = {}
        # True when ``values`` holds every key of the prefix (after delete_prefix).
        self.complete = False
        # True when a delete_prefix is waiting to be handed out.
        self.cleared = False


class KvStore(_KvStoreApi):
    """The sandbox's ``fs_api.KvStore``: a write-back cache over the host's state.

    Keys and values must be bytes (``TypeError`` otherwise); a put or merge over
    the server's key or value limit raises ``KvOtherError`` naming the limit
    (nothing is written); a failed host read raises ``KvIOError`` (retry later)
    or another ``KvError`` subclass naming the cause.
    """

    def __init__(
        self, name: str, host: StateHost, limits: StoreLimits, page_size: int = 500, max_cached: int = 100_000
    ) -> None:
        self.name = name
        self._host = host
        self._limits = limits
        self._simple_fast = limits.simple_fast
        self._complex_fast = limits.complex_fast
        self._max_value = limits.max_value
        self._page_size = page_size
        self._max_cached = max_cached
        self._values: dict[bytes, bytes | None] = {}
        self._dirty: dict[bytes, None] = {}
        self._prefixes: dict[Prefix, _PrefixCache] = {}
        self._dirty_prefixes: dict[Prefix, None] = {}
        self._complex_cached = 0

    # Simple keys.
    def get_state(self, key: bytes) -> bytes | None:
        """Returns the value stored under ``key``, or None."""
        try:
            return self._values[key]
        except KeyError:
            pass
        except TypeError:
            _require_bytes(key, "key")
        if len(_require_bytes(key, "key")) > self._simple_fast and weight(key) > self._limits.simple:
            return None  # over the key limit: cannot be stored
        value = self._host.get(self.name, [key])
        self._values[key] = value
        return value

    def put_state(self, key: bytes, value: bytes) -> None:
        """Stores ``value`` under ``key``, replacing any earlier value."""
        if (
            key.__class__ is not bytes
            or value.__class__ is not bytes
            or len(key) > self._simple_fast
            or len(value) > self._max_value
        ):
            # Checked in the order MemoryKvStore checks: key, then value.
            self._limits.check_key(weight(_require_bytes(key, "key")), self._limits.simple)
            self._limits.check_value(len(_require_bytes(value, "value")))
        self._values[key] = value
        self._dirty[key] = None

    def delete_state(self, key: bytes) -> None:
        """Removes ``key``; removing an absent key does nothing."""
        if len(_require_bytes(key, "key")) > self._simple_fast and weight(key) > self._limits.simple:
            return  # over the key limit: cannot be stored
        self._values[key] = None
        self._dirty[key] = None

    def list_states(self, start_inclusive: bytes, end_exclusive: bytes) -> list[bytes]:
        """Returns the simple keys in ``[start_inclusive, end_exclusive)`` in byte order."""
        start = _require_bytes(start_inclusive, "key")
        end = _require_bytes(end_exclusive, "key")
        if end <= start:
            return []
        keys = self._list_host(
            lambda lo, hi, after: self._host.list_simple(self.name, lo, hi, after, self._page_size, False)[0],
            start,
            end,
            self._limits.simple,
        )
        if not self._dirty:
            return keys
        present = set(keys)
        for key in self._dirty:
            if start <= key < end:
                if self._values[key] is None:
                    present.discard(key)
                else:
                    present.add(key)
        return sorted(present)

    # Complex keys.
    def get(self, key: ComplexKey) -> bytes | None:
        """Returns the value under a complex key, or None."""
        if key.__class__ is ComplexKey:
            # Hot path: a cached entry. Only checked bytes are ever cached, so
            # a part of another type misses here and is refused below.
            try:
                cache = self._prefixes.get((key.key_group, key.key, key.namespace))
                if cache is not None:
                    value = cache.values.get(key.user_key, _MISSING)
                    if value is not _MISSING:
                        return value  # type: ignore[return-value]
            except TypeError:
                pass  # an unhashable part: _split names it
        prefix, user_key = _split(key)
        cache = self._prefixes.get(prefix)
        if cache is not None:
            value = cache.values.get(user_key, _MISSING)
            if value is not _MISSING:
                return value  # type: ignore[return-value]
            if cache.complete:
                return None
        if self._over_complex(prefix, user_key):
            return None  # over the key limit: cannot be stored
        value = self._host.get(self.name, [*prefix, user_key])
        self._remember(prefix, user_key, value, False)
        return value

    def put(self, key: ComplexKey, value: bytes) -> None:
        """Stores ``value`` under a complex key."""
        if key.__class__ is ComplexKey and value.__class__ is bytes and len(value) <= self._max_value:
            # Hot path: overwriting a cached entry. Only checked keys that fit
            # the limit are ever cached, so a hit needs no other check.
            try:
                prefix = (key.key_group, key.key, key.namespace)
                user_key = key.user_key
                cache = self._prefixes.get(prefix)
                if cache is not None and user_key in cache.values:
                    cache.values[user_key] = value
                    cache.dirty[user_key] = None
                    self._dirty_prefixes[prefix] = None
                    return
            except TypeError:
                pass  # an unhashable part: _split names it
        prefix, user_key = _split(key)
        self._check_complex_key(prefix, user_key)
        if len(_require_bytes(value, "value")) > self._max_value:
            self._limits.check_value(len(value))
        self._remember(prefix, user_key, value, True)

    def delete(self, key: ComplexKey) -> None:
        """Removes a complex key; removing an absent key does nothing."""
        prefix, user_key = _split(key)
        if self._over_complex(prefix, user_key):
            return  # over the key limit: cannot be stored
        self._remember(prefix, user_key, None, True)

    def merge(self, key: ComplexKey, value: bytes) -> None:
        """Appends ``value`` to the bytes stored under ``key`` (stores it when absent).

        Raises ``KvOtherError`` when the key, or the value after appending, is
        over the limit; the stored value is then unchanged.
        """
        prefix, user_key = _split(key)
        self._check_complex_key(prefix, user_key)
        _require_bytes(value, "value")
        current = self.get(key)
        size = len(value) + (0 if current is None else len(current))
        if size > self._max_value:
            self._limits.check_value(size, f"the merged value ({size - len(value)} stored + {len(value)} appended)")
        self._remember(prefix, user_key, value if current is None else current + value, True)

    def delete_prefix(self, key: ComplexKey) -> None:
        """Removes every entry sharing ``key_group``, ``key`` and ``namespace``; ignores ``user_key``."""
        prefix, _ = _split(key)
        if self._over_complex(prefix, b""):
            return  # no key under this prefix fits the key limit: nothing is stored there
        old = self._prefixes.get(prefix)
        if old is not None:
            self._complex_cached -= len(old.values)
        cache = self._prefixes[prefix] = _PrefixCache()
        cache.complete = True
        cache.cleared = True
        self._dirty_prefixes[prefix] = None

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
        if end <= start:
            return []
        cache = self._prefixes.get(prefix)
        if cache is not None and cache.complete:
            return sorted(k for k, v in cache.values.items() if v is not None and start <= k < end)
        keys = self._list_host(
            lambda lo, hi, after: self._host.list_complex(
                self.name, prefix, lo, hi, after, self._page_size, False
            )[0],
            start,
            end,
            self._limits.complex - _prefix_weight(prefix),
        )
        if cache is None or not cache.dirty:
            return keys
        present = set(keys)
        for user_key in cache.dirty:
            if start <= user_key < end:
                if cache.values[user_key] is None:
                    present.discard(user_key)
                else:
                    present.add(user_key)
        return sorted(present)

    def scan_complex(self, key_group: bytes, key: bytes, namespace: bytes) -> KvIterator:
        """Returns a lazy iterator over every ``(user_key, value)`` under a prefix, in byte order.

        The host is read one page at a time, as the iterator advances. Writes
        made before the call are seen; writes made during the scan are not.
        """
        prefix = self._prefix(key_group, key, namespace)
        cache = self._prefixes.get(prefix)
        if self._over_complex(prefix, b""):
            # No key under this prefix fits the key limit: nothing to read.
            return ScanIterator(self._host, self.name, prefix, self._page_size, [], True)
        if cache is None:
            return ScanIterator(self._host, self.name, prefix, self._page_size, [], False)
        if cache.complete:
            # Every key is known here (delete_prefix): the host has nothing to add.
            return ScanIterator(self._host, self.name, prefix, self._page_size, sorted(cache.values.items()), True)
        overlay = sorted((k, cache.values[k]) for k in cache.dirty)
        return ScanIterator(self._host, self.name, prefix, self._page_size, overlay, False)

    # Used by Context at the end of each call.
    def flush(self, out: MutationWriter) -> None:
        """Hands every write since the last flush to ``out``; prefix deletes come first."""
        name = self.name
        if self._dirty:
            values = self._values
            for key in self._dirty:
                out.simple(name, key, values[key])
            self._dirty = {}
        if self._dirty_prefixes:
            caches = [(prefix, self._prefixes[prefix]) for prefix in self._dirty_prefixes]
            for prefix, cache in caches:
                if cache.cleared:
                    out.delete_prefix(name, prefix)
                    cache.cleared = False
            for prefix, cache in caches:
                for user_key in cache.dirty:
                    out.complex(name, prefix, user_key, cache.values[user_key])
                cache.dirty = {}
            self._dirty_prefixes = {}
        self._trim()

    def discard(self) -> None:
        """Forgets every write since the last flush (the call failed); later reads ask the host."""
        for key in self._dirty:
            del self._values[key]
        self._dirty = {}
        for prefix in self._dirty_prefixes:
            cache = self._prefixes.pop(prefix)
            self._complex_cached -= len(cache.values)
        self._dirty_prefixes = {}

    def _over_complex(self, prefix: Prefix, user_key: bytes) -> bool:
        budget = self._limits.complex
        size = len(prefix[0]) + len(prefix[1]) + len(prefix[2]) + len(user_key)
        return size > self._limits.complex_fast and _prefix_weight(prefix) + weight(user_key) > budget

    def _check_complex_key(self, prefix: Prefix, user_key: bytes) -> None:
        if self._over_complex(prefix, user_key):
            self._limits.check_key(_prefix_weight(prefix) + weight(user_key), self._limits.complex)

    def _list_host(self, fetch: _Fetch, start: bytes, end: bytes, budget: int) -> list[bytes]:
        """Pages through the host's keys in ``[start, end)``, where keys may weigh ``budget``.

        The host refuses bounds over the key limit, yet no stored key is that
        large: such a start is cut to its longest prefix that fits, such an
        end is left open (paging stops at the first page reaching it), and the
        exact range is applied here.
        """
        if budget < 0:
            return []
        lo = start if weight(start) <= budget else truncate_to(start, budget)
        hi: bytes | None = end if weight(end) <= budget else None
        keys: list[bytes] = []
        after: bytes | None = None
        while True:
            page = fetch(lo, hi, after)
            keys += page
            if len(page) < self._page_size or (hi is None and page[-1] >= end):
                break
            after = page[-1]
        if lo is not start or hi is None:
            keys = [k for k in keys if start <= k < end]
        return keys

    def _remember(self, prefix: Prefix, user_key: bytes, value: bytes | None, dirty: bool) -> None:
        cache = self._prefixes.get(prefix)
        if cache is None:
            cache = self._prefixes[prefix] = _PrefixCache()
        if user_key not in cache.values:
            self._complex_cached += 1
        cache.values[user_key] = value
        if dirty:
            cache.dirty[user_key] = None
            self._dirty_prefixes[prefix] = None

    def _trim(self) -> None:
        # Called right after a flush, so every cached entry is clean. Drops the
        # oldest half (insertion order) once the cache is over its bound.
        if len(self._values) > self._max_cached:
            drop = len(self._values) - self._max_cached // 2
            for key in list(islice(self._values, drop)):
                del self._values[key]
        if self._complex_cached > self._max_cached:
            for prefix in list(self._prefixes):
                self._complex_cached -= len(self._prefixes.pop(prefix).values)
                if self._complex_cached <= self._max_cached // 2:
                    break

    @staticmethod
    def _prefix(key_group: bytes, key: bytes, namespace: bytes) -> Prefix:
        return (
            _require_bytes(key_group, "key_group"),
            _require_bytes(key, "key"),
            _require_bytes(namespace, "namespace"),
        )
