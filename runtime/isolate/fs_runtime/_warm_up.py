"""The operator a warm isolate runs made-up records through before any function.

A warm isolate (PyodideSnapshot.keepWarm) runs batches through a throwaway
``JsRunner`` while it waits for a function (``warmUp`` in worker_main.ts), so
that V8 has optimized the WebAssembly of the path a batch takes (the eval
loop, json, dicts, bytes, the runner, the context, the store cache, result
packing) by the time real records come. Nothing outlives it: the runner, its
context and store are dropped, and its host serves no state.
"""

from __future__ import annotations

import json
from typing import Any

from fs_api import FSProcessorDriver

__all__ = ["install"]


class _Counter(FSProcessorDriver):
    """The seed's MetricProcessor shape: parse, read-modify-write one key, emit."""

    def process(self, ctx: Any, source_id: int, data: bytes) -> None:
        event = json.loads(data.decode())
        store = ctx.getOrCreateKVStore("warm_up")
        key = f"count:{event['name']}".encode()
        total = int(store.get_state(key) or 0) + event.get("value", 1)
        store.put_state(key, str(total).encode())
        ctx.emit(json.dumps({"metric": event["name"], "total": total}).encode(), 0)


def install(js_runner: Any) -> None:
    """Gives a throwaway ``JsRunner`` the warm-up operator (no module import, no init)."""
    js_runner.runner.driver = _Counter()
