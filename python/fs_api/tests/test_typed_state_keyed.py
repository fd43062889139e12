"""Keyed states give one independent state per key through for_key(key)."""

from __future__ import annotations

import operator
from typing import Any

import pytest

from fs_api.state import (
    IntCodec,
    JsonCodec,
    KeyedAggregatingState,
    KeyedListState,
    KeyedMapState,
    KeyedReducingState,
    KeyedValueState,
    ListState,
    MapState,
    StrCodec,
    ValueState,
)
from fs_api.testing import MemoryKvStore


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


def test_for_key_returns_the_unkeyed_state_types(store: MemoryKvStore) -> None:
    assert isinstance(KeyedValueState(store, "v", StrCodec(), IntCodec()).for_key("a"), ValueState)
    assert isinstance(KeyedListState(store, "l", StrCodec(), IntCodec()).for_key("a"), ListState)
    assert isinstance(KeyedMapState(store, "m", StrCodec(), StrCodec(), IntCodec()).for_key("a"), MapState)
    assert KeyedValueState(store, "v", StrCodec(), IntCodec()).for_key("a").name == "v"
    assert len(store) == 0  # views do not touch the store


def test_keyed_value_state_scopes_by_key(store: MemoryKvStore) -> None:
    clicks = KeyedValueState(store, "clicks", StrCodec(), IntCodec())
    assert clicks.name == "clicks"
    for user in ("alice", "bob", "alice", "", "alice"):
        view = clicks.for_key(user)
        view.update(view.value(0) + 1)  # type: ignore[operator]
    assert clicks.for_key("alice").value() == 3
    assert clicks.for_key("bob").value() == 1
    assert clicks.for_key("").value() == 1
    assert clicks.for_key("carol").value() is None
    clicks.for_key("alice").clear()
    assert clicks.for_key("alice").value() is None
    assert clicks.for_key("bob").value() == 1


def test_keyed_list_state_scopes_by_key(store: MemoryKvStore) -> None:
    recent = KeyedListState(store, "recent", IntCodec(), StrCodec())
    recent.for_key(1).add("a")
    recent.for_key(2).add("b")
    recent.for_key(1).add_all(["c", "d"])
    assert recent.for_key(1).get() == ["a", "c", "d"]
    assert recent.for_key(2).get() == ["b"]
    recent.for_key(1).clear()
    assert recent.for_key(1).get() == []
    assert recent.for_key(2).get() == ["b"]


def test_keyed_map_state_scopes_by_key_and_clears_one_key(store: MemoryKvStore) -> None:
    pages = KeyedMapState(store, "pages", StrCodec(), StrCodec(), IntCodec())
    pages.for_key("alice").put("/a", 1)
    pages.for_key("alice").put("/b", 2)
    pages.for_key("bob").put("/a", 10)
    assert list(pages.for_key("alice").items()) == [("/a", 1), ("/b", 2)]
    assert list(pages.for_key("bob").items()) == [("/a", 10)]
    pages.for_key("alice").clear()
    assert pages.for_key("alice").is_empty()
    assert pages.for_key("bob").get("/a") == 10


def test_keyed_reducing_and_aggregating_states_scope_by_key(store: MemoryKvStore) -> None:
    sums = KeyedReducingState(store, "sums", StrCodec(), IntCodec(), operator.add)
    means: KeyedAggregatingState[str, float, list[float], float] = KeyedAggregatingState(
        store, "means", StrCodec(), JsonCodec(), Mean()
    )
    for key, value in [("x", 1), ("y", 10), ("x", 2), ("y", 20), ("x", 3)]:
        sums.for_key(key).add(value)
        means.for_key(key).add(float(value))
    assert sums.for_key("x").get() == 6
    assert sums.for_key("y").get() == 30
    assert means.for_key("x").get() == 2.0
    assert means.for_key("y").get() == 15.0
    assert sums.for_key("z").get() is None
    assert means.for_key("z").get() is None


def test_keyed_state_rejects_a_key_codec_that_returns_non_bytes(store: MemoryKvStore) -> None:
    class Broken:
        def encode(self, value: str) -> Any:
            return value

        def decode(self, data: bytes) -> str:
            return data.decode()

    state = KeyedValueState(store, "k", Broken(), IntCodec())
    with pytest.raises(TypeError, match="not bytes"):
        state.for_key("a")
