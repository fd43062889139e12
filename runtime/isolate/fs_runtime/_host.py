"""The way from the sandbox to the host: state reads that miss the cache.

``StateHost`` is what ``KvStore`` needs; ``PyodideStateHost`` implements it
inside the worker by blocking (``pyodide.ffi.run_sync``) on an async JS
function that posts a request to the host and awaits the reply.
"""

from __future__ import annotations

from typing import Any, Protocol

from fs_api import KvIOError, KvNotFoundError, KvOtherError

__all__ = ["Page", "PyodideStateHost", "StateHost", "error_for"]

# (keys, values): values is None when the page was asked without values.
Page = tuple[list[bytes], "list[bytes] | None"]


class StateHost(Protocol):
    """Reads committed state from the host, scoped to this function."""

    def get(self, store: str, parts: list[bytes]) -> bytes | None:
        """Reads one key: ``[key]`` (simple) or ``[key_group, key, namespace, user_key]``."""
        ...

    def list_simple(
        self, store: str, start: bytes | None, end: bytes | None, after: bytes | None, limit: int, with_values: bool
    ) -> Page:
        """Lists up to ``limit`` simple keys in ``[start, end)`` strictly after ``after``."""
        ...

    def list_complex(
        self,
        store: str,
        prefix: tuple[bytes, bytes, bytes],
        start: bytes | None,
        end: bytes | None,
        after: bytes | None,
        limit: int,
        with_values: bool,
    ) -> Page:
        """Lists up to ``limit`` user keys under ``prefix`` in ``[start, end)`` strictly after ``after``."""
        ...


def error_for(code: str, message: str) -> Exception:
    """Maps a host error code (runtime/core/errors.ts) to the KvError subclass users catch."""
    if code == "NOT_FOUND":
        return KvNotFoundError(message)
    if code in ("UNAVAILABLE", "INTERNAL"):
        return KvIOError(message)
    return KvOtherError(message)


def split_page(data: bytes, lens: list[int], with_values: bool) -> Page:
    """Cuts a packed page (keys, or key/value pairs, back to back) into lists."""
    items: list[bytes] = []
    pos = 0
    for length in lens:
        items.append(data[pos : pos + length])
        pos += length
    if not with_values:
        return items, None
    return items[0::2], items[1::2]


class PyodideStateHost:
    """A ``StateHost`` over the worker's async ``request`` function (see worker_main.ts).

    ``request(op, store, parts, start, end, after, limit, withValues)`` resolves
    to ``{ok: true, value?}``, ``{ok: true, data, lens}`` or ``{ok: false, code, message}``.
    """

    def __init__(self, request: Any) -> None:
        # Imported here so that the module also loads on CPython (unit tests).
        from pyodide.ffi import run_sync, to_js

        self._request = request
        self._run_sync = run_sync
        self._to_js = to_js

    def _call(self, op: str, store: str, parts: list[bytes], *rest: Any) -> Any:
        js = self._to_js
        args = [None if arg is None else js(arg) if isinstance(arg, bytes) else arg for arg in rest]
        reply = self._run_sync(self._request(op, store, js(parts), *args))
        if not reply.ok:
            raise error_for(str(reply.code), str(reply.message))
        return reply

    def get(self, store: str, parts: list[bytes]) -> bytes | None:
        reply = self._call("get", store, parts, None, None, None, 0, False)
        value = reply.value
        return None if value is None else value.to_bytes()

    def _page(self, reply: Any, with_values: bool) -> Page:
        lens = memoryview(reply.lens.to_bytes()).cast("i").tolist()
        return split_page(reply.data.to_bytes(), lens, with_values)

    def list_simple(
        self, store: str, start: bytes | None, end: bytes | None, after: bytes | None, limit: int, with_values: bool
    ) -> Page:
        reply = self._call("listSimple", store, [], start, end, after, limit, with_values)
        return self._page(reply, with_values)

    def list_complex(
        self,
        store: str,
        prefix: tuple[bytes, bytes, bytes],
        start: bytes | None,
        end: bytes | None,
        after: bytes | None,
        limit: int,
        with_values: bool,
    ) -> Page:
        reply = self._call("listComplex", store, list(prefix), start, end, after, limit, with_values)
        return self._page(reply, with_values)
