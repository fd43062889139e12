"""The lazy iterator of ``KvStore.scan_complex``: host pages merged with unflushed writes."""

from __future__ import annotations

from fs_api import KvIterator

from ._host import StateHost

__all__ = ["ScanIterator"]


class ScanIterator(KvIterator):
    """Merges the host's pages of one prefix with the store's unflushed writes.

    ``overlay`` is the sorted ``(user_key, value or None)`` list of writes not
    yet handed out, taken when the scan starts; ``host_done`` skips the host
    entirely (the store knows every key of the prefix).
    """

    def __init__(
        self,
        host: StateHost,
        store: str,
        prefix: tuple[bytes, bytes, bytes],
        page_size: int,
        overlay: list[tuple[bytes, bytes | None]],
        host_done: bool,
    ) -> None:
        self._host = host
        self._store = store
        self._prefix = prefix
        self._page_size = page_size
        self._overlay = overlay
        self._overlay_pos = 0
        self._host_done = host_done
        self._keys: list[bytes] = []
        self._values: list[bytes] = []
        self._pos = 0
        self._after: bytes | None = None
        self._peeked: tuple[bytes, bytes] | None = None

    def _fill(self) -> None:
        if self._pos < len(self._keys) or self._host_done:
            return
        size = self._page_size
        keys, values = self._host.list_complex(self._store, self._prefix, None, None, self._after, size, True)
        self._keys, self._values, self._pos = keys, values or [], 0
        self._host_done = len(keys) < size
        if keys:
            self._after = keys[-1]

    def _advance(self) -> tuple[bytes, bytes] | None:
        while True:
            self._fill()
            host_key = self._keys[self._pos] if self._pos < len(self._keys) else None
            overlay = self._overlay[self._overlay_pos] if self._overlay_pos < len(self._overlay) else None
            if overlay is not None and (host_key is None or overlay[0] <= host_key):
                self._overlay_pos += 1
                if overlay[0] == host_key:
                    self._pos += 1
                user_key, value = overlay
                if value is None:
                    continue
                return user_key, value
            if host_key is None:
                return None
            self._pos += 1
            return host_key, self._values[self._pos - 1]

    def has_next(self) -> bool:
        """Returns True when ``next()`` will return another pair (may read one page)."""
        if self._peeked is None:
            self._peeked = self._advance()
        return self._peeked is not None

    def next(self) -> tuple[bytes, bytes] | None:
        """Returns the next ``(user_key, value)`` pair, or None at the end."""
        if self._peeked is not None:
            item, self._peeked = self._peeked, None
            return item
        return self._advance()
