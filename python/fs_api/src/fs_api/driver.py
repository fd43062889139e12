"""The base class of every operator."""

from __future__ import annotations

from .context import Context

__all__ = ["FSProcessorDriver"]


class FSProcessorDriver:
    """Subclass this and override ``process``; every other hook has a default.

    The server calls the hooks; exceptions raised by a hook are reported with
    their traceback and handled by the function's restart policy.
    """

    def init(self, ctx: Context, config: dict[str, str]) -> None:
        """Called once when the function starts, with the task's init_config."""

    def process(self, ctx: Context, source_id: int, data: bytes) -> None:
        """Called for each input record; ``source_id`` is the input group's index."""

    def process_watermark(self, ctx: Context, source_id: int, watermark: int) -> None:
        """Called when the watermark of input group ``source_id`` advances."""

    def take_checkpoint(self, ctx: Context, checkpoint_id: int) -> bytes | None:
        """Called when a checkpoint is taken; may return extra bytes to persist with it."""
        return None

    def restore_checkpoint(self, ctx: Context, checkpoint_id: int, data: bytes) -> None:
        """Called on recovery with the bytes ``take_checkpoint`` returned for that checkpoint."""

    def check_heartbeat(self, ctx: Context) -> bool:
        """Called periodically; return False to ask for a restart."""
        return True

    def close(self, ctx: Context) -> None:
        """Called once when the function stops."""

    def custom(self, payload: bytes) -> bytes:
        """Answers a custom request; the default echoes an empty reply."""
        return b""
