"""Packs a call's results into a few flat buffers, so that crossing to JS costs
a handful of conversions per batch instead of several per record.

Layouts (little endian), decoded by runtime/isolate/_packing.ts:

- outputs: ``data`` (values back to back), ``lens`` (int32 per record) and
  ``channels`` (int32 per record; ``-1 - channel`` marks a watermark whose
  value is the decimal watermark).
- mutations: a sequence of ``op:u8 kind:u8 store:u32`` followed by
  length-prefixed (``u32``) parts: the key (simple) or key_group, key,
  namespace, user_key (complex; deletePrefix has no user_key), then the value
  for puts. ``store`` indexes the list of store names sent beside the buffer.
"""

from __future__ import annotations

import struct
from array import array

__all__ = [
    "KIND_COMPLEX",
    "KIND_SIMPLE",
    "OP_DELETE",
    "OP_DELETE_PREFIX",
    "OP_PUT",
    "MutationWriter",
    "pack_outputs",
]

OP_PUT = 0
OP_DELETE = 1
OP_DELETE_PREFIX = 2
KIND_SIMPLE = 0
KIND_COMPLEX = 1

_HEADER = struct.Struct("<BBI")
_LEN = struct.Struct("<I")


class MutationWriter:
    """Collects state mutations in the packed layout, in the order written."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.stores: list[str] = []
        self.count = 0
        self._index: dict[str, int] = {}

    def _head(self, op: int, kind: int, store: str) -> None:
        index = self._index.get(store)
        if index is None:
            index = self._index[store] = len(self.stores)
            self.stores.append(store)
        self.buffer += _HEADER.pack(op, kind, index)
        self.count += 1

    def _part(self, part: bytes) -> None:
        self.buffer += _LEN.pack(len(part))
        self.buffer += part

    def simple(self, store: str, key: bytes, value: bytes | None) -> None:
        """Writes a put (``value``) or a delete (``None``) of a simple key."""
        self._head(OP_DELETE if value is None else OP_PUT, KIND_SIMPLE, store)
        self._part(key)
        if value is not None:
            self._part(value)

    def complex(self, store: str, prefix: tuple[bytes, bytes, bytes], user_key: bytes, value: bytes | None) -> None:
        """Writes a put (``value``) or a delete (``None``) of a complex key."""
        self._head(OP_DELETE if value is None else OP_PUT, KIND_COMPLEX, store)
        for part in prefix:
            self._part(part)
        self._part(user_key)
        if value is not None:
            self._part(value)

    def delete_prefix(self, store: str, prefix: tuple[bytes, bytes, bytes]) -> None:
        """Writes the removal of every complex key under ``prefix``."""
        self._head(OP_DELETE_PREFIX, KIND_COMPLEX, store)
        for part in prefix:
            self._part(part)


def pack_outputs(values: list[bytes], channels: list[int]) -> tuple[bytes, bytes, bytes]:
    """Returns (data, lens, channels) for the records emitted during one call."""
    return (
        b"".join(values),
        array("i", map(len, values)).tobytes(),
        array("i", channels).tobytes(),
    )
