"""Task configuration: Kafka inputs/outputs, ``WasmTaskBuilder`` and ``WasmTaskConfig``.

``WasmTaskConfig.to_yaml()`` writes the YAML the server reads (SPEC section 3)::

    name: python-etl-job
    type: python
    use_builtin_event_serialization: false
    enable_checkpoint: false
    checkpoint_interval_seconds: 1
    init_config: {metric_name: user_click}
    input-groups: [{inputs: [{input-type: kafka, bootstrap_servers: ..., topic: ..., group_id: ...}]}]
    outputs: [{output-type: kafka, bootstrap_servers: ..., topic: ..., partition: 0}]
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from .exceptions import InvalidArgumentError

__all__ = [
    "Config",
    "ConfigBuilder",
    "KafkaInput",
    "KafkaOutput",
    "WasmTaskBuilder",
    "WasmTaskConfig",
]

_log = logging.getLogger("fs_client.config")

DEFAULT_TASK_NAME = "default-processor"

SettingValue = str | int | float | bool


def _servers(value: str | Iterable[str]) -> str:
    # A list of brokers is written the way Kafka clients spell it: "a:9092,b:9092".
    if isinstance(value, str):
        text = value.strip()
    else:
        text = ",".join(str(item).strip() for item in value)
    if not text:
        raise InvalidArgumentError("Cannot use bootstrap_servers as it is empty: expected 'host:port'")
    return text


def _non_empty(field: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"Cannot use {field} as it must be a non-empty string: current value is {value!r}")
    return value


def _partition(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(f"Cannot use partition as it must be a non-negative int: current value is {value!r}")
    return value


class KafkaInput:
    """One Kafka topic to read; put it in a list passed to ``add_input_group``.

    ``partition=None`` joins the consumer group ``group_id``; an int reads only
    that partition. Extra keyword settings become extra keys of ``.data``
    (Kafka client settings), e.g. ``KafkaInput(..., **{"auto.offset.reset": "earliest"})``.
    ``.data`` is the dict written into the YAML and may be edited directly.
    Invalid arguments raise ``InvalidArgumentError`` naming the field.
    """

    def __init__(
        self,
        bootstrap_servers: str | Iterable[str],
        topic: str,
        group_id: str,
        partition: int | None = None,
        **settings: SettingValue,
    ) -> None:
        self.data: dict[str, Any] = {
            "input-type": "kafka",
            "bootstrap_servers": _servers(bootstrap_servers),
            "topic": _non_empty("topic", topic),
            "group_id": _non_empty("group_id", group_id),
        }
        if _partition(partition) is not None:
            self.data["partition"] = partition
        self.data.update(settings)

    def __repr__(self) -> str:
        return f"KafkaInput({self.data!r})"


class KafkaOutput:
    """One Kafka topic to write; ``ctx.emit(data, channel=i)`` goes to the i-th output added.

    Extra keyword settings become extra keys of ``.data`` (Kafka producer
    settings). Invalid arguments raise ``InvalidArgumentError`` naming the field.
    """

    def __init__(
        self,
        bootstrap_servers: str | Iterable[str],
        topic: str,
        partition: int | None,
        **settings: SettingValue,
    ) -> None:
        self.data: dict[str, Any] = {
            "output-type": "kafka",
            "bootstrap_servers": _servers(bootstrap_servers),
            "topic": _non_empty("topic", topic),
        }
        if _partition(partition) is not None:
            self.data["partition"] = partition
        self.data.update(settings)

    def __repr__(self) -> str:
        return f"KafkaOutput({self.data!r})"


class WasmTaskConfig:
    """A complete task configuration; build it with ``WasmTaskBuilder`` or ``from_yaml``.

    ``to_yaml()`` is what ``FsClient`` uploads. ``from_yaml`` raises
    ``InvalidArgumentError`` when the text is not a YAML mapping; the server
    checks every field and answers 400 (``BadRequestError``) naming the bad one.
    """

    def __init__(
        self,
        task_name: str,
        task_type: str,
        input_groups: list[dict[str, Any]],
        use_builtin: bool,
        enable_checkpoint: bool,
        checkpoint_interval: int,
        init_config: dict[str, str],
        outputs: list[dict[str, Any]],
    ) -> None:
        self.task_name = task_name
        self.task_type = task_type
        self.input_groups = input_groups
        self.use_builtin_event_serialization = use_builtin
        self.enable_checkpoint = enable_checkpoint
        self.checkpoint_interval_seconds = checkpoint_interval
        self.init_config = init_config
        self.outputs = outputs

    @property
    def name(self) -> str:
        """The task (function) name; same as ``task_name``."""
        return self.task_name

    def to_dict(self) -> dict[str, Any]:
        """Returns the configuration as plain data, keys in the order ``to_yaml`` writes them."""
        return {
            "name": self.task_name,
            "type": self.task_type,
            "use_builtin_event_serialization": self.use_builtin_event_serialization,
            "enable_checkpoint": self.enable_checkpoint,
            "checkpoint_interval_seconds": self.checkpoint_interval_seconds,
            "init_config": self.init_config,
            "input-groups": self.input_groups,
            "outputs": self.outputs,
        }

    def to_yaml(self) -> str:
        """Returns the YAML text the server reads (keys in SPEC section 3 order)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, indent=2)

    @classmethod
    def from_yaml(cls, yaml_str: str | bytes) -> WasmTaskConfig:
        """Parses YAML written by ``to_yaml`` (or by hand); missing keys take the builder's defaults."""
        try:
            data = yaml.safe_load(yaml_str)
        except yaml.YAMLError as error:
            raise InvalidArgumentError(f"Cannot parse the task config as YAML: {error}") from error
        if not isinstance(data, dict):
            raise InvalidArgumentError(
                f"Cannot read the task config as it is not a YAML mapping: current value is {type(data).__name__}"
            )
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            name = DEFAULT_TASK_NAME
        interval = data.get("checkpoint_interval_seconds", 1)
        return cls(
            task_name=name,
            task_type=data.get("type") or "python",
            input_groups=list(data.get("input-groups") or []),
            use_builtin=bool(data.get("use_builtin_event_serialization", False)),
            enable_checkpoint=bool(data.get("enable_checkpoint", False)),
            checkpoint_interval=max(1, int(interval)) if isinstance(interval, int | float) else 1,
            init_config=dict(data.get("init_config") or {}),
            outputs=list(data.get("outputs") or []),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WasmTaskConfig) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"WasmTaskConfig({self.to_dict()!r})"


def _init_value(key: str, value: object) -> str:
    # init() receives strings (SPEC section 3); convert plain scalars the way YAML would read them.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise InvalidArgumentError(
        f"Cannot add init_config[{key!r}] as values must be str, int, float or bool: current value is {value!r}"
    )


class WasmTaskBuilder:
    """Builds a ``WasmTaskConfig`` step by step; every setter returns the builder.

    Input groups are numbered in the order added (``source_id`` in
    ``process``); outputs likewise (the ``channel`` of ``ctx.emit``). Invalid
    arguments raise ``InvalidArgumentError`` naming the argument.
    """

    def __init__(self) -> None:
        self._name: str | None = None
        self._type = "python"
        self._use_builtin = False
        self._enable_checkpoint = False
        self._checkpoint_interval = 1
        self._init_config: dict[str, str] = {}
        self._input_groups: list[list[KafkaInput | Mapping[str, Any]]] = []
        self._outputs: list[KafkaOutput | Mapping[str, Any]] = []

    def set_name(self, name: str) -> WasmTaskBuilder:
        """Sets the function name (letters, digits, '.', '_', '-'); blank means 'default-processor'."""
        self._name = name
        return self

    def set_type(self, task_type: str) -> WasmTaskBuilder:
        """Sets the task type: "python" (default) or "wasm"."""
        self._type = _non_empty("task_type", task_type)
        return self

    def set_builtin_serialization(self, enabled: bool) -> WasmTaskBuilder:
        """Sets ``use_builtin_event_serialization`` (kept for compatibility)."""
        self._use_builtin = bool(enabled)
        return self

    def configure_checkpoint(self, enabled: bool, interval: int = 1) -> WasmTaskBuilder:
        """Enables periodic checkpoints every ``interval`` seconds (values below 1 become 1)."""
        if isinstance(interval, bool) or not isinstance(interval, int | float):
            raise InvalidArgumentError(
                f"Cannot use interval as it must be a number of seconds: current value is {interval!r}"
            )
        if interval < 1:
            _log.warning("checkpoint interval %r is below 1 second; using 1", interval)
        self._enable_checkpoint = bool(enabled)
        self._checkpoint_interval = max(1, int(interval))
        return self

    def add_init_config(self, key: str, value: str) -> WasmTaskBuilder:
        """Adds one entry of the dict passed to ``init(ctx, config)``; non-str scalars become strings."""
        if not isinstance(key, str) or not key:
            raise InvalidArgumentError(
                f"Cannot add init_config key as it must be a non-empty str: current value is {key!r}"
            )
        self._init_config[key] = _init_value(key, value)
        return self

    def add_input_group(self, inputs: Iterable[KafkaInput | Mapping[str, Any]]) -> WasmTaskBuilder:
        """Adds one input group; its index is the ``source_id`` seen by ``process``."""
        group: list[KafkaInput | Mapping[str, Any]] = list(inputs)
        if not group:
            raise InvalidArgumentError("Cannot add an input group as it has no inputs: current value is []")
        for item in group:
            if not isinstance(item, KafkaInput | Mapping):
                raise InvalidArgumentError(f"Cannot add an input as it is not a KafkaInput: current value is {item!r}")
        self._input_groups.append(group)
        return self

    def add_output(self, output: KafkaOutput | Mapping[str, Any]) -> WasmTaskBuilder:
        """Adds one output; its index is the ``channel`` of ``ctx.emit``."""
        if not isinstance(output, KafkaOutput | Mapping):
            raise InvalidArgumentError(f"Cannot add an output as it is not a KafkaOutput: current value is {output!r}")
        self._outputs.append(output)
        return self

    def build(self) -> WasmTaskConfig:
        """Returns the configuration; later changes to the builder or its inputs do not affect it."""
        name = self._name if self._name and self._name.strip() else DEFAULT_TASK_NAME
        return WasmTaskConfig(
            task_name=name,
            task_type=self._type,
            input_groups=[{"inputs": [_plain(item) for item in group]} for group in self._input_groups],
            use_builtin=self._use_builtin,
            enable_checkpoint=self._enable_checkpoint,
            checkpoint_interval=self._checkpoint_interval,
            init_config=dict(self._init_config),
            outputs=[_plain(item) for item in self._outputs],
        )


def _plain(item: KafkaInput | KafkaOutput | Mapping[str, Any]) -> dict[str, Any]:
    data = item.data if isinstance(item, KafkaInput | KafkaOutput) else item
    return copy.deepcopy(dict(data))


Config = WasmTaskConfig
"""Alias of ``WasmTaskConfig``."""

ConfigBuilder = WasmTaskBuilder
"""Alias of ``WasmTaskBuilder``."""
