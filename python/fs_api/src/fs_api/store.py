"""State access: ComplexKey, KvStore and KvIterator."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["ComplexKey", "KvIterator", "KvStore"]


@dataclass(frozen=True)
class ComplexKey:
    """A four-part key for multi-dimensional indexes and prefix scans.

    Entries that share ``key_group``, ``key`` and ``namespace`` form one prefix;
    ``user_key`` orders the entries inside it (byte order).
    """

    key_group: bytes
    key: bytes
    namespace: bytes
    user_key: bytes


class KvIterator(ABC):
    """A lazy iterator over ``(user_key, value)`` pairs in byte order."""

    @abstractmethod
    def has_next(self) -> bool:
        """Returns True when ``next()`` will return another pair."""

    @abstractmethod
    def next(self) -> tuple[bytes, bytes] | None:
        """Returns the next pair, or None at the end."""

    def __iter__(self) -> KvIterator:
        return self

    def __next__(self) -> tuple[bytes, bytes]:
        item = self.next()
        if item is None:
            raise StopIteration
        return item


class KvStore(ABC):
    """A named key-value store private to one function.

    Simple keys are plain bytes; complex keys are ``ComplexKey`` values. Keys
    and values are bytes; every method raises a ``KvError`` subclass on failure.
    """

    # Simple keys.
    @abstractmethod
    def put_state(self, key: bytes, value: bytes) -> None:
        """Stores ``value`` under ``key``, replacing any earlier value."""

    @abstractmethod
    def get_state(self, key: bytes) -> bytes | None:
        """Returns the value stored under ``key``, or None."""

    @abstractmethod
    def delete_state(self, key: bytes) -> None:
        """Removes ``key``; removing an absent key does nothing."""

    @abstractmethod
    def list_states(self, start_inclusive: bytes, end_exclusive: bytes) -> list[bytes]:
        """Returns the simple keys in ``[start_inclusive, end_exclusive)`` in byte order."""

    # Complex keys.
    @abstractmethod
    def put(self, key: ComplexKey, value: bytes) -> None:
        """Stores ``value`` under a complex key."""

    @abstractmethod
    def get(self, key: ComplexKey) -> bytes | None:
        """Returns the value under a complex key, or None."""

    @abstractmethod
    def delete(self, key: ComplexKey) -> None:
        """Removes a complex key; removing an absent key does nothing."""

    @abstractmethod
    def merge(self, key: ComplexKey, value: bytes) -> None:
        """Appends ``value`` to the bytes stored under ``key`` (stores it when absent)."""

    @abstractmethod
    def delete_prefix(self, key: ComplexKey) -> None:
        """Removes every entry sharing ``key_group``, ``key`` and ``namespace``; ignores ``user_key``."""

    @abstractmethod
    def list_complex(
        self,
        key_group: bytes,
        key: bytes,
        namespace: bytes,
        start_inclusive: bytes,
        end_exclusive: bytes,
    ) -> list[bytes]:
        """Returns the user keys in ``[start_inclusive, end_exclusive)`` under a prefix, in byte order."""

    @abstractmethod
    def scan_complex(self, key_group: bytes, key: bytes, namespace: bytes) -> KvIterator:
        """Returns a lazy iterator over every ``(user_key, value)`` under a prefix, in byte order."""
