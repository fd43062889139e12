"""States never share entries: different names, kinds, or keyed versus unkeyed stay apart."""

from __future__ import annotations

import operator

import pytest

from fs_api import ComplexKey
from fs_api.state import (
    BytesCodec,
    IntCodec,
    KeyedListState,
    KeyedMapState,
    KeyedReducingState,
    KeyedValueState,
    ListState,
    MapState,
    ReducingState,
    StrCodec,
    ValueState,
)
from fs_api.testing import MemoryKvStore

ALL = (b"", b"\xff" * 20)


@pytest.fixture
def store() -> MemoryKvStore:
    return MemoryKvStore()


def test_layout_is_the_documented_one(store: MemoryKvStore) -> None:
    ValueState(store, "v", IntCodec()).update(1)
    ListState(store, "l", IntCodec()).add(1)
    MapState(store, "m", StrCodec(), IntCodec()).put("k", 1)
    KeyedValueState(store, "v", StrCodec(), IntCodec()).for_key("alice").update(2)
    KeyedMapState(store, "m", StrCodec(), StrCodec(), IntCodec()).for_key("bob").put("k", 3)
    assert store.list_complex(b"v", b"", b"fs.state/global/value", *ALL) == [b""]
    assert store.list_complex(b"l", b"", b"fs.state/global/list", *ALL) == [b""]
    assert store.list_complex(b"m", b"", b"fs.state/global/map", *ALL) == [b"k"]
    assert store.list_complex(b"v", b"alice", b"fs.state/keyed/value", *ALL) == [b""]
    assert store.list_complex(b"m", b"bob", b"fs.state/keyed/map", *ALL) == [b"k"]
    assert len(store) == 5
    assert store.list_states(*ALL) == []  # typed state never uses simple keys


def test_states_of_different_names_do_not_collide(store: MemoryKvStore) -> None:
    names = ["a", "ab", "a/b", "b", "é", "fs.state/global/value"]
    for index, name in enumerate(names):
        ValueState(store, name, IntCodec()).update(index)
        ListState(store, name, IntCodec()).add(index)
        MapState(store, name, IntCodec(), IntCodec()).put(0, index)
    for index, name in enumerate(names):
        assert ValueState(store, name, IntCodec()).value() == index
        assert ListState(store, name, IntCodec()).get() == [index]
        assert list(MapState(store, name, IntCodec(), IntCodec()).items()) == [(0, index)]
    MapState(store, "a", IntCodec(), IntCodec()).clear()
    assert MapState(store, "ab", IntCodec(), IntCodec()).get(0) == 1


def test_states_of_different_kinds_with_one_name_do_not_collide(store: MemoryKvStore) -> None:
    value = ValueState(store, "x", BytesCodec())
    listing = ListState(store, "x", BytesCodec())
    mapping = MapState(store, "x", BytesCodec(), BytesCodec())
    reducing = ReducingState(store, "x", BytesCodec(), operator.add)
    value.update(b"v")
    listing.add(b"l")
    mapping.put(b"", b"m")  # same user_key as a value entry
    reducing.add(b"r")
    reducing.add(b"r")
    assert value.value() == b"v"
    assert listing.get() == [b"l"]
    assert mapping.get(b"") == b"m"
    assert reducing.get() == b"rr"


@pytest.mark.parametrize("empty_key", [b"", "empty-str"])
def test_keyed_and_unkeyed_states_with_one_name_do_not_collide(store: MemoryKvStore, empty_key: object) -> None:
    # A key that encodes to b"" puts a keyed state on the same key_group and key as the unkeyed state.
    if empty_key == b"":
        key_codec, key = BytesCodec(), b""
        keyed_value = KeyedValueState(store, "s", key_codec, IntCodec()).for_key(key)
        keyed_list = KeyedListState(store, "s", key_codec, IntCodec()).for_key(key)
        keyed_map = KeyedMapState(store, "s", key_codec, IntCodec(), IntCodec()).for_key(key)
        keyed_sum = KeyedReducingState(store, "s", key_codec, IntCodec(), operator.add).for_key(key)
    else:
        keyed_value = KeyedValueState(store, "s", StrCodec(), IntCodec()).for_key("")
        keyed_list = KeyedListState(store, "s", StrCodec(), IntCodec()).for_key("")
        keyed_map = KeyedMapState(store, "s", StrCodec(), IntCodec(), IntCodec()).for_key("")
        keyed_sum = KeyedReducingState(store, "s", StrCodec(), IntCodec(), operator.add).for_key("")
    value = ValueState(store, "s", IntCodec())
    listing = ListState(store, "s", IntCodec())
    mapping = MapState(store, "s", IntCodec(), IntCodec())
    total = ReducingState(store, "s", IntCodec(), operator.add)

    value.update(1)
    keyed_value.update(2)
    listing.add(1)
    keyed_list.add(2)
    mapping.put(0, 1)
    keyed_map.put(0, 2)
    total.add(1)
    keyed_sum.add(2)

    assert (value.value(), keyed_value.value()) == (1, 2)
    assert (listing.get(), keyed_list.get()) == ([1], [2])
    assert (list(mapping.items()), list(keyed_map.items())) == ([(0, 1)], [(0, 2)])
    assert (total.get(), keyed_sum.get()) == (1, 2)

    mapping.clear()
    assert keyed_map.get(0) == 2
    keyed_list.clear()
    assert listing.get() == [1]


def test_different_keys_of_one_keyed_state_do_not_collide(store: MemoryKvStore) -> None:
    # Keys whose encodings are prefixes of one another.
    state = KeyedMapState(store, "m", BytesCodec(), BytesCodec(), IntCodec())
    for index, key in enumerate([b"", b"a", b"ab", b"a\x00", b"\xff"]):
        state.for_key(key).put(b"u", index)
    for index, key in enumerate([b"", b"a", b"ab", b"a\x00", b"\xff"]):
        assert list(state.for_key(key).items()) == [(b"u", index)]


def test_raw_complex_keys_outside_fs_state_namespaces_are_untouched(store: MemoryKvStore) -> None:
    raw = ComplexKey(b"m", b"", b"app", b"k")
    store.put(raw, b"raw")
    state = MapState(store, "m", StrCodec(), StrCodec())
    state.put("k", "typed")
    state.clear()
    assert store.get(raw) == b"raw"
