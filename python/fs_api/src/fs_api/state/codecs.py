"""Codecs turn typed values into state bytes and back.

A codec is any object with ``encode(value) -> bytes`` and
``decode(data) -> value`` (the ``Codec`` protocol). ``decode(encode(v)) == v``
for every value a codec accepts.

``IntCodec`` and ``FloatCodec`` are order-preserving: comparing two encodings
byte by byte gives the same answer as comparing the numbers, so they make good
``MapState`` keys (iteration follows numeric order).

On error: ``encode`` raises TypeError for a value of the wrong type and
ValueError for a value the codec cannot represent (an int outside 64 bits);
``decode`` raises ValueError for bytes the codec did not write. Check that the
state is read with the codec that wrote it.
"""

from __future__ import annotations

import json
import pickle
import struct
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = [
    "BoolCodec",
    "BytesCodec",
    "Codec",
    "FloatCodec",
    "IntCodec",
    "JsonCodec",
    "PickleCodec",
    "StrCodec",
]

T = TypeVar("T")

_SIGN_BIT = 1 << 63
_MASK_64 = (1 << 64) - 1
_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 63) - 1


@runtime_checkable
class Codec(Protocol[T]):
    """Encodes values of type ``T`` as bytes and decodes them back."""

    def encode(self, value: T) -> bytes:
        """Returns the bytes for ``value``."""
        ...

    def decode(self, data: bytes) -> T:
        """Returns the value ``encode`` turned into ``data``."""
        ...


def _type_error(codec: str, expected: str, value: object) -> TypeError:
    return TypeError(
        f"Cannot encode {value!r} with {codec} as it takes {expected}: current type is {type(value).__name__}"
    )


def _require_bytes(codec: str, data: object) -> bytes:
    if not isinstance(data, bytes):
        raise TypeError(
            f"Cannot decode {data!r} with {codec} as it decodes bytes: current type is {type(data).__name__}"
        )
    return data


class BytesCodec:
    """Bytes as they are."""

    def encode(self, value: bytes) -> bytes:
        """Returns ``value``; raises TypeError for anything but bytes."""
        if not isinstance(value, bytes):
            raise _type_error("BytesCodec", "bytes", value)
        return value

    def decode(self, data: bytes) -> bytes:
        """Returns ``data``."""
        return _require_bytes("BytesCodec", data)


class StrCodec:
    """Strings as UTF-8 (byte order of the encoding is code point order)."""

    def encode(self, value: str) -> bytes:
        """Returns ``value`` in UTF-8; raises TypeError for anything but str."""
        if not isinstance(value, str):
            raise _type_error("StrCodec", "str", value)
        return value.encode("utf-8")

    def decode(self, data: bytes) -> str:
        """Returns the string; raises ValueError (UnicodeDecodeError) for invalid UTF-8."""
        return _require_bytes("StrCodec", data).decode("utf-8")


class IntCodec:
    """Signed 64-bit ints as 8 order-preserving bytes.

    The encoding is the two's complement big-endian form with the sign bit
    flipped (equivalently ``value + 2**63`` as an unsigned big-endian int), so
    -2**63 encodes as 00..00, -1 as 7F FF..FF, 0 as 80 00..00 and 2**63-1 as
    FF..FF: byte order equals numeric order. Ints outside
    ``[-2**63, 2**63 - 1]`` raise ValueError; bools raise TypeError.
    """

    def encode(self, value: int) -> bytes:
        """Returns the 8-byte order-preserving encoding of ``value``."""
        if not isinstance(value, int) or isinstance(value, bool):
            raise _type_error("IntCodec", "int", value)
        if not _INT_MIN <= value <= _INT_MAX:
            raise ValueError(
                f"Cannot encode {value} with IntCodec as it holds signed 64-bit ints "
                f"[{_INT_MIN}, {_INT_MAX}]: use JsonCodec or StrCodec for larger ints"
            )
        return (value + _SIGN_BIT).to_bytes(8, "big")

    def decode(self, data: bytes) -> int:
        """Returns the int; raises ValueError unless ``data`` is 8 bytes."""
        if len(_require_bytes("IntCodec", data)) != 8:
            raise ValueError(f"Cannot decode {data!r} with IntCodec as it reads 8 bytes: current length is {len(data)}")
        return int.from_bytes(data, "big") - _SIGN_BIT


class FloatCodec:
    """Floats as 8 order-preserving bytes built from their IEEE-754 binary64 bits.

    Positive floats (sign bit 0) get the sign bit set; negative floats get
    every bit inverted. Byte order is then numeric order, with
    -inf < negative < -0.0 < 0.0 < positive < inf (-0.0 and 0.0 stay distinct
    and round-trip). NaNs keep their bits: a positive NaN sorts after inf, a
    negative one before -inf. Ints are accepted and stored as floats.
    """

    def encode(self, value: float) -> bytes:
        """Returns the 8-byte order-preserving encoding of ``value``."""
        if not isinstance(value, (float, int)) or isinstance(value, bool):
            raise _type_error("FloatCodec", "float", value)
        bits: int = struct.unpack(">Q", struct.pack(">d", float(value)))[0]
        bits = (~bits & _MASK_64) if bits & _SIGN_BIT else (bits | _SIGN_BIT)
        return bits.to_bytes(8, "big")

    def decode(self, data: bytes) -> float:
        """Returns the float; raises ValueError unless ``data`` is 8 bytes."""
        if len(_require_bytes("FloatCodec", data)) != 8:
            raise ValueError(
                f"Cannot decode {data!r} with FloatCodec as it reads 8 bytes: current length is {len(data)}"
            )
        bits = int.from_bytes(data, "big")
        bits = (bits & ~_SIGN_BIT) if bits & _SIGN_BIT else (~bits & _MASK_64)
        value: float = struct.unpack(">d", bits.to_bytes(8, "big"))[0]
        return value


class BoolCodec:
    """Bools as one byte: 0x00 for False, 0x01 for True."""

    def encode(self, value: bool) -> bytes:
        """Returns b"\\x01" or b"\\x00"; raises TypeError for anything but bool."""
        if not isinstance(value, bool):
            raise _type_error("BoolCodec", "bool", value)
        return b"\x01" if value else b"\x00"

    def decode(self, data: bytes) -> bool:
        """Returns the bool; raises ValueError for anything but b"\\x00" or b"\\x01"."""
        if _require_bytes("BoolCodec", data) == b"\x01":
            return True
        if data == b"\x00":
            return False
        raise ValueError(f"Cannot decode {data!r} with BoolCodec as it reads b'\\x00' or b'\\x01'")


class JsonCodec:
    """JSON values as compact UTF-8 JSON.

    Object keys are sorted by default so equal values give equal bytes. Tuples
    come back as lists and non-str dict keys as str, as JSON does; values JSON
    cannot hold raise TypeError.
    """

    def __init__(self, *, sort_keys: bool = True) -> None:
        self.sort_keys = sort_keys

    def encode(self, value: Any) -> bytes:
        """Returns the JSON text of ``value`` in UTF-8."""
        text = json.dumps(value, sort_keys=self.sort_keys, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")

    def decode(self, data: bytes) -> Any:
        """Returns the value; raises ValueError (JSONDecodeError) for invalid JSON."""
        return json.loads(_require_bytes("JsonCodec", data).decode("utf-8"))


class PickleCodec:
    """Any picklable Python value, with ``pickle``.

    Only decode state your own operator wrote: unpickling runs code named in
    the data. Renaming or moving a pickled class breaks decoding of old state.
    """

    def __init__(self, *, protocol: int = 5) -> None:
        self.protocol = protocol

    def encode(self, value: Any) -> bytes:
        """Returns the pickle of ``value``."""
        return pickle.dumps(value, protocol=self.protocol)

    def decode(self, data: bytes) -> Any:
        """Returns the unpickled value; raises ValueError (UnpicklingError) for corrupt data."""
        _require_bytes("PickleCodec", data)
        try:
            return pickle.loads(data)
        except Exception as error:  # pickle raises many types for bad input; the contract is ValueError
            raise ValueError(f"Cannot decode {len(data)} bytes with PickleCodec: {error}") from error
