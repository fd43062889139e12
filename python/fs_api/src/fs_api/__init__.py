"""Function Stream operator API."""

from ._version import __version__
from .context import Context
from .driver import FSProcessorDriver
from .errors import KvError, KvIOError, KvNotFoundError, KvOtherError
from .store import ComplexKey, KvIterator, KvStore

__all__ = [
    "__version__",
    "ComplexKey",
    "Context",
    "FSProcessorDriver",
    "KvError",
    "KvIOError",
    "KvIterator",
    "KvNotFoundError",
    "KvOtherError",
    "KvStore",
]
