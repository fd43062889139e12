"""The JS-facing side of Runner: converts JS values once per call.

The worker (runtime/isolate/worker_main.ts) creates one ``JsRunner`` and calls
its methods with ``callPromising``, so that state misses can block on the host.
"""

from __future__ import annotations

from typing import Any

from ._host import PyodideStateHost
from ._limits import ServerLimits
from .runner import Runner

__all__ = ["JsRunner"]


def _ints(js_array: Any) -> list[int]:
    return memoryview(js_array.to_bytes()).cast("i").tolist()


class JsRunner:
    """Adapts Runner's entry points to JS arguments (JsProxy of typed arrays and objects)."""

    def __init__(
        self, request: Any, limits: Any, config: Any, outputs: int, page_size: int, max_cached: int
    ) -> None:
        settings = {str(k): str(v) for k, v in config.to_py().items()}
        server = ServerLimits(
            max_key_bytes=int(limits.maxKeyBytes),
            simple_base=int(limits.simpleBase),
            complex_base=int(limits.complexBase),
            max_value_bytes=int(limits.maxValueBytes),
        )
        self.runner = Runner(PyodideStateHost(request), server, settings, outputs, page_size, max_cached)

    def start(self, names: Any, sources: Any, class_name: str) -> tuple[Any, ...]:
        modules = [(str(name), source.to_bytes()) for name, source in zip(names, sources)]
        return self.runner.start(modules, class_name)

    def process(self, data: Any, ends: Any, sources: Any) -> tuple[Any, ...]:
        return self.runner.process(data.to_bytes(), _ints(ends), _ints(sources))

    def process_watermark(self, source_id: int, watermark: int) -> tuple[Any, ...]:
        return self.runner.process_watermark(source_id, watermark)

    def take_checkpoint(self, checkpoint_id: int) -> tuple[Any, ...]:
        return self.runner.take_checkpoint(checkpoint_id)

    def restore_checkpoint(self, checkpoint_id: int, data: Any) -> tuple[Any, ...]:
        return self.runner.restore_checkpoint(checkpoint_id, data.to_bytes())

    def check_heartbeat(self) -> tuple[Any, ...]:
        return self.runner.check_heartbeat()

    def close(self) -> tuple[Any, ...]:
        return self.runner.close()

    def custom(self, payload: Any) -> tuple[Any, ...]:
        return self.runner.custom(payload.to_bytes())
