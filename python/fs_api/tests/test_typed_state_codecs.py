"""Codecs round-trip their values; IntCodec and FloatCodec keep numeric order in byte order."""

from __future__ import annotations

import itertools
import math
import random
import struct
from typing import Any

import pytest

from fs_api.state import (
    BoolCodec,
    BytesCodec,
    Codec,
    FloatCodec,
    IntCodec,
    JsonCodec,
    PickleCodec,
    StrCodec,
)

INT_MIN, INT_MAX = -(2**63), 2**63 - 1


@pytest.mark.parametrize(
    ("codec", "values"),
    [
        (BytesCodec(), [b"", b"\x00", b"\xff" * 10, bytes(range(256))]),
        (StrCodec(), ["", "a", "héllo", "日本語", "\x00", "emoji \U0001f600"]),
        (IntCodec(), [0, 1, -1, 42, -42, INT_MIN, INT_MAX, INT_MIN + 1, INT_MAX - 1]),
        (FloatCodec(), [0.0, -0.0, 1.5, -1.5, math.inf, -math.inf, 5e-324, -5e-324, 1.7976931348623157e308]),
        (BoolCodec(), [True, False]),
        (JsonCodec(), [None, 0, -3, 1.5, "s", [1, "a", None], {"b": 1, "a": [True, {"c": None}]}]),
        (PickleCodec(), [None, (1, 2), {1: {2, 3}}, frozenset({"x"}), 10**30, b"raw"]),
    ],
)
def test_round_trip(codec: Codec[Any], values: list[Any]) -> None:
    assert isinstance(codec, Codec)
    for value in values:
        data = codec.encode(value)
        assert isinstance(data, bytes)
        decoded = codec.decode(data)
        assert decoded == value and type(decoded) is type(value)


def test_float_codec_keeps_the_sign_of_zero_and_nan_bits() -> None:
    codec = FloatCodec()
    assert math.copysign(1.0, codec.decode(codec.encode(-0.0))) == -1.0
    assert math.copysign(1.0, codec.decode(codec.encode(0.0))) == 1.0
    assert math.isnan(codec.decode(codec.encode(math.nan)))
    negative_nan = struct.unpack(">d", bytes.fromhex("fff8000000000001"))[0]
    back = codec.decode(codec.encode(negative_nan))
    assert struct.pack(">d", back) == struct.pack(">d", negative_nan)


def test_int_codec_encoding_is_the_documented_one() -> None:
    codec = IntCodec()
    assert codec.encode(INT_MIN) == bytes(8)
    assert codec.encode(-1) == b"\x7f" + b"\xff" * 7
    assert codec.encode(0) == b"\x80" + bytes(7)
    assert codec.encode(INT_MAX) == b"\xff" * 8


def test_int_codec_byte_order_is_numeric_order() -> None:
    rng = random.Random(11)
    values = [0, 1, -1, INT_MIN, INT_MAX, 255, 256, -255, -256]
    values += [rng.randint(INT_MIN, INT_MAX) for _ in range(2000)]
    values += [rng.randint(-1000, 1000) for _ in range(500)]
    codec = IntCodec()
    assert sorted(values, key=codec.encode) == sorted(values)
    for a, b in itertools.pairwise(values):
        assert (codec.encode(a) < codec.encode(b)) == (a < b)


def test_float_codec_byte_order_is_numeric_order() -> None:
    rng = random.Random(13)
    values = [0.0, -math.inf, math.inf, 5e-324, -5e-324, 1.0, -1.0, 2.2250738585072014e-308]
    values += [rng.uniform(-1e6, 1e6) for _ in range(1000)]
    values += [rng.gauss(0, 1) * 10 ** rng.randint(-300, 300) for _ in range(1000)]
    values += [struct.unpack(">d", rng.randbytes(8))[0] for _ in range(1000)]
    values = [v for v in values if not math.isnan(v)]
    codec = FloatCodec()
    assert sorted(values, key=codec.encode) == sorted(values)
    for a, b in itertools.pairwise(values):
        if a != b:
            assert (codec.encode(a) < codec.encode(b)) == (a < b)


def test_float_codec_orders_signed_zero_and_infinities() -> None:
    codec = FloatCodec()
    ordered = [-math.inf, -1e308, -1.0, -5e-324, -0.0, 0.0, 5e-324, 1.0, 1e308, math.inf]
    encoded = [codec.encode(v) for v in ordered]
    assert encoded == sorted(encoded)
    assert len(set(encoded)) == len(encoded)  # -0.0 and 0.0 are distinct
    positive_nan = codec.encode(math.nan)
    assert positive_nan > codec.encode(math.inf)


def test_float_codec_accepts_ints() -> None:
    assert FloatCodec().decode(FloatCodec().encode(3)) == 3.0


def test_int_codec_rejects_out_of_range_and_non_ints() -> None:
    codec = IntCodec()
    for value in (INT_MAX + 1, INT_MIN - 1, 2**100):
        with pytest.raises(ValueError, match="signed 64-bit"):
            codec.encode(value)
    for bad in (1.0, "1", True, None):
        with pytest.raises(TypeError, match="IntCodec"):
            codec.encode(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("codec", "bad"),
    [
        (BytesCodec(), "text"),
        (BytesCodec(), bytearray(b"x")),
        (StrCodec(), b"bytes"),
        (FloatCodec(), "1.0"),
        (FloatCodec(), False),
        (BoolCodec(), 1),
        (JsonCodec(), {1, 2}),
        (JsonCodec(), object()),
    ],
)
def test_encode_rejects_values_of_the_wrong_type(codec: Codec[Any], bad: object) -> None:
    with pytest.raises(TypeError):
        codec.encode(bad)


@pytest.mark.parametrize(
    ("codec", "data"),
    [
        (IntCodec(), b"\x00" * 7),
        (IntCodec(), b"\x00" * 9),
        (FloatCodec(), b""),
        (BoolCodec(), b"\x02"),
        (BoolCodec(), b""),
        (StrCodec(), b"\xff\xfe"),
        (JsonCodec(), b"{not json"),
        (PickleCodec(), b"garbage"),
        (PickleCodec(), b""),
    ],
)
def test_decode_rejects_bytes_the_codec_did_not_write(codec: Codec[Any], data: bytes) -> None:
    with pytest.raises(ValueError):
        codec.decode(data)


def test_decode_rejects_non_bytes() -> None:
    for codec in (BytesCodec(), StrCodec(), IntCodec(), FloatCodec(), BoolCodec(), JsonCodec(), PickleCodec()):
        with pytest.raises(TypeError, match="decodes bytes"):
            codec.decode("text")  # type: ignore[arg-type]


def test_json_codec_is_compact_and_deterministic() -> None:
    codec = JsonCodec()
    assert codec.encode({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    assert JsonCodec(sort_keys=False).encode({"b": 1, "a": 2}) == b'{"b":1,"a":2}'


def test_str_codec_byte_order_is_code_point_order() -> None:
    words = ["", "a", "ab", "b", "z", "é", "日", "\U0001f600", "\uffff"]
    codec = StrCodec()
    assert sorted(words, key=codec.encode) == sorted(words)
