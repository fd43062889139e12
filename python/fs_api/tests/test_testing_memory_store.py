"""MemoryKvStore implements every KvStore method with the server's semantics."""

from __future__ import annotations

import random

import pytest

from fs_api import ComplexKey, KvIterator, KvOtherError, KvStore
from fs_api.limits import MAX_KEY_BYTES, MAX_VALUE_BYTES
from fs_api.testing import MemoryKvStore

KG, K, NS = b"group", b"key", b"ns"


def ck(user_key: bytes, key_group: bytes = KG, key: bytes = K, namespace: bytes = NS) -> ComplexKey:
    return ComplexKey(key_group, key, namespace, user_key)


@pytest.fixture
def store() -> MemoryKvStore:
    return MemoryKvStore("test")


def test_is_a_kvstore(store: MemoryKvStore) -> None:
    assert isinstance(store, KvStore)
    assert store.name == "test"


# Simple keys.
def test_put_get_delete_state(store: MemoryKvStore) -> None:
    assert store.get_state(b"a") is None
    store.put_state(b"a", b"1")
    assert store.get_state(b"a") == b"1"
    store.put_state(b"a", b"2")
    assert store.get_state(b"a") == b"2"
    store.delete_state(b"a")
    assert store.get_state(b"a") is None
    store.delete_state(b"a")  # absent: no error
    assert len(store) == 0


def test_empty_key_and_empty_value_are_ordinary(store: MemoryKvStore) -> None:
    store.put_state(b"", b"")
    assert store.get_state(b"") == b""
    assert store.list_states(b"", b"\x00") == [b""]


def test_list_states_is_half_open_in_byte_order(store: MemoryKvStore) -> None:
    keys = [b"", b"\x00", b"\x00\x00", b"\x01", b"a", b"ab", b"abc", b"b", b"\xff", b"\xff\xff"]
    shuffled = keys[:]
    random.Random(7).shuffle(shuffled)
    for key in shuffled:
        store.put_state(key, b"v" + key)
    assert store.list_states(b"", b"\xff\xff\xff") == keys
    assert store.list_states(b"a", b"b") == [b"a", b"ab", b"abc"]  # prefix range, end excluded
    assert store.list_states(b"ab", b"abc") == [b"ab"]
    assert store.list_states(b"\x00", b"\x01") == [b"\x00", b"\x00\x00"]
    assert store.list_states(b"\xff", b"\xff\xff") == [b"\xff"]
    assert store.list_states(b"\xff", b"\xff\xff\x00") == [b"\xff", b"\xff\xff"]
    assert store.list_states(b"b", b"b") == []  # empty range
    assert store.list_states(b"b", b"a") == []  # reversed range
    assert store.list_states(b"a", b"") == []  # an empty end is not "open"


def test_list_states_returns_a_copy(store: MemoryKvStore) -> None:
    store.put_state(b"a", b"1")
    listed = store.list_states(b"", b"z")
    listed.append(b"zz")
    assert store.list_states(b"", b"z") == [b"a"]


# Complex keys.
def test_put_get_delete_complex(store: MemoryKvStore) -> None:
    assert store.get(ck(b"u")) is None
    store.put(ck(b"u"), b"1")
    assert store.get(ck(b"u")) == b"1"
    store.put(ck(b"u"), b"2")
    assert store.get(ck(b"u")) == b"2"
    store.delete(ck(b"u"))
    assert store.get(ck(b"u")) is None
    store.delete(ck(b"u"))  # absent: no error
    assert len(store) == 0


def test_merge_appends_and_stores_when_absent(store: MemoryKvStore) -> None:
    store.merge(ck(b"m"), b"ab")
    assert store.get(ck(b"m")) == b"ab"
    store.merge(ck(b"m"), b"cd")
    store.merge(ck(b"m"), b"")
    store.merge(ck(b"m"), b"e")
    assert store.get(ck(b"m")) == b"abcde"
    store.put(ck(b"m"), b"x")  # put replaces a merged value
    store.merge(ck(b"m"), b"y")
    assert store.get(ck(b"m")) == b"xy"


def test_merged_value_read_is_immutable_snapshot(store: MemoryKvStore) -> None:
    store.merge(ck(b"m"), b"a")
    store.merge(ck(b"m"), b"b")
    first = store.get(ck(b"m"))
    store.merge(ck(b"m"), b"c")
    assert first == b"ab"
    assert isinstance(first, bytes)


def test_simple_and_complex_keys_do_not_collide(store: MemoryKvStore) -> None:
    store.put_state(b"", b"simple")
    store.put(ComplexKey(b"", b"", b"", b""), b"complex")
    assert store.get_state(b"") == b"simple"
    assert store.get(ComplexKey(b"", b"", b"", b"")) == b"complex"


def test_complex_keys_whose_concatenation_is_equal_do_not_collide(store: MemoryKvStore) -> None:
    keys = [
        ComplexKey(b"ab", b"c", b"", b""),
        ComplexKey(b"a", b"bc", b"", b""),
        ComplexKey(b"a", b"b", b"c", b""),
        ComplexKey(b"a", b"b", b"", b"c"),
        ComplexKey(b"", b"", b"", b"abc"),
    ]
    for index, key in enumerate(keys):
        store.put(key, bytes([index]))
    for index, key in enumerate(keys):
        assert store.get(key) == bytes([index])
    assert len(store) == len(keys)


def test_delete_prefix_removes_only_that_prefix_and_ignores_user_key(store: MemoryKvStore) -> None:
    for user_key in (b"", b"a", b"b"):
        store.put(ck(user_key), b"1")
        store.put(ck(user_key, key=b"key2"), b"2")
        store.put(ck(user_key, namespace=b"ns2"), b"3")
        store.put(ck(user_key, key_group=b"g2"), b"4")
    store.put_state(b"a", b"simple")
    store.delete_prefix(ck(b"not-there"))
    assert store.list_complex(KG, K, NS, b"", b"\xff") == []
    assert store.scan_complex(KG, K, NS).has_next() is False
    assert store.list_complex(KG, b"key2", NS, b"", b"\xff") == [b"", b"a", b"b"]
    assert store.list_complex(KG, K, b"ns2", b"", b"\xff") == [b"", b"a", b"b"]
    assert store.list_complex(b"g2", K, NS, b"", b"\xff") == [b"", b"a", b"b"]
    assert store.get_state(b"a") == b"simple"
    store.delete_prefix(ck(b""))  # already gone: no error


def test_list_complex_ranges_in_byte_order(store: MemoryKvStore) -> None:
    user_keys = [b"", b"\x00", b"\x00\xff", b"\x01", b"p", b"pa", b"pb", b"q", b"\xfe", b"\xff", b"\xff\x00"]
    shuffled = user_keys[:]
    random.Random(3).shuffle(shuffled)
    for user_key in shuffled:
        store.put(ck(user_key), user_key)
    store.put(ck(b"pa", key=b"other"), b"x")  # another prefix stays out
    assert store.list_complex(KG, K, NS, b"", b"\xff\xff") == user_keys
    assert store.list_complex(KG, K, NS, b"p", b"q") == [b"p", b"pa", b"pb"]
    assert store.list_complex(KG, K, NS, b"\x00", b"\x01") == [b"\x00", b"\x00\xff"]
    assert store.list_complex(KG, K, NS, b"\xff", b"\xff\x01") == [b"\xff", b"\xff\x00"]
    assert store.list_complex(KG, K, NS, b"", b"") == []
    assert store.list_complex(KG, K, NS, b"q", b"p") == []
    assert store.list_complex(b"nope", K, NS, b"", b"\xff") == []


def test_scan_complex_streams_pairs_in_byte_order(store: MemoryKvStore) -> None:
    pairs = {bytes([b]): bytes([b]) * 2 for b in random.Random(5).sample(range(256), 40)}
    for user_key, value in pairs.items():
        store.put(ck(user_key), value)
    store.put(ck(b"x", namespace=b"other"), b"no")
    iterator = store.scan_complex(KG, K, NS)
    assert isinstance(iterator, KvIterator)
    assert list(iterator) == sorted(pairs.items())
    assert iterator.has_next() is False
    assert iterator.next() is None


def test_scan_complex_is_lazy_cursor(store: MemoryKvStore) -> None:
    for user_key in (b"a", b"c", b"e"):
        store.put(ck(user_key), user_key)
    iterator = store.scan_complex(KG, K, NS)
    assert iterator.has_next() and iterator.has_next()  # has_next does not advance
    assert iterator.next() == (b"a", b"a")
    # Nothing was copied when the scan started: later changes ahead of the cursor show.
    store.put(ck(b"b"), b"b")
    store.delete(ck(b"c"))
    store.put(ck(b"e"), b"E")
    store.delete(ck(b"a"))  # behind the cursor: no effect on the scan
    assert iterator.next() == (b"b", b"b")
    assert iterator.next() == (b"e", b"E")
    assert iterator.next() is None
    assert iterator.has_next() is False


def test_scan_complex_of_absent_prefix_is_empty(store: MemoryKvStore) -> None:
    iterator = store.scan_complex(b"none", b"", b"")
    assert iterator.has_next() is False
    assert iterator.next() is None


def test_scan_survives_delete_prefix_and_refill(store: MemoryKvStore) -> None:
    store.put(ck(b"a"), b"1")
    store.put(ck(b"b"), b"2")
    iterator = store.scan_complex(KG, K, NS)
    assert iterator.next() == (b"a", b"1")
    store.delete_prefix(ck(b""))
    assert iterator.has_next() is False
    store.put(ck(b"c"), b"3")
    assert iterator.next() == (b"c", b"3")


# Argument checks.
@pytest.mark.parametrize("bad", ["text", bytearray(b"x"), memoryview(b"x"), 1, None])
def test_non_bytes_keys_and_values_raise_type_error(store: MemoryKvStore, bad: object) -> None:
    calls = [
        lambda: store.put_state(bad, b"v"),  # type: ignore[arg-type]
        lambda: store.put_state(b"k", bad),  # type: ignore[arg-type]
        lambda: store.get_state(bad),  # type: ignore[arg-type]
        lambda: store.delete_state(bad),  # type: ignore[arg-type]
        lambda: store.list_states(bad, b"z"),  # type: ignore[arg-type]
        lambda: store.list_states(b"", bad),  # type: ignore[arg-type]
        lambda: store.put(ck(b"u"), bad),  # type: ignore[arg-type]
        lambda: store.merge(ck(b"u"), bad),  # type: ignore[arg-type]
        lambda: store.put(ComplexKey(bad, K, NS, b""), b"v"),  # type: ignore[arg-type]
        lambda: store.get(ComplexKey(KG, bad, NS, b"")),  # type: ignore[arg-type]
        lambda: store.delete(ComplexKey(KG, K, bad, b"")),  # type: ignore[arg-type]
        lambda: store.delete_prefix(ComplexKey(KG, K, NS, bad)),  # type: ignore[arg-type]
        lambda: store.list_complex(bad, K, NS, b"", b"z"),  # type: ignore[arg-type]
        lambda: store.list_complex(KG, K, NS, b"", bad),  # type: ignore[arg-type]
        lambda: store.scan_complex(KG, bad, NS),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(TypeError, match="must be bytes"):
            call()
    assert len(store) == 0


def test_str_key_error_hints_at_encode(store: MemoryKvStore) -> None:
    with pytest.raises(TypeError, match=r"type str.*\.encode\(\)"):
        store.put_state("count", b"1")  # type: ignore[arg-type]


def test_complex_methods_reject_a_non_complex_key(store: MemoryKvStore) -> None:
    with pytest.raises(TypeError, match="ComplexKey"):
        store.put((KG, K, NS, b""), b"v")  # type: ignore[arg-type]


# Size limits.
def test_limits_match_the_server() -> None:
    assert MAX_KEY_BYTES == 2000
    assert MAX_VALUE_BYTES == 16 * 1024 * 1024


def test_simple_key_over_limit_raises_naming_the_limit(store: MemoryKvStore) -> None:
    store.put_state(b"k" * MAX_KEY_BYTES, b"ok")
    with pytest.raises(KvOtherError, match="MAX_KEY_BYTES=2000"):
        store.put_state(b"k" * (MAX_KEY_BYTES + 1), b"v")
    assert store.list_states(b"", b"\xff") == [b"k" * MAX_KEY_BYTES]


def test_complex_key_limit_counts_all_four_parts(store: MemoryKvStore) -> None:
    store.put(ComplexKey(b"g" * 500, b"k" * 500, b"n" * 500, b"u" * 500), b"ok")
    too_long = ComplexKey(b"g" * 500, b"k" * 500, b"n" * 500, b"u" * 501)
    with pytest.raises(KvOtherError, match="MAX_KEY_BYTES"):
        store.put(too_long, b"v")
    with pytest.raises(KvOtherError, match="MAX_KEY_BYTES"):
        store.merge(too_long, b"v")
    assert len(store) == 1


def test_value_over_limit_raises_naming_the_limit(store: MemoryKvStore) -> None:
    store.put_state(b"big", bytes(MAX_VALUE_BYTES))
    with pytest.raises(KvOtherError, match="MAX_VALUE_BYTES=16777216"):
        store.put_state(b"k", bytes(MAX_VALUE_BYTES + 1))
    with pytest.raises(KvOtherError, match="MAX_VALUE_BYTES"):
        store.put(ck(b"u"), bytes(MAX_VALUE_BYTES + 1))
    assert store.get_state(b"k") is None
    assert store.get(ck(b"u")) is None


def test_merge_limit_applies_to_the_appended_result(store: MemoryKvStore) -> None:
    store.merge(ck(b"m"), bytes(MAX_VALUE_BYTES - 1))
    store.merge(ck(b"m"), b"\x01")
    with pytest.raises(KvOtherError, match="MAX_VALUE_BYTES"):
        store.merge(ck(b"m"), b"\x02")
    value = store.get(ck(b"m"))
    assert value is not None and len(value) == MAX_VALUE_BYTES and value[-1:] == b"\x01"


def test_clear_empties_the_store(store: MemoryKvStore) -> None:
    store.put_state(b"a", b"1")
    store.put(ck(b"a"), b"1")
    assert len(store) == 2
    store.clear()
    assert len(store) == 0
    assert store.get_state(b"a") is None
