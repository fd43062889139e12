"""Where one typed state lives in ComplexKey space, and how its entries are encoded.

Layout (every part is raw bytes; the store keeps the parts apart, so no two
different tuples collide):

- ``key_group``: the state's name in UTF-8.
- ``key``: b"" for an unkeyed state; the key codec's encoding of the key for a
  keyed one.
- ``namespace``: ``b"fs.state/global/<kind>"`` (unkeyed) or
  ``b"fs.state/keyed/<kind>"`` (keyed), ``<kind>`` one of value, list, map,
  reducing, aggregating. So states of different kinds or keyedness never
  share a prefix even under the same name and an empty key.
- ``user_key``: b"" except in a map, where it is the map key's encoding.

Entry (the stored value; for a list, each element):

- ``0x00`` + payload: written without a TTL; never expires.
- ``0x01`` + 8-byte big-endian IEEE-754 double (write time, seconds from the
  state's clock) + payload: expires once ``clock() >= write_time + ttl``.

A list is the concatenation of frames: 4-byte big-endian unsigned length of the
entry, then the entry. Adding appends one frame with ``KvStore.merge``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..store import ComplexKey, KvStore
from .errors import StateCorruptedError

__all__ = ["Clock", "StateSlot", "iter_frames", "make_frame"]

Clock = Callable[[], float]

_PLAIN = 0x00
_TIMED = 0x01
_TIME = struct.Struct(">d")
_LENGTH = struct.Struct(">I")
_KINDS = frozenset({"value", "list", "map", "reducing", "aggregating"})


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"Cannot create a state as its name must be a non-empty str: current value is {name!r}")
    return name


def _check_ttl(ttl: object) -> float | None:
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not (0 < ttl < math.inf):
        raise ValueError(f"Cannot use ttl {ttl!r} as a ttl is None or a positive number of seconds")
    return float(ttl)


@dataclass(frozen=True)
class StateSlot:
    """One state's prefix (key_group, key, namespace) plus its TTL and clock."""

    store: KvStore
    name: str
    key: bytes
    namespace: bytes
    ttl: float | None
    clock: Clock

    @staticmethod
    def create(store: KvStore, name: str, kind: str, ttl: float | None, clock: Clock) -> StateSlot:
        """Returns the unkeyed slot of state ``name`` of ``kind``; raises ValueError on bad arguments."""
        if not isinstance(store, KvStore):
            raise TypeError(
                f"Cannot create state {name!r} as store must be a fs_api.KvStore: "
                f"current type is {type(store).__name__}"
            )
        assert kind in _KINDS
        if not callable(clock):
            raise TypeError(f"Cannot use clock {clock!r} as it is not callable")
        return StateSlot(store, _check_name(name), b"", b"fs.state/global/" + kind.encode(), _check_ttl(ttl), clock)

    def keyed(self, key: bytes) -> StateSlot:
        """Returns the slot of this state's entry for ``key`` (a keyed state)."""
        kind = self.namespace.rsplit(b"/", 1)[1]
        return StateSlot(self.store, self.name, key, b"fs.state/keyed/" + kind, self.ttl, self.clock)

    @property
    def key_group(self) -> bytes:
        """The state's name in UTF-8."""
        return self.name.encode("utf-8")

    def complex_key(self, user_key: bytes = b"") -> ComplexKey:
        """Returns the ComplexKey of the entry ``user_key`` in this slot."""
        return ComplexKey(self.key_group, self.key, self.namespace, user_key)

    def wrap(self, payload: bytes) -> bytes:
        """Returns the entry for ``payload``, stamped with the write time when a TTL is set."""
        if self.ttl is None:
            return bytes((_PLAIN,)) + payload
        return bytes((_TIMED,)) + _TIME.pack(self.clock()) + payload

    def unwrap(self, entry: bytes, now: float | None = None) -> bytes | None:
        """Returns the payload of ``entry``, or None when it has expired (at ``now``, default ``clock()``)."""
        if entry[:1] == b"\x00":
            return entry[1:]
        if entry[:1] == b"\x01" and len(entry) >= 1 + _TIME.size:
            if self.ttl is not None:
                (written,) = _TIME.unpack_from(entry, 1)
                if (self.clock() if now is None else now) >= written + self.ttl:
                    return None
            return entry[1 + _TIME.size :]
        raise StateCorruptedError(
            f"Cannot read state {self.name!r} as an entry starts with {entry[:9]!r}: "
            "expected a 0x00 or 0x01 entry header; was the name used by other code?"
        )

    def read(self, user_key: bytes = b"") -> bytes | None:
        """Returns the live payload under ``user_key``, or None; removes an expired entry."""
        ck = self.complex_key(user_key)
        entry = self.store.get(ck)
        if entry is None:
            return None
        payload = self.unwrap(entry)
        if payload is None:
            self.store.delete(ck)
        return payload

    def write(self, payload: bytes, user_key: bytes = b"") -> None:
        """Stores ``payload`` under ``user_key``, stamped with the write time when a TTL is set."""
        self.store.put(self.complex_key(user_key), self.wrap(payload))

    def delete(self, user_key: bytes = b"") -> None:
        """Removes the entry under ``user_key``."""
        self.store.delete(self.complex_key(user_key))


def make_frame(entry: bytes) -> bytes:
    """Returns ``entry`` prefixed with its 4-byte big-endian length."""
    return _LENGTH.pack(len(entry)) + entry


def iter_frames(name: str, data: bytes) -> Iterator[bytes]:
    """Yields the entries of a list value; raises StateCorruptedError on a truncated frame."""
    offset, end = 0, len(data)
    while offset < end:
        if offset + _LENGTH.size > end:
            raise StateCorruptedError(f"Cannot read list state {name!r} as its last frame header is truncated")
        (length,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        if offset + length > end:
            raise StateCorruptedError(
                f"Cannot read list state {name!r} as a frame of {length} bytes runs past the end of the value"
            )
        yield data[offset : offset + length]
        offset += length
