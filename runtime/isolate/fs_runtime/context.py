"""Context inside the sandbox: buffers what a call emits and owns its stores."""

from __future__ import annotations

from fs_api import Context as _ContextApi
from fs_api.testing import check_channel

from ._codec import MutationWriter, pack_outputs
from ._host import StateHost
from ._limits import ServerLimits
from .kv_store import KvStore

__all__ = ["Context", "CallResults"]

# (out_data, out_lens, out_channels, mutations, store_names): see _codec.py.
CallResults = tuple[bytes, bytes, bytes, bytes, list[str]]


def _require_data(data: object) -> None:
    if not isinstance(data, bytes):
        raise TypeError(
            f"Cannot emit data of type {type(data).__name__} as emitted records are bytes: "
            "encode it first (for example json.dumps(x).encode())"
        )


class Context(_ContextApi):
    """The sandbox's ``fs_api.Context``.

    ``emit`` raises ValueError for a channel the task does not have and
    TypeError for data that is not bytes; both can be caught by the operator.
    """

    def __init__(
        self,
        host: StateHost,
        limits: ServerLimits,
        config: dict[str, str],
        outputs: int,
        page_size: int = 500,
        max_cached: int = 100_000,
    ) -> None:
        self._host = host
        self._limits = limits
        self._config = config
        self._outputs = outputs
        self._page_size = page_size
        self._max_cached = max_cached
        self._values: list[bytes] = []
        self._channels: list[int] = []
        self._stores: dict[str, KvStore] = {}

    def emit(self, data: bytes, channel: int = 0) -> None:
        """Sends ``data`` to output ``channel`` when the current call succeeds."""
        if channel.__class__ is not int or channel < 0 or channel >= self._outputs:
            channel = check_channel(channel, self._outputs)
        if data.__class__ is not bytes:
            _require_data(data)
        self._values.append(data)
        self._channels.append(channel)

    def emit_watermark(self, watermark: int, channel: int = 0) -> None:
        """Sends a watermark record (header ``fs-watermark``) to output ``channel``."""
        channel = check_channel(channel, self._outputs)
        if not isinstance(watermark, int) or isinstance(watermark, bool):
            raise TypeError(
                f"Cannot emit watermark {watermark!r} as watermarks are int milliseconds: "
                f"current type is {type(watermark).__name__}"
            )
        self._values.append(str(int(watermark)).encode())
        self._channels.append(-1 - channel)

    def getOrCreateKVStore(self, name: str) -> KvStore:  # noqa: N802 (public API name)
        """Returns the function's store called ``name``, creating it on first use."""
        store = self._stores.get(name)
        if store is None:
            if not isinstance(name, str) or not name:
                raise TypeError(f"Cannot open store {name!r} as store names are non-empty str")
            try:
                limits = self._limits.for_store(name)
            except UnicodeEncodeError as error:
                raise ValueError(f"Cannot open store {name!r} as its name is not valid Unicode: {error}") from None
            store = self._stores[name] = KvStore(name, self._host, limits, self._page_size, self._max_cached)
        return store

    def getConfig(self) -> dict[str, str]:  # noqa: N802 (public API name)
        """Returns a copy of the task's ``init_config``."""
        return dict(self._config)

    def take_results(self) -> CallResults:
        """Returns and forgets the outputs and state writes of the call that just ended."""
        data, lens, channels = pack_outputs(self._values, self._channels)
        self._values = []
        self._channels = []
        writer = MutationWriter()
        for store in self._stores.values():
            store.flush(writer)
        return data, lens, channels, bytes(writer.buffer), writer.stores

    def discard_results(self) -> None:
        """Drops the outputs and state writes of a call that failed."""
        self._values = []
        self._channels = []
        for store in self._stores.values():
            store.discard()
