"""The Context handed to every hook of an operator."""

from __future__ import annotations

from abc import ABC, abstractmethod

from .store import KvStore

__all__ = ["Context"]


class Context(ABC):
    """What an operator can do: emit results and reach its state and config.

    The server provides the implementation; operators only call it.
    """

    @abstractmethod
    def emit(self, data: bytes, channel: int = 0) -> None:
        """Sends ``data`` to output ``channel`` (an index into the task's outputs).

        Raises ValueError when the channel does not exist.
        """

    @abstractmethod
    def emit_watermark(self, watermark: int, channel: int = 0) -> None:
        """Sends a watermark (milliseconds since the epoch) to output ``channel``."""

    @abstractmethod
    def getOrCreateKVStore(self, name: str) -> KvStore:  # noqa: N802 (public API name)
        """Returns the function's store called ``name``, creating it on first use."""

    @abstractmethod
    def getConfig(self) -> dict[str, str]:  # noqa: N802 (public API name)
        """Returns the task's ``init_config``."""
