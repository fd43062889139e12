"""OperatorHarness: run an FSProcessorDriver without a server."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from types import TracebackType

from ..driver import FSProcessorDriver
from ._context import TestContext
from ._memory_store import MemoryKvStore

__all__ = ["OperatorHarness"]

_NEW, _OPEN, _CLOSED = "new", "open", "closed"


def _check_config(config: Mapping[str, str] | None) -> dict[str, str]:
    # The server hands init() the YAML's init_config, string -> string; an int
    # that works here would arrive as a str there.
    result: dict[str, str] = {}
    for key, value in (config or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"Cannot use init_config entry {key!r}: {value!r} as init_config maps str to str "
                "on the server: pass the value as a string"
            )
        result[key] = value
    return result


class OperatorHarness:
    """Runs one operator in-process: calls its hooks the way the server does.

    ``driver`` is an ``FSProcessorDriver`` instance or subclass (a subclass is
    instantiated with no arguments). ``init_config`` is the task's init_config
    (str to str); ``outputs`` is the number of outputs, so emits to other
    channels fail as on the server.

    Example::

        from fs_api.testing import OperatorHarness

        with OperatorHarness(MetricProcessor, {"metric_name": "clicks"}) as h:
            h.process(b'{"value": 2}')
            h.process(b'{"value": 3}')
            assert h.emitted() == [
                b'{"metric": "clicks", "total": 2}',
                b'{"metric": "clicks", "total": 5}',
            ]
            assert h.store("stats_db").get_state(b"count:clicks") == b"5"

    On error: hooks' exceptions propagate unchanged, so a test sees the
    operator's own traceback. A RuntimeError means a hook was called out of
    order (``process`` before ``open`` or after ``close``).
    """

    def __init__(
        self,
        driver: FSProcessorDriver | type[FSProcessorDriver],
        init_config: Mapping[str, str] | None = None,
        outputs: int = 1,
    ) -> None:
        if isinstance(driver, type) and issubclass(driver, FSProcessorDriver):
            driver = driver()
        if not isinstance(driver, FSProcessorDriver):
            raise TypeError(
                f"Cannot run {driver!r} as operators subclass fs_api.FSProcessorDriver: "
                f"current type is {type(driver).__name__}"
            )
        self.driver = driver
        self.init_config = _check_config(init_config)
        self.context = TestContext(self.init_config, outputs)
        self._phase = _NEW

    # Lifecycle.
    def open(self) -> None:
        """Calls ``init(ctx, init_config)``; call once, before anything else."""
        if self._phase != _NEW:
            raise RuntimeError(f"Cannot open the harness as it is already {self._phase}")
        self._phase = _OPEN
        self.driver.init(self.context, dict(self.init_config))

    def close(self) -> None:
        """Calls ``close(ctx)``; closing twice does nothing."""
        if self._phase == _OPEN:
            self._phase = _CLOSED
            self.driver.close(self.context)

    def __enter__(self) -> OperatorHarness:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # Input.
    def process(self, data: bytes, source_id: int = 0) -> None:
        """Calls ``process(ctx, source_id, data)`` for one record."""
        self._require_open("process a record")
        if not isinstance(data, bytes):
            raise TypeError(
                f"Cannot process a record of type {type(data).__name__} as records are bytes: encode it first"
            )
        self.driver.process(self.context, source_id, data)

    def process_all(self, records: Iterable[bytes | tuple[int, bytes]]) -> int:
        """Processes each record in order; a record is bytes or ``(source_id, bytes)``.

        Returns the number of records processed.
        """
        count = 0
        for record in records:
            if isinstance(record, tuple):
                source_id, data = record
                self.process(data, source_id)
            else:
                self.process(record)
            count += 1
        return count

    def process_file(
        self,
        path: str | os.PathLike[str],
        source_id: int = 0,
        *,
        skip_blank_lines: bool = False,
    ) -> int:
        """Processes a file one line per record (bytes, line ending stripped).

        A final line ending does not make an extra empty record; blank lines
        inside the file are empty records unless ``skip_blank_lines``.
        Returns the number of records processed.
        """
        self._require_open("process a file")
        count = 0
        with open(path, "rb") as lines:
            for line in lines:
                data = line.rstrip(b"\n").removesuffix(b"\r")
                if skip_blank_lines and not data.strip():
                    continue
                self.process(data, source_id)
                count += 1
        return count

    def watermark(self, watermark: int, source_id: int = 0) -> None:
        """Calls ``process_watermark(ctx, source_id, watermark)``."""
        self._require_open("process a watermark")
        self.driver.process_watermark(self.context, source_id, watermark)

    # Checkpoints and health.
    def checkpoint(self, checkpoint_id: int) -> bytes | None:
        """Calls ``take_checkpoint(ctx, checkpoint_id)`` and returns its bytes (or None)."""
        self._require_open("take a checkpoint")
        data = self.driver.take_checkpoint(self.context, checkpoint_id)
        if data is not None and not isinstance(data, bytes):
            raise TypeError(
                f"Cannot persist checkpoint {checkpoint_id} as take_checkpoint must return bytes or None: "
                f"current type is {type(data).__name__}"
            )
        return data

    def restore(self, checkpoint_id: int, data: bytes) -> None:
        """Calls ``restore_checkpoint(ctx, checkpoint_id, data)``."""
        self._require_open("restore a checkpoint")
        self.driver.restore_checkpoint(self.context, checkpoint_id, data)

    def heartbeat(self) -> bool:
        """Calls ``check_heartbeat(ctx)``; False means the server would restart the operator."""
        self._require_open("check the heartbeat")
        healthy = self.driver.check_heartbeat(self.context)
        if not isinstance(healthy, bool):
            raise TypeError(
                f"Cannot read the heartbeat as check_heartbeat must return a bool: current value is {healthy!r}"
            )
        return healthy

    def custom(self, payload: bytes) -> bytes:
        """Calls ``custom(payload)`` and returns its reply."""
        return self.driver.custom(payload)

    # Output and state.
    def emitted(self, channel: int = 0) -> list[bytes]:
        """Returns (a copy of) the records emitted so far to ``channel``."""
        return list(self.context.emitted[self._output(channel)])

    def watermarks(self, channel: int = 0) -> list[int]:
        """Returns (a copy of) the watermarks emitted so far to ``channel``."""
        return list(self.context.watermarks[self._output(channel)])

    def store(self, name: str) -> MemoryKvStore:
        """Returns the operator's store ``name`` (created empty if the operator has not used it)."""
        return self.context.getOrCreateKVStore(name)

    def _output(self, channel: int) -> int:
        if channel not in self.context.emitted:
            raise ValueError(f"Cannot read channel {channel} as the harness has {self.context.outputs} output(s)")
        return channel

    def _require_open(self, action: str) -> None:
        if self._phase != _OPEN:
            hint = "call open() first or use the harness in a with block" if self._phase == _NEW else "it is closed"
            raise RuntimeError(f"Cannot {action} as the harness is not open: {hint}")
