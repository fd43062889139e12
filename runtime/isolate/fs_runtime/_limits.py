"""The server's exact key and value limits, checked inside the sandbox at the call.

The host computes the limits from runtime/state (``userKeyBudget`` and
``MAX_VALUE_BYTES``) and passes them at start, so a write that the backend
would refuse at commit fails where the operator made it, as ``KvOtherError``,
and never reaches the batch's commit.

A key's *weight* is what the server counts against the key limit: the length
of its bytes (a simple key, or the four parts of a ComplexKey together) with
every 0x00 byte counted twice (Deno KV escapes it). The host passes the budget
of a store with an empty name; a store's own name costs its UTF-8 length plus
its 0x00 bytes, as the server sizes a string part. runtime/isolate's
``state_limits_test.ts`` checks this against ``userKeyBudget`` for many names.
"""

from __future__ import annotations

from dataclasses import dataclass

from fs_api import KvOtherError

__all__ = ["ServerLimits", "StoreLimits", "name_cost", "truncate_to", "weight"]


def weight(data: bytes) -> int:
    """Returns what ``data`` costs against the key limit: its length, 0x00 bytes counted twice."""
    return len(data) + data.count(0)


def name_cost(name: str) -> int:
    """Returns what a store name costs against the key limit (UTF-8, 0x00 counted twice)."""
    return weight(name.encode("utf-8"))


def truncate_to(data: bytes, budget: int) -> bytes:
    """Returns the longest prefix of ``data`` whose weight is at most ``budget``."""
    total = 0
    for index, byte in enumerate(data):
        total += 2 if byte == 0 else 1
        if total > budget:
            return data[:index]
    return data


@dataclass(frozen=True)
class ServerLimits:
    """The limits of one function, as the host computed them (runtime/state)."""

    #: Largest encoded Deno KV key (``MAX_KEY_BYTES`` of runtime/state/limits.ts).
    max_key_bytes: int
    #: ``userKeyBudget(fn, "", "simple")``: the simple-key budget before the store name.
    simple_base: int
    #: ``userKeyBudget(fn, "", "complex")``: the ComplexKey budget before the store name.
    complex_base: int
    #: Largest value in bytes (``MAX_VALUE_BYTES``).
    max_value_bytes: int

    def for_store(self, name: str) -> StoreLimits:
        """Returns the limits of the store called ``name``."""
        cost = name_cost(name)
        return StoreLimits(name, self, self.simple_base - cost, self.complex_base - cost)


class StoreLimits:
    """The limits of one store, with cheap bounds for the hot path.

    ``simple_fast``/``complex_fast`` are the lengths below which a key fits
    whatever bytes it holds (half the budget), so most keys are never counted.
    """

    __slots__ = ("store", "server", "simple", "complex", "simple_fast", "complex_fast", "max_value")

    def __init__(self, store: str, server: ServerLimits, simple: int, complex: int) -> None:
        self.store = store
        self.server = server
        self.simple = simple
        self.complex = complex
        self.simple_fast = simple // 2
        self.complex_fast = complex // 2
        self.max_value = server.max_value_bytes

    def check_key(self, size: int, budget: int) -> None:
        """Raises ``KvOtherError`` when a key of weight ``size`` is over ``budget``."""
        if size > budget:
            raise KvOtherError(
                f"Cannot store a key in store {self.store!r} as it exceeds the store's key limit of "
                f"{max(budget, 0)} bytes (the server's MAX_KEY_BYTES={self.server.max_key_bytes} encoded "
                f"bytes less the function and store names and framing; 0x00 bytes count twice): "
                f"current size is {size} bytes; use a shorter key (for example a hash)"
            )

    def check_value(self, size: int, what: str = "a value") -> None:
        """Raises ``KvOtherError`` when a value of ``size`` bytes is over ``MAX_VALUE_BYTES``."""
        if size > self.max_value:
            raise KvOtherError(
                f"Cannot store {what} in store {self.store!r} as it exceeds the value limit "
                f"MAX_VALUE_BYTES={self.max_value} bytes ({self.max_value / 2**20:g} MiB): current size is {size} bytes; "
                "split it over several keys"
            )
