"""Size limits of operator state, as ``fs_api.testing`` applies them.

A key's size is its length in bytes. For a ``ComplexKey`` it is the sum of the
lengths of its four parts (``key_group + key + namespace + user_key``). A
value's size is its length in bytes; for ``merge`` it is the size of the value
after appending. Values: 16 MiB on the server too.

The server stores a key inside a 2048-byte Deno KV key together with the
function and store names, so its exact key budget is 2048 bytes minus 16
(simple keys) or 22 (complex keys), minus the UTF-8 length of the function and
store names, with every 0x00 byte counted twice. ``MAX_KEY_BYTES`` (2000) is
guaranteed on the server for keys without 0x00 bytes when the function and
store names together take at most 26 bytes; keep keys well below it (hash long
identifiers) to be safe everywhere.

Writing a key or value over its limit raises ``KvOtherError`` naming the limit:
make the key shorter (for example hash a long identifier) or split the value
over several keys.
"""

from __future__ import annotations

from .errors import KvOtherError
from .store import ComplexKey

__all__ = [
    "MAX_KEY_BYTES",
    "MAX_VALUE_BYTES",
    "check_key_size",
    "check_value_size",
    "complex_key_size",
]

#: Largest key, in bytes (simple key, or the four parts of a ComplexKey together).
MAX_KEY_BYTES: int = 2_000

#: Largest value, in bytes (16 MiB).
MAX_VALUE_BYTES: int = 16 * 1024 * 1024


def complex_key_size(key: ComplexKey) -> int:
    """Returns the size of ``key`` as the limit counts it: its four parts together."""
    return len(key.key_group) + len(key.key) + len(key.namespace) + len(key.user_key)


def check_key_size(size: int) -> None:
    """Raises ``KvOtherError`` when a key of ``size`` bytes is over ``MAX_KEY_BYTES``."""
    if size > MAX_KEY_BYTES:
        raise KvOtherError(
            f"Cannot store a key of {size} bytes as keys are limited to "
            f"MAX_KEY_BYTES={MAX_KEY_BYTES} bytes: use a shorter key"
        )


def check_value_size(size: int) -> None:
    """Raises ``KvOtherError`` when a value of ``size`` bytes is over ``MAX_VALUE_BYTES``."""
    if size > MAX_VALUE_BYTES:
        raise KvOtherError(
            f"Cannot store a value of {size} bytes as values are limited to "
            f"MAX_VALUE_BYTES={MAX_VALUE_BYTES} bytes (16 MiB): split the value over several keys"
        )
