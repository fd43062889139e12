"""The seed's MetricProcessor runs on plain CPython against a dict-backed Context."""

from __future__ import annotations

import json

import pytest

from fs_api import ComplexKey, Context, FSProcessorDriver, KvIterator, KvStore


class DictIterator(KvIterator):
    def __init__(self, items: list[tuple[bytes, bytes]]) -> None:
        self._items = items
        self._index = 0

    def has_next(self) -> bool:
        return self._index < len(self._items)

    def next(self) -> tuple[bytes, bytes] | None:
        if not self.has_next():
            return None
        item = self._items[self._index]
        self._index += 1
        return item


class DictStore(KvStore):
    """The smallest KvStore: one dict for simple keys, one for complex keys."""

    def __init__(self) -> None:
        self.simple: dict[bytes, bytes] = {}
        self.complex: dict[ComplexKey, bytes] = {}

    def put_state(self, key: bytes, value: bytes) -> None:
        self.simple[key] = value

    def get_state(self, key: bytes) -> bytes | None:
        return self.simple.get(key)

    def delete_state(self, key: bytes) -> None:
        self.simple.pop(key, None)

    def list_states(self, start_inclusive: bytes, end_exclusive: bytes) -> list[bytes]:
        return sorted(k for k in self.simple if start_inclusive <= k < end_exclusive)

    def put(self, key: ComplexKey, value: bytes) -> None:
        self.complex[key] = value

    def get(self, key: ComplexKey) -> bytes | None:
        return self.complex.get(key)

    def delete(self, key: ComplexKey) -> None:
        self.complex.pop(key, None)

    def merge(self, key: ComplexKey, value: bytes) -> None:
        self.complex[key] = self.complex.get(key, b"") + value

    def delete_prefix(self, key: ComplexKey) -> None:
        for ck in [ck for ck in self.complex if _prefix(ck) == _prefix(key)]:
            del self.complex[ck]

    def list_complex(
        self, key_group: bytes, key: bytes, namespace: bytes, start_inclusive: bytes, end_exclusive: bytes
    ) -> list[bytes]:
        return sorted(
            ck.user_key
            for ck in self.complex
            if _prefix(ck) == (key_group, key, namespace) and start_inclusive <= ck.user_key < end_exclusive
        )

    def scan_complex(self, key_group: bytes, key: bytes, namespace: bytes) -> KvIterator:
        items = sorted((ck.user_key, v) for ck, v in self.complex.items() if _prefix(ck) == (key_group, key, namespace))
        return DictIterator(items)


def _prefix(key: ComplexKey) -> tuple[bytes, bytes, bytes]:
    return key.key_group, key.key, key.namespace


class DictContext(Context):
    def __init__(self, config: dict[str, str] | None = None) -> None:
        self.config = dict(config or {})
        self.stores: dict[str, DictStore] = {}
        self.emitted: list[tuple[int, bytes]] = []
        self.watermarks: list[tuple[int, int]] = []

    def emit(self, data: bytes, channel: int = 0) -> None:
        self.emitted.append((channel, data))

    def emit_watermark(self, watermark: int, channel: int = 0) -> None:
        self.watermarks.append((channel, watermark))

    def getOrCreateKVStore(self, name: str) -> KvStore:  # noqa: N802
        return self.stores.setdefault(name, DictStore())

    def getConfig(self) -> dict[str, str]:  # noqa: N802
        return dict(self.config)


# SPEC section 1, first example, verbatim.
class MetricProcessor(FSProcessorDriver):
    def init(self, ctx: Context, config: dict):
        self.metric_name = config.get("metric_name", "default_event")

    def process(self, ctx: Context, source_id: int, data: bytes):
        event = json.loads(data.decode())
        store = ctx.getOrCreateKVStore("stats_db")
        key = f"count:{self.metric_name}".encode()
        current_val = int(store.get_state(key) or 0)
        new_val = current_val + event.get("value", 1)
        store.put_state(key, str(new_val).encode())
        result = {"metric": self.metric_name, "total": new_val}
        ctx.emit(json.dumps(result).encode(), 0)


def test_seed_metric_processor_counts_and_emits_totals() -> None:
    ctx = DictContext({"metric_name": "user_click"})
    processor = MetricProcessor()
    processor.init(ctx, ctx.getConfig())
    for value in (1, 2, 5):
        processor.process(ctx, 0, json.dumps({"value": value}).encode())
    processor.process(ctx, 0, b"{}")  # "value" defaults to 1

    totals = [json.loads(data)["total"] for _, data in ctx.emitted]
    assert totals == [1, 3, 8, 9]
    assert {channel for channel, _ in ctx.emitted} == {0}
    assert json.loads(ctx.emitted[0][1])["metric"] == "user_click"
    assert ctx.stores["stats_db"].get_state(b"count:user_click") == b"9"


def test_seed_metric_processor_uses_default_metric_name_without_config() -> None:
    ctx = DictContext()
    processor = MetricProcessor()
    processor.init(ctx, {})
    processor.process(ctx, 0, b'{"value": 4}')
    assert json.loads(ctx.emitted[0][1]) == {"metric": "default_event", "total": 4}


def test_every_hook_the_seed_leaves_out_has_a_working_default() -> None:
    ctx = DictContext()
    processor = MetricProcessor()
    processor.init(ctx, {})
    assert processor.process_watermark(ctx, 0, 1_700_000_000_000) is None
    assert processor.take_checkpoint(ctx, 7) is None
    assert processor.check_heartbeat(ctx) is True
    assert processor.custom(b"ping") == b""
    assert processor.close(ctx) is None
    assert ctx.emitted == [] and ctx.watermarks == []


def test_the_base_class_itself_can_be_instantiated_and_its_process_does_nothing() -> None:
    ctx = DictContext()
    base = FSProcessorDriver()
    base.init(ctx, {})
    base.process(ctx, 0, b"x")
    assert ctx.emitted == []


def test_overridden_hooks_replace_the_defaults() -> None:
    class Checkpointing(FSProcessorDriver):
        def take_checkpoint(self, ctx: Context, checkpoint_id: int) -> bytes | None:
            return f"cp-{checkpoint_id}".encode()

        def check_heartbeat(self, ctx: Context) -> bool:
            return False

    ctx = DictContext()
    assert Checkpointing().take_checkpoint(ctx, 3) == b"cp-3"
    assert Checkpointing().check_heartbeat(ctx) is False


def test_context_and_kvstore_stay_abstract_so_partial_implementations_fail_loudly() -> None:
    class Partial(Context):
        def emit(self, data: bytes, channel: int = 0) -> None:
            pass

    with pytest.raises(TypeError):
        Partial()  # type: ignore[abstract]
    with pytest.raises(TypeError):
        KvStore()  # type: ignore[abstract]


def test_kv_iterator_is_a_python_iterator_over_pairs() -> None:
    store = DictStore()
    for user_key in (b"b", b"a", b"c"):
        store.put(ComplexKey(b"g", b"k", b"ns", user_key), user_key.upper())
    assert list(store.scan_complex(b"g", b"k", b"ns")) == [(b"a", b"A"), (b"b", b"B"), (b"c", b"C")]
    iterator = store.scan_complex(b"g", b"k", b"other")
    assert iterator.has_next() is False
    assert iterator.next() is None
