"""OperatorHarness and TestContext run operators the way the server does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fs_api import Context, FSProcessorDriver
from fs_api.testing import MemoryKvStore, OperatorHarness, TestContext


# The seed's operator, verbatim (SPEC section 1; its imports are above).
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


# End of the seed's operator.


class Recorder(FSProcessorDriver):
    """Records every hook call; emits what it is told to."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.healthy: object = True
        self.snapshot: object = b"snap"

    def init(self, ctx: Context, config: dict[str, str]) -> None:
        self.calls.append(("init", dict(config)))

    def process(self, ctx: Context, source_id: int, data: bytes) -> None:
        self.calls.append(("process", source_id, data))
        if data.startswith(b"to:"):
            ctx.emit(data, int(data[3:]))

    def process_watermark(self, ctx: Context, source_id: int, watermark: int) -> None:
        self.calls.append(("watermark", source_id, watermark))
        ctx.emit_watermark(watermark, 1)

    def take_checkpoint(self, ctx: Context, checkpoint_id: int) -> bytes | None:
        self.calls.append(("checkpoint", checkpoint_id))
        return self.snapshot  # type: ignore[return-value]

    def restore_checkpoint(self, ctx: Context, checkpoint_id: int, data: bytes) -> None:
        self.calls.append(("restore", checkpoint_id, data))

    def check_heartbeat(self, ctx: Context) -> bool:
        self.calls.append(("heartbeat",))
        return self.healthy  # type: ignore[return-value]

    def close(self, ctx: Context) -> None:
        self.calls.append(("close",))

    def custom(self, payload: bytes) -> bytes:
        return payload[::-1]


# The seed operator.
def test_seed_metric_processor_totals_count_up() -> None:
    n = 25
    with OperatorHarness(MetricProcessor, {"metric_name": "user_click"}) as harness:
        harness.process_all(b"{}" for _ in range(n))
        totals = [json.loads(record)["total"] for record in harness.emitted()]
        assert totals == list(range(1, n + 1))
        assert {json.loads(record)["metric"] for record in harness.emitted()} == {"user_click"}
        assert harness.store("stats_db").get_state(b"count:user_click") == str(n).encode()


def test_seed_metric_processor_sums_values_and_defaults_its_name() -> None:
    with OperatorHarness(MetricProcessor()) as harness:
        harness.process(b'{"value": 5}')
        harness.process(b'{"value": -2}')
        assert harness.emitted() == [
            b'{"metric": "default_event", "total": 5}',
            b'{"metric": "default_event", "total": 3}',
        ]


def test_seed_state_survives_into_a_new_harness_given_the_store() -> None:
    first = OperatorHarness(MetricProcessor, {"metric_name": "m"})
    with first:
        first.process_all([b"{}", b"{}"])
    second = OperatorHarness(MetricProcessor, {"metric_name": "m"})
    second.context.stores["stats_db"] = first.store("stats_db")
    with second:
        second.process(b"{}")
        assert json.loads(second.emitted()[0])["total"] == 3


# Hooks.
def test_harness_calls_every_hook_in_order() -> None:
    driver = Recorder()
    harness = OperatorHarness(driver, {"a": "1"}, outputs=2)
    harness.open()
    harness.process(b"x", source_id=1)
    harness.watermark(1000, source_id=1)
    assert harness.checkpoint(7) == b"snap"
    harness.restore(7, b"snap")
    assert harness.heartbeat() is True
    assert harness.custom(b"abc") == b"cba"
    harness.close()
    harness.close()  # a second close does nothing
    assert driver.calls == [
        ("init", {"a": "1"}),
        ("process", 1, b"x"),
        ("watermark", 1, 1000),
        ("checkpoint", 7),
        ("restore", 7, b"snap"),
        ("heartbeat",),
        ("close",),
    ]
    assert harness.watermarks(1) == [1000]
    assert harness.watermarks(0) == []


def test_defaults_of_a_minimal_operator() -> None:
    with OperatorHarness(FSProcessorDriver) as harness:
        harness.process(b"x")
        harness.watermark(5)
        assert harness.checkpoint(1) is None
        harness.restore(1, b"")
        assert harness.heartbeat() is True
        assert harness.emitted() == []


def test_heartbeat_false_is_reported_and_non_bool_rejected() -> None:
    driver = Recorder()
    with OperatorHarness(driver) as harness:
        driver.healthy = False
        assert harness.heartbeat() is False
        driver.healthy = None
        with pytest.raises(TypeError, match="must return a bool"):
            harness.heartbeat()


def test_checkpoint_must_return_bytes_or_none() -> None:
    driver = Recorder()
    with OperatorHarness(driver) as harness:
        driver.snapshot = None
        assert harness.checkpoint(1) is None
        driver.snapshot = "text"
        with pytest.raises(TypeError, match="bytes or None"):
            harness.checkpoint(2)


def test_process_all_accepts_bytes_and_source_pairs() -> None:
    driver = Recorder()
    with OperatorHarness(driver) as harness:
        assert harness.process_all([b"a", (2, b"b"), b"c"]) == 3
    assert [c for c in driver.calls if c[0] == "process"] == [
        ("process", 0, b"a"),
        ("process", 2, b"b"),
        ("process", 0, b"c"),
    ]


def test_process_file_reads_one_record_per_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"value": 1}\n{"value": 2}\r\n\n{"value": 3}\n')
    driver = Recorder()
    with OperatorHarness(driver) as harness:
        assert harness.process_file(path, source_id=3) == 4
        assert harness.process_file(str(path), skip_blank_lines=True) == 3
    records = [(c[1], c[2]) for c in driver.calls if c[0] == "process"]
    assert records[:4] == [(3, b'{"value": 1}'), (3, b'{"value": 2}'), (3, b""), (3, b'{"value": 3}')]
    assert records[4:] == [(0, b'{"value": 1}'), (0, b'{"value": 2}'), (0, b'{"value": 3}')]


def test_process_file_feeds_the_seed_operator(tmp_path: Path) -> None:
    path = tmp_path / "clicks.jsonl"
    path.write_text("".join(f'{{"value": {i}}}\n' for i in range(1, 11)))
    with OperatorHarness(MetricProcessor, {"metric_name": "c"}) as harness:
        harness.process_file(path)
        assert json.loads(harness.emitted()[-1])["total"] == 55


def test_calls_out_of_order_raise_runtime_error() -> None:
    harness = OperatorHarness(Recorder())
    with pytest.raises(RuntimeError, match="call open"):
        harness.process(b"x")
    harness.open()
    with pytest.raises(RuntimeError, match="already open"):
        harness.open()
    harness.close()
    with pytest.raises(RuntimeError, match="closed"):
        harness.watermark(1)
    with pytest.raises(RuntimeError, match="already closed"):
        harness.open()


def test_context_manager_closes_when_the_body_raises() -> None:
    driver = Recorder()
    with pytest.raises(KeyError), OperatorHarness(driver):
        raise KeyError("boom")
    assert driver.calls[-1] == ("close",)


def test_operator_exceptions_propagate_unchanged() -> None:
    with OperatorHarness(MetricProcessor) as harness, pytest.raises(json.JSONDecodeError):
        harness.process(b"not json")


def test_harness_rejects_non_operators_and_non_str_config() -> None:
    with pytest.raises(TypeError, match="FSProcessorDriver"):
        OperatorHarness(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="init_config maps str to str"):
        OperatorHarness(Recorder(), {"threshold": 5})  # type: ignore[dict-item]


def test_process_rejects_non_bytes_records() -> None:
    with OperatorHarness(Recorder()) as harness, pytest.raises(TypeError, match="records are bytes"):
        harness.process("text")  # type: ignore[arg-type]


def test_emitted_returns_copies_and_checks_the_channel() -> None:
    with OperatorHarness(Recorder(), outputs=2) as harness:
        harness.process(b"to:1")
        out = harness.emitted(1)
        out.clear()
        assert harness.emitted(1) == [b"to:1"]
        assert harness.emitted(0) == []
        with pytest.raises(ValueError, match="channel 2"):
            harness.emitted(2)


# TestContext.
def test_emit_to_a_bad_channel_raises_value_error_naming_it() -> None:
    with OperatorHarness(Recorder(), outputs=2) as harness:
        harness.process(b"to:1")
        with pytest.raises(ValueError, match=r"channel 2 as the task has 2 output\(s\)"):
            harness.process(b"to:2")
        with pytest.raises(ValueError, match="channel -1"):
            harness.process(b"to:-1")
        assert harness.emitted(1) == [b"to:1"]


def test_seed_operator_with_no_outputs_fails_on_emit() -> None:
    with OperatorHarness(MetricProcessor, outputs=0) as harness, pytest.raises(ValueError, match="0 outputs"):
        harness.process(b"{}")


def test_context_collects_emits_and_watermarks_per_channel() -> None:
    ctx = TestContext({"k": "v"}, outputs=3)
    assert isinstance(ctx, Context)
    ctx.emit(b"a")
    ctx.emit(b"b", 2)
    ctx.emit(b"c", channel=2)
    ctx.emit_watermark(10)
    ctx.emit_watermark(20, 2)
    assert ctx.emitted == {0: [b"a"], 1: [], 2: [b"b", b"c"]}
    assert ctx.watermarks == {0: [10], 1: [], 2: [20]}
    with pytest.raises(ValueError, match="channel 3"):
        ctx.emit_watermark(30, 3)


def test_context_checks_types() -> None:
    ctx = TestContext()
    with pytest.raises(TypeError, match="records are bytes"):
        ctx.emit("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="channels are ints"):
        ctx.emit(b"x", "0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="watermarks are int"):
        ctx.emit_watermark(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="outputs must be an int"):
        TestContext(outputs=-1)


def test_context_stores_are_one_per_name_and_config_is_a_copy() -> None:
    ctx = TestContext({"k": "v"})
    store = ctx.getOrCreateKVStore("a")
    assert isinstance(store, MemoryKvStore)
    assert ctx.getOrCreateKVStore("a") is store
    assert ctx.getOrCreateKVStore("b") is not store
    config = ctx.getConfig()
    config["k"] = "changed"
    assert ctx.getConfig() == {"k": "v"}


def test_test_context_is_not_collected_by_pytest() -> None:
    assert TestContext.__test__ is False
