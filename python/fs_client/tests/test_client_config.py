"""Task configuration: builder, YAML layout and round trip, Kafka settings."""

from __future__ import annotations

import pytest
import yaml
from fs_client.config import (
    Config,
    ConfigBuilder,
    KafkaInput,
    KafkaOutput,
    WasmTaskBuilder,
    WasmTaskConfig,
)
from fs_client.exceptions import ClientError, InvalidArgumentError

SEED_YAML = """\
name: python-etl-job
type: python
use_builtin_event_serialization: false
enable_checkpoint: false
checkpoint_interval_seconds: 1
init_config:
  metric_name: user_click
input-groups:
- inputs:
  - input-type: kafka
    bootstrap_servers: kafka:9092
    topic: raw-data
    group_id: fs-group
outputs:
- output-type: kafka
  bootstrap_servers: kafka:9092
  topic: clean-data
  partition: 0
"""


def seed_config() -> WasmTaskConfig:
    # SPEC section 1, second example, verbatim.
    task_config = (
        WasmTaskBuilder()
        .set_name("python-etl-job")
        .add_init_config("metric_name", "user_click")
        .add_input_group([KafkaInput(bootstrap_servers="kafka:9092", topic="raw-data", group_id="fs-group")])
        .add_output(KafkaOutput(bootstrap_servers="kafka:9092", topic="clean-data", partition=0))
        .build()
    )
    return task_config


def test_seed_builder_writes_exactly_the_spec_yaml() -> None:
    assert seed_config().to_yaml() == SEED_YAML


def test_to_dict_keys_are_in_spec_order() -> None:
    assert list(seed_config().to_dict()) == [
        "name",
        "type",
        "use_builtin_event_serialization",
        "enable_checkpoint",
        "checkpoint_interval_seconds",
        "init_config",
        "input-groups",
        "outputs",
    ]


def test_yaml_round_trip_keeps_every_field() -> None:
    config = (
        WasmTaskBuilder()
        .set_name("job-2")
        .set_type("python")
        .set_builtin_serialization(True)
        .configure_checkpoint(True, interval=15)
        .add_init_config("a", "1")
        .add_init_config("b", "two")
        .add_input_group([KafkaInput("k1:9092", "t1", "g1", partition=3), KafkaInput("k2:9092", "t2", "g1")])
        .add_input_group([KafkaInput("k1:9092", "t3", "g2", **{"auto.offset.reset": "earliest"})])
        .add_output(KafkaOutput("k1:9092", "out0", 0))
        .add_output(KafkaOutput("k1:9092", "out1", 2))
        .build()
    )
    parsed = WasmTaskConfig.from_yaml(config.to_yaml())
    assert parsed == config
    assert parsed.to_yaml() == config.to_yaml()
    assert parsed.task_name == "job-2"
    assert parsed.enable_checkpoint is True and parsed.checkpoint_interval_seconds == 15
    assert parsed.use_builtin_event_serialization is True
    assert parsed.input_groups[0]["inputs"][0]["partition"] == 3
    assert "partition" not in parsed.input_groups[0]["inputs"][1]
    assert parsed.input_groups[1]["inputs"][0]["auto.offset.reset"] == "earliest"
    assert [o["topic"] for o in parsed.outputs] == ["out0", "out1"]


def test_kafka_input_extra_settings_become_extra_yaml_keys() -> None:
    source = KafkaInput("kafka:9092", "raw", "grp", **{"auto.offset.reset": "earliest", "session.timeout.ms": 10000})
    assert source.data == {
        "input-type": "kafka",
        "bootstrap_servers": "kafka:9092",
        "topic": "raw",
        "group_id": "grp",
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 10000,
    }
    source.data["fetch.max.bytes"] = 1024  # editing .data directly is allowed
    written = yaml.safe_load(WasmTaskBuilder().add_input_group([source]).build().to_yaml())
    (only,) = written["input-groups"][0]["inputs"]
    assert only["auto.offset.reset"] == "earliest"
    assert only["fetch.max.bytes"] == 1024


def test_kafka_input_partition_is_optional_and_written_when_given() -> None:
    assert "partition" not in KafkaInput("k:1", "t", "g").data
    assert KafkaInput("k:1", "t", "g", partition=0).data["partition"] == 0
    assert KafkaInput("k:1", "t", "g", 2).data["partition"] == 2


def test_a_list_of_brokers_is_written_comma_separated() -> None:
    assert KafkaInput(["a:9092", "b:9092"], "t", "g").data["bootstrap_servers"] == "a:9092,b:9092"


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: KafkaInput("", "t", "g"), "bootstrap_servers"),
        (lambda: KafkaInput("k:1", "", "g"), "topic"),
        (lambda: KafkaInput("k:1", "t", " "), "group_id"),
        (lambda: KafkaInput("k:1", "t", "g", partition=-1), "partition"),
        (lambda: KafkaOutput("k:1", "t", partition=True), "partition"),
        (lambda: WasmTaskBuilder().add_input_group([]), "no inputs"),
        (lambda: WasmTaskBuilder().add_input_group(["topic"]), "KafkaInput"),
        (lambda: WasmTaskBuilder().add_output("topic"), "KafkaOutput"),
        (lambda: WasmTaskBuilder().add_init_config("k", ["list"]), "init_config"),
        (lambda: WasmTaskBuilder().configure_checkpoint(True, "often"), "interval"),
    ],
)
def test_invalid_arguments_raise_invalid_argument_error_naming_the_field(build, fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment) as caught:
        build()
    assert isinstance(caught.value, ClientError)
    assert isinstance(caught.value, ValueError)


def test_checkpoint_interval_is_at_least_one_second() -> None:
    assert WasmTaskBuilder().configure_checkpoint(True, 0).build().checkpoint_interval_seconds == 1
    assert WasmTaskBuilder().configure_checkpoint(True).build().checkpoint_interval_seconds == 1
    assert WasmTaskBuilder().configure_checkpoint(True, 30).build().checkpoint_interval_seconds == 30
    assert WasmTaskConfig.from_yaml("checkpoint_interval_seconds: -5\n").checkpoint_interval_seconds == 1


def test_builder_defaults_match_the_public_client() -> None:
    config = WasmTaskBuilder().build()
    assert config.task_name == "default-processor"
    assert config.task_type == "python"
    assert config.use_builtin_event_serialization is False
    assert config.enable_checkpoint is False
    assert config.checkpoint_interval_seconds == 1
    assert config.init_config == {} and config.input_groups == [] and config.outputs == []
    assert WasmTaskBuilder().set_name("   ").build().task_name == "default-processor"


def test_init_config_scalars_become_strings() -> None:
    config = WasmTaskBuilder().add_init_config("n", 5).add_init_config("f", True).add_init_config("s", "x").build()
    assert config.init_config == {"n": "5", "f": "true", "s": "x"}


def test_built_config_does_not_change_when_the_builder_or_inputs_change_later() -> None:
    source = KafkaInput("k:1", "t", "g")
    builder = WasmTaskBuilder().add_input_group([source])
    config = builder.build()
    source.data["topic"] = "changed"
    builder.add_init_config("late", "1")
    assert config.input_groups[0]["inputs"][0]["topic"] == "t"
    assert config.init_config == {}


def test_from_yaml_rejects_text_that_is_not_a_mapping() -> None:
    with pytest.raises(InvalidArgumentError, match="mapping"):
        WasmTaskConfig.from_yaml("- a\n- b\n")
    with pytest.raises(InvalidArgumentError, match="YAML"):
        WasmTaskConfig.from_yaml("name: [unclosed\n")


def test_from_yaml_reads_the_spec_example() -> None:
    config = WasmTaskConfig.from_yaml(SEED_YAML)
    assert config == seed_config()
    assert config.name == "python-etl-job"


def test_config_and_config_builder_are_aliases() -> None:
    assert Config is WasmTaskConfig
    assert ConfigBuilder is WasmTaskBuilder
