"""Errors raised by typed state."""

from __future__ import annotations

from ..errors import KvError

__all__ = ["StateCorruptedError"]


class StateCorruptedError(KvError):
    """Stored bytes do not have the layout typed state writes.

    Usually two pieces of code use the same state name for different state
    types or codecs, or raw ``KvStore`` calls wrote into a typed state's
    namespace (``fs.state/...``). Give each state its own name, or ``clear()``
    the state to start over.
    """
