"""fs_runtime: the runtime inside the sandbox (internal; operators use fs_api).

It implements ``fs_api.Context`` and ``fs_api.KvStore`` over the host, and runs
the operator's hooks one whole call at a time (``Runner``).
"""

from ._codec import MutationWriter, pack_outputs
from ._host import PyodideStateHost, StateHost
from .context import Context
from .kv_store import KvStore
from .runner import Runner

__all__ = [
    "Context",
    "KvStore",
    "MutationWriter",
    "PyodideStateHost",
    "Runner",
    "StateHost",
    "pack_outputs",
]
