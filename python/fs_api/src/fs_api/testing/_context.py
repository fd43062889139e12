"""TestContext: a Context that collects what an operator emits."""

from __future__ import annotations

from collections.abc import Mapping

from ..context import Context
from ._memory_store import MemoryKvStore

__all__ = ["TestContext", "check_channel"]


def check_channel(channel: object, outputs: int) -> int:
    """Returns ``channel`` when it names one of ``outputs`` outputs, else raises.

    Raises TypeError when ``channel`` is not an int and ValueError when it is
    outside ``[0, outputs)``; the message names the channel and the number of
    outputs, as the server's does.
    """
    if not isinstance(channel, int) or isinstance(channel, bool):
        raise TypeError(
            f"Cannot emit to channel {channel!r} as channels are ints: current type is {type(channel).__name__}"
        )
    if not 0 <= channel < outputs:
        raise ValueError(
            f"Cannot emit to channel {channel} as the task has {outputs} output(s): valid channels are 0..{outputs - 1}"
            if outputs > 0
            else f"Cannot emit to channel {channel} as the task has 0 outputs"
        )
    return channel


class TestContext(Context):
    """A ``Context`` for unit tests: records emits and watermarks, keeps stores in memory.

    - ``emit(data, channel)`` appends ``data`` to ``ctx.emitted[channel]``.
    - ``emit_watermark(wm, channel)`` appends ``wm`` to ``ctx.watermarks[channel]``.
    - ``getOrCreateKVStore(name)`` returns one ``MemoryKvStore`` per name.
    - ``getConfig()`` returns a copy of the config given here.

    On error: a ValueError from ``emit`` names a channel that the task does
    not have (pass ``outputs=`` to match your task's outputs); a TypeError
    means ``data`` is not bytes or the channel is not an int.
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, config: Mapping[str, str] | None = None, outputs: int = 1) -> None:
        if not isinstance(outputs, int) or isinstance(outputs, bool) or outputs < 0:
            raise ValueError(
                f"Cannot create a TestContext as outputs must be an int >= 0: current value is {outputs!r}"
            )
        self.outputs = outputs
        self.config: dict[str, str] = dict(config or {})
        self.emitted: dict[int, list[bytes]] = {channel: [] for channel in range(outputs)}
        self.watermarks: dict[int, list[int]] = {channel: [] for channel in range(outputs)}
        self.stores: dict[str, MemoryKvStore] = {}

    def emit(self, data: bytes, channel: int = 0) -> None:
        """Records ``data`` as emitted to ``channel``."""
        index = check_channel(channel, self.outputs)
        if not isinstance(data, bytes):
            raise TypeError(
                f"Cannot emit data of type {type(data).__name__} as emitted records are bytes: "
                "encode it first (for example json.dumps(x).encode())"
            )
        self.emitted[index].append(data)

    def emit_watermark(self, watermark: int, channel: int = 0) -> None:
        """Records ``watermark`` as emitted to ``channel``."""
        index = check_channel(channel, self.outputs)
        if not isinstance(watermark, int) or isinstance(watermark, bool):
            raise TypeError(
                f"Cannot emit watermark {watermark!r} as watermarks are int milliseconds: "
                f"current type is {type(watermark).__name__}"
            )
        self.watermarks[index].append(watermark)

    def getOrCreateKVStore(self, name: str) -> MemoryKvStore:  # noqa: N802 (public API name)
        """Returns the ``MemoryKvStore`` called ``name``, creating it on first use."""
        if not isinstance(name, str):
            raise TypeError(f"Cannot open store {name!r} as store names are str: current type is {type(name).__name__}")
        store = self.stores.get(name)
        if store is None:
            store = self.stores[name] = MemoryKvStore(name)
        return store

    def getConfig(self) -> dict[str, str]:  # noqa: N802 (public API name)
        """Returns a copy of the init config."""
        return dict(self.config)
