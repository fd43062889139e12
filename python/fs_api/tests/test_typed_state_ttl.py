"""Per-entry time-to-live: expired entries read as absent and are removed on access."""

from __future__ import annotations

import operator
import struct

import pytest

from fs_api import ComplexKey, KvError
from fs_api.state import (
    AggregatingState,
    IntCodec,
    JsonCodec,
    KeyedMapState,
    KeyedValueState,
    ListState,
    MapState,
    ReducingState,
    StateCorruptedError,
    StrCodec,
    ValueState,
)
from fs_api.testing import MemoryKvStore


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Count:
    def create_accumulator(self) -> int:
        return 0

    def add(self, value: str, accumulator: int) -> int:
        return accumulator + 1

    def get_result(self, accumulator: int) -> int:
        return accumulator


@pytest.fixture
def store() -> MemoryKvStore:
    return MemoryKvStore()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_value_expires_at_ttl_and_is_removed(store: MemoryKvStore, clock: FakeClock) -> None:
    state = ValueState(store, "v", IntCodec(), ttl=10, clock=clock)
    state.update(1)
    clock.now += 9.999
    assert state.value() == 1
    assert len(store) == 1
    clock.now += 0.001
    assert state.value() is None
    assert len(store) == 0  # removed lazily by the read


def test_writes_restart_the_ttl_and_reads_do_not(store: MemoryKvStore, clock: FakeClock) -> None:
    state = ValueState(store, "v", IntCodec(), ttl=10, clock=clock)
    state.update(1)
    clock.now += 8
    state.update(2)
    clock.now += 8
    assert state.value() == 2  # 8 s after the second write
    clock.now += 1
    assert state.value() == 2
    clock.now += 1
    assert state.value() is None  # 10 s after the second write, despite the reads


def test_entry_encoding_is_the_documented_one(store: MemoryKvStore, clock: FakeClock) -> None:
    ValueState(store, "timed", IntCodec(), ttl=5, clock=clock).update(7)
    ValueState(store, "plain", IntCodec()).update(7)
    timed = store.get(ComplexKey(b"timed", b"", b"fs.state/global/value", b""))
    plain = store.get(ComplexKey(b"plain", b"", b"fs.state/global/value", b""))
    assert timed == b"\x01" + struct.pack(">d", clock.now) + IntCodec().encode(7)
    assert plain == b"\x00" + IntCodec().encode(7)


def test_entries_written_without_ttl_never_expire(store: MemoryKvStore, clock: FakeClock) -> None:
    ValueState(store, "v", IntCodec()).update(3)
    clock.now += 10**9
    assert ValueState(store, "v", IntCodec(), ttl=1, clock=clock).value() == 3


def test_entries_written_with_ttl_read_without_ttl_stay_live(store: MemoryKvStore, clock: FakeClock) -> None:
    ValueState(store, "v", IntCodec(), ttl=1, clock=clock).update(3)
    assert ValueState(store, "v", IntCodec()).value() == 3


def test_list_elements_expire_one_by_one(store: MemoryKvStore, clock: FakeClock) -> None:
    state = ListState(store, "l", StrCodec(), ttl=10, clock=clock)
    state.add("a")
    clock.now += 5
    state.add_all(["b", "c"])
    clock.now += 4
    assert state.get() == ["a", "b", "c"]
    clock.now += 1
    assert state.get() == ["b", "c"]
    ck = ComplexKey(b"l", b"", b"fs.state/global/list", b"")
    stored = store.get(ck)
    assert stored is not None and b"a" not in stored  # rewritten without the expired element
    state.add("d")
    clock.now += 5
    assert state.get() == ["d"]
    clock.now += 10
    assert state.get() == []
    assert store.get(ck) is None


def test_list_rewrite_keeps_write_times_of_live_elements(store: MemoryKvStore, clock: FakeClock) -> None:
    state = ListState(store, "l", IntCodec(), ttl=10, clock=clock)
    state.add(1)
    clock.now += 6
    state.add(2)
    clock.now += 5  # 1 expires, 2 is 5 s old; get() rewrites the list
    assert state.get() == [2]
    clock.now += 4.5  # 2 is 9.5 s old: still live only if its write time survived the rewrite
    assert state.get() == [2]
    clock.now += 0.5
    assert state.get() == []


def test_map_entries_expire_one_by_one_and_iteration_skips_them(store: MemoryKvStore, clock: FakeClock) -> None:
    state = MapState(store, "m", StrCodec(), IntCodec(), ttl=10, clock=clock)
    state.put("a", 1)
    state.put("c", 3)
    clock.now += 5
    state.put("b", 2)
    state.put("a", 11)  # rewriting restarts a's TTL
    clock.now += 5
    assert list(state.items()) == [("a", 11), ("b", 2)]
    assert not state.contains("c")
    assert state.get("c") is None
    assert len(store) == 2  # c was removed when met
    clock.now += 5
    assert state.is_empty()
    assert list(state.keys()) == []
    assert len(store) == 0


def test_map_get_and_contains_remove_an_expired_entry(store: MemoryKvStore, clock: FakeClock) -> None:
    state = MapState(store, "m", StrCodec(), IntCodec(), ttl=1, clock=clock)
    state.put("a", 1)
    state.put("b", 2)
    clock.now += 1
    assert state.get("a", -1) == -1
    assert not state.contains("b")
    assert len(store) == 0


def test_reducing_state_starts_over_after_expiry(store: MemoryKvStore, clock: FakeClock) -> None:
    state = ReducingState(store, "sum", IntCodec(), operator.add, ttl=60, clock=clock)
    state.add(1)
    state.add(2)
    clock.now += 59
    state.add(3)  # restarts the TTL
    clock.now += 59
    assert state.get() == 6
    clock.now += 1
    assert state.get() is None
    state.add(10)
    assert state.get() == 10


def test_aggregating_state_starts_over_after_expiry(store: MemoryKvStore, clock: FakeClock) -> None:
    state: AggregatingState[str, int, int] = AggregatingState(store, "n", JsonCodec(), Count(), ttl=2, clock=clock)
    state.add("x")
    state.add("y")
    assert state.get() == 2
    clock.now += 2
    assert state.get() is None
    state.add("z")
    assert state.get() == 1


def test_keyed_states_expire_per_key(store: MemoryKvStore, clock: FakeClock) -> None:
    last_seen = KeyedValueState(store, "last", StrCodec(), IntCodec(), ttl=30, clock=clock)
    last_seen.for_key("alice").update(1)
    clock.now += 20
    last_seen.for_key("bob").update(2)
    clock.now += 10
    assert last_seen.for_key("alice").value() is None
    assert last_seen.for_key("bob").value() == 2
    pages = KeyedMapState(store, "pages", StrCodec(), StrCodec(), IntCodec(), ttl=5, clock=clock)
    pages.for_key("bob").put("/", 1)
    clock.now += 5
    assert pages.for_key("bob").is_empty()


def test_corrupted_timed_header_is_reported(store: MemoryKvStore, clock: FakeClock) -> None:
    state = ValueState(store, "v", IntCodec(), ttl=5, clock=clock)
    store.put(ComplexKey(b"v", b"", b"fs.state/global/value", b""), b"\x01\x00\x00")
    with pytest.raises(StateCorruptedError) as caught:
        state.value()
    assert isinstance(caught.value, KvError)
