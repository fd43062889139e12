"""Run operators without a server: an in-memory KvStore, a recording Context, a harness.

``MemoryKvStore`` implements the whole ``KvStore`` surface with the server's
semantics (byte-order ranges, appending ``merge``, lazy scans, size limits from
``fs_api.limits``). ``TestContext`` records emitted records and watermarks per
channel. ``OperatorHarness`` drives an ``FSProcessorDriver`` through its hooks
the way the server does; see its docstring for an example.
"""

from ._context import TestContext, check_channel
from ._harness import OperatorHarness
from ._memory_store import MemoryKvStore

__all__ = ["MemoryKvStore", "OperatorHarness", "TestContext", "check_channel"]
