"""ListState: an append-friendly list of typed elements."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Generic, TypeVar

from ..store import KvStore
from ._slot import Clock, StateSlot, iter_frames, make_frame
from .codecs import Codec

__all__ = ["ListState"]

T = TypeVar("T")


class ListState(Generic[T]):
    """A list of ``T`` kept in one value as length-prefixed frames.

    ``add`` and ``add_all`` append frames with ``KvStore.merge``: they never
    read the list, so each add costs the size of the new element only.
    ``get`` decodes the whole list. With ``ttl``, each element expires on its
    own (its write time is in its frame); ``get`` drops expired elements and
    rewrites the list without them.

    The list is one store value, so it is limited to ``MAX_VALUE_BYTES``
    (``fs_api.limits``) in total: use a ``MapState`` for larger collections.

    Example::

        seen = ListState(store, "seen", StrCodec())
        seen.add("a"); seen.add_all(["b", "c"])
        assert seen.get() == ["a", "b", "c"]

    On error: ``KvOtherError`` when the list would exceed the value limit;
    ``StateCorruptedError`` when the stored bytes are not frames (the name is
    used by other code); codec errors when an element does not fit the codec.
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
        self._setup(StateSlot.create(store, name, "list", ttl, clock), codec)

    @classmethod
    def _bound(cls, slot: StateSlot, codec: Codec[T]) -> ListState[T]:
        state: ListState[T] = cls.__new__(cls)
        state._setup(slot, codec)
        return state

    def _setup(self, slot: StateSlot, codec: Codec[T]) -> None:
        self._slot = slot
        self._codec = codec

    @property
    def name(self) -> str:
        """The state's name."""
        return self._slot.name

    def get(self) -> list[T]:
        """Returns the live elements in insertion order (empty when there are none)."""
        ck = self._slot.complex_key()
        data = self._slot.store.get(ck)
        if data is None:
            return []
        live_entries: list[bytes] = []
        payloads: list[bytes] = []
        expired = False
        now = self._slot.clock()
        for entry in iter_frames(self._slot.name, data):
            payload = self._slot.unwrap(entry, now)
            if payload is None:
                expired = True
            else:
                live_entries.append(entry)
                payloads.append(payload)
        if expired:
            self._rewrite(live_entries)
        return [self._codec.decode(payload) for payload in payloads]

    def add(self, value: T) -> None:
        """Appends one element."""
        self._slot.store.merge(self._slot.complex_key(), self._frame(value))

    def add_all(self, values: Iterable[T]) -> None:
        """Appends every element of ``values`` in order, with one store call."""
        frames = b"".join(self._frame(value) for value in values)
        if frames:
            self._slot.store.merge(self._slot.complex_key(), frames)

    def update(self, values: Iterable[T]) -> None:
        """Replaces the whole list with ``values`` (an empty iterable clears it)."""
        frames = b"".join(self._frame(value) for value in values)
        if frames:
            self._slot.store.put(self._slot.complex_key(), frames)
        else:
            self.clear()

    def clear(self) -> None:
        """Removes every element."""
        self._slot.delete()

    def _frame(self, value: T) -> bytes:
        return make_frame(self._slot.wrap(self._codec.encode(value)))

    def _rewrite(self, live_entries: list[bytes]) -> None:
        # Keeps the live frames byte for byte, so their write times survive.
        if live_entries:
            self._slot.store.put(self._slot.complex_key(), b"".join(make_frame(e) for e in live_entries))
        else:
            self.clear()
