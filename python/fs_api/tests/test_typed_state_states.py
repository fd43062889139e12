"""Every typed state works on a KvStore through its public API only."""

from __future__ import annotations

import operator
from collections import Counter
from typing import Any

import pytest

from fs_api import ComplexKey, KvIterator, KvOtherError, KvStore
from fs_api.state import (
    AggregatingState,
    BytesCodec,
    FloatCodec,
    IntCodec,
    JsonCodec,
    ListState,
    MapState,
    PickleCodec,
    ReducingState,
    StateCorruptedError,
    StrCodec,
    ValueState,
)
from fs_api.testing import MemoryKvStore


class SpyStore(KvStore):
    """Delegates to a MemoryKvStore and counts calls, to check which KvStore methods states use."""

    def __init__(self) -> None:
        self.inner = MemoryKvStore()
        self.calls: Counter[str] = Counter()

    def put_state(self, key: bytes, value: bytes) -> None:
        self.calls["put_state"] += 1
        self.inner.put_state(key, value)

    def get_state(self, key: bytes) -> bytes | None:
        self.calls["get_state"] += 1
        return self.inner.get_state(key)

    def delete_state(self, key: bytes) -> None:
        self.calls["delete_state"] += 1
        self.inner.delete_state(key)

    def list_states(self, start_inclusive: bytes, end_exclusive: bytes) -> list[bytes]:
        self.calls["list_states"] += 1
        return self.inner.list_states(start_inclusive, end_exclusive)

    def put(self, key: ComplexKey, value: bytes) -> None:
        self.calls["put"] += 1
        self.inner.put(key, value)

    def get(self, key: ComplexKey) -> bytes | None:
        self.calls["get"] += 1
        return self.inner.get(key)

    def delete(self, key: ComplexKey) -> None:
        self.calls["delete"] += 1
        self.inner.delete(key)

    def merge(self, key: ComplexKey, value: bytes) -> None:
        self.calls["merge"] += 1
        self.inner.merge(key, value)

    def delete_prefix(self, key: ComplexKey) -> None:
        self.calls["delete_prefix"] += 1
        self.inner.delete_prefix(key)

    def list_complex(
        self, key_group: bytes, key: bytes, namespace: bytes, start_inclusive: bytes, end_exclusive: bytes
    ) -> list[bytes]:
        self.calls["list_complex"] += 1
        return self.inner.list_complex(key_group, key, namespace, start_inclusive, end_exclusive)

    def scan_complex(self, key_group: bytes, key: bytes, namespace: bytes) -> KvIterator:
        self.calls["scan_complex"] += 1
        return self.inner.scan_complex(key_group, key, namespace)


class Mean:
    """An AggregateFunction: running mean with a [sum, count] accumulator."""

    def create_accumulator(self) -> list[float]:
        return [0.0, 0]

    def add(self, value: float, accumulator: list[float]) -> list[float]:
        return [accumulator[0] + value, accumulator[1] + 1]

    def get_result(self, accumulator: list[float]) -> float:
        return accumulator[0] / accumulator[1]


@pytest.fixture
def store() -> MemoryKvStore:
    return MemoryKvStore()


# ValueState.
def test_value_state_update_value_clear(store: MemoryKvStore) -> None:
    state = ValueState(store, "total", IntCodec())
    assert state.name == "total"
    assert state.value() is None
    assert state.value(0) == 0
    state.update(5)
    assert state.value() == 5
    state.update(-7)
    assert state.value(0) == -7
    state.clear()
    assert state.value() is None
    assert len(store) == 0


def test_value_state_is_shared_by_instances_with_the_same_name(store: MemoryKvStore) -> None:
    ValueState(store, "v", StrCodec()).update("hello")
    assert ValueState(store, "v", StrCodec()).value() == "hello"


def test_value_state_can_hold_a_falsy_value(store: MemoryKvStore) -> None:
    state = ValueState(store, "flag", JsonCodec())
    state.update(None)
    assert state.value("absent") is None
    state.clear()
    assert state.value("absent") == "absent"


# ListState.
def test_list_state_add_add_all_update_clear(store: MemoryKvStore) -> None:
    state = ListState(store, "events", StrCodec())
    assert state.get() == []
    state.add("a")
    state.add("")
    state.add_all(["b", "c"])
    state.add_all([])
    assert state.get() == ["a", "", "b", "c"]
    state.update(["x", "y"])
    assert state.get() == ["x", "y"]
    state.update([])
    assert state.get() == []
    assert len(store) == 0
    state.add("z")
    state.clear()
    assert state.get() == []


def test_list_state_add_appends_with_merge_without_reading() -> None:
    spy = SpyStore()
    state = ListState(spy, "l", IntCodec())
    for i in range(100):
        state.add(i)
    state.add_all(range(100, 200))
    assert spy.calls == Counter({"merge": 101})
    assert state.get() == list(range(200))
    assert spy.calls["get"] == 1


def test_list_state_with_10000_adds_stays_correct(store: MemoryKvStore) -> None:
    state = ListState(store, "big", JsonCodec())
    expected = [{"i": i, "s": "x" * (i % 7)} for i in range(10_000)]
    for item in expected:
        state.add(item)
    assert state.get() == expected
    state.add("tail")
    assert state.get()[-1] == "tail"
    assert len(state.get()) == 10_001


def test_list_state_holds_binary_elements_with_any_bytes(store: MemoryKvStore) -> None:
    state = ListState(store, "bin", BytesCodec())
    elements = [b"", b"\x00\x00\x00\x04", bytes(range(256)), b"\xff" * 1000]
    state.add_all(elements)
    assert state.get() == elements


def test_list_state_over_the_value_limit_fails_and_keeps_the_list(store: MemoryKvStore) -> None:
    state = ListState(store, "l", BytesCodec())
    state.add(b"a")
    with pytest.raises(KvOtherError, match="MAX_VALUE_BYTES"):
        state.add(bytes(16 * 1024 * 1024))
    assert state.get() == [b"a"]


# MapState.
def test_map_state_get_put_contains_remove(store: MemoryKvStore) -> None:
    state = MapState(store, "m", StrCodec(), IntCodec())
    assert state.get("a") is None
    assert state.get("a", 0) == 0
    assert not state.contains("a")
    assert state.is_empty()
    state.put("a", 1)
    state.put("", 0)
    state.put("a", 2)
    assert state.get("a") == 2
    assert state.get("") == 0
    assert state.contains("") and "a" in state and "b" not in state
    assert not state.is_empty()
    state.remove("a")
    state.remove("missing")
    assert state.get("a") is None
    assert list(state.items()) == [("", 0)]


def test_map_state_iterates_in_numeric_order_with_int_keys(store: MemoryKvStore) -> None:
    state = MapState(store, "by_int", IntCodec(), StrCodec())
    keys = [5, -1, 0, 2**62, -(2**62), 3, -300]
    state.put_all({k: str(k) for k in keys})
    assert list(state.keys()) == sorted(keys)
    assert list(state.values()) == [str(k) for k in sorted(keys)]
    assert list(state.items()) == [(k, str(k)) for k in sorted(keys)]
    assert list(state) == sorted(keys)


def test_map_state_iterates_in_numeric_order_with_float_keys(store: MemoryKvStore) -> None:
    state = MapState(store, "by_float", FloatCodec(), IntCodec())
    keys = [1.5, -2.25, 0.0, -1e-9, 1e9, float("-inf")]
    for index, key in enumerate(keys):
        state.put(key, index)
    assert list(state.keys()) == sorted(keys)


def test_map_state_streams_with_scan_complex_and_clears_with_delete_prefix() -> None:
    spy = SpyStore()
    state = MapState(spy, "m", IntCodec(), IntCodec())
    for i in range(50):
        state.put(i, i * i)
    items = state.items()
    assert next(items) == (0, 0)
    assert next(items) == (1, 1)
    assert spy.calls["scan_complex"] == 1
    assert spy.calls["list_complex"] == 0
    assert spy.calls["get"] == 0
    assert sum(1 for _ in items) == 48
    state.clear()
    assert spy.calls["delete_prefix"] == 1
    assert state.is_empty()
    assert len(spy.inner) == 0


def test_map_state_with_composite_values(store: MemoryKvStore) -> None:
    state = MapState(store, "sessions", StrCodec(), PickleCodec())
    state.put("u1", {"pages": ("a", "b"), "n": 2})
    assert state.get("u1") == {"pages": ("a", "b"), "n": 2}


def test_map_state_key_over_the_limit_raises(store: MemoryKvStore) -> None:
    state = MapState(store, "m", BytesCodec(), IntCodec())
    with pytest.raises(KvOtherError, match="MAX_KEY_BYTES"):
        state.put(b"k" * 2000, 1)
    assert state.is_empty()


# ReducingState.
def test_reducing_state_folds_added_values(store: MemoryKvStore) -> None:
    total = ReducingState(store, "sum", IntCodec(), operator.add)
    assert total.get() is None
    for i in range(1, 11):
        total.add(i)
    assert total.get() == 55
    peak = ReducingState(store, "peak", FloatCodec(), max)
    for value in (3.5, -1.0, 7.25, 2.0):
        peak.add(value)
    assert peak.get() == 7.25
    total.clear()
    assert total.get() is None
    assert peak.get() == 7.25


def test_reducing_state_keeps_the_value_when_reduce_fails(store: MemoryKvStore) -> None:
    def picky(a: int, b: int) -> int:
        if b < 0:
            raise ValueError("negative")
        return a + b

    state = ReducingState(store, "r", IntCodec(), picky)
    state.add(1)
    state.add(2)
    with pytest.raises(ValueError, match="negative"):
        state.add(-1)
    assert state.get() == 3


def test_reducing_state_needs_a_callable(store: MemoryKvStore) -> None:
    with pytest.raises(TypeError, match="reduce_fn"):
        ReducingState(store, "r", IntCodec(), "add")  # type: ignore[arg-type]


# AggregatingState.
def test_aggregating_state_adds_and_reads_the_result(store: MemoryKvStore) -> None:
    mean: AggregatingState[float, list[float], float] = AggregatingState(store, "mean", JsonCodec(), Mean())
    assert mean.get() is None
    assert mean.accumulator() is None
    for value in (2.0, 4.0, 9.0):
        mean.add(value)
    assert mean.get() == 5.0
    assert mean.accumulator() == [15.0, 3]
    mean.clear()
    assert mean.get() is None


def test_aggregating_state_rejects_an_incomplete_function(store: MemoryKvStore) -> None:
    class NoResult:
        def create_accumulator(self) -> int:
            return 0

        def add(self, value: int, accumulator: int) -> int:
            return accumulator + value

    with pytest.raises(TypeError, match="get_result"):
        AggregatingState(store, "a", IntCodec(), NoResult())  # type: ignore[arg-type]


# Argument checks and corrupted data.
@pytest.mark.parametrize("name", ["", None, b"bytes"])
def test_states_need_a_non_empty_str_name(store: MemoryKvStore, name: Any) -> None:
    with pytest.raises(ValueError, match="non-empty str"):
        ValueState(store, name, IntCodec())


@pytest.mark.parametrize("ttl", [0, -1, float("inf"), float("nan"), "10", True])
def test_states_reject_a_bad_ttl(store: MemoryKvStore, ttl: Any) -> None:
    with pytest.raises(ValueError, match="ttl"):
        ListState(store, "l", IntCodec(), ttl=ttl)


def test_states_need_a_kvstore() -> None:
    with pytest.raises(TypeError, match="KvStore"):
        MapState({}, "m", IntCodec(), IntCodec())  # type: ignore[arg-type]


def test_reading_bytes_another_writer_left_raises_state_corrupted(store: MemoryKvStore) -> None:
    value = ValueState(store, "v", IntCodec())
    store.put(ComplexKey(b"v", b"", b"fs.state/global/value", b""), b"\x07garbage")
    with pytest.raises(StateCorruptedError, match="'v'"):
        value.value()
    listing = ListState(store, "l", IntCodec())
    store.put(ComplexKey(b"l", b"", b"fs.state/global/list", b""), b"\x00\x00\x00\x09\x00")
    with pytest.raises(StateCorruptedError, match="runs past the end"):
        listing.get()
    store.put(ComplexKey(b"l", b"", b"fs.state/global/list", b""), b"\x00\x00")
    with pytest.raises(StateCorruptedError, match="truncated"):
        listing.get()
    listing.clear()
    assert listing.get() == []
