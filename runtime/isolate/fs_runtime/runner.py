"""Runner: the entry points the worker calls, one per hook, each one whole call.

Every entry point returns ``(None, results...)`` on success or
``(error_kind, hook, text)`` when the hook raised: ``error_kind`` is "user"
(the operator raised), "state" (an uncaught KvIOError: the host could not read
state) or "module" (the upload cannot run). After a failure the outputs and
state writes of the call are dropped. ``start``, ``restore_checkpoint``,
``check_heartbeat`` and ``custom`` keep what their hook emitted or wrote buffered; the next
process, watermark, checkpoint or close call hands it out.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

from fs_api import FSProcessorDriver, KvIOError

from ._host import StateHost
from ._limits import ServerLimits
from ._modules import ModuleError, find_driver_class, import_modules, write_modules
from .context import Context

__all__ = ["Runner"]

USER_ROOT = "/fs_user"


class _StderrHandler(logging.Handler):
    """Writes records to whatever ``sys.stderr`` is now (the worker redirects it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def _setup_logging() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _traceback_text(error: BaseException) -> str:
    # Skip the runner's own frame: the first frame users see is their hook.
    tb = error.__traceback__
    tb = tb.tb_next if tb is not None and tb.tb_next is not None else tb
    return "".join(traceback.format_exception(type(error), error, tb)).rstrip()


class Runner:
    """One operator instance and its context inside the sandbox."""

    def __init__(
        self,
        host: StateHost,
        limits: ServerLimits,
        config: dict[str, str],
        outputs: int,
        page_size: int = 500,
        max_cached: int = 100_000,
    ) -> None:
        self.ctx = Context(host, limits, config, outputs, page_size, max_cached)
        self.driver: FSProcessorDriver | None = None

    def _fail(self, hook: str, error: BaseException) -> tuple[str, str, str]:
        self.ctx.discard_results()
        if isinstance(error, ModuleError):
            return "module", hook, str(error)
        kind = "state" if isinstance(error, KvIOError) else "user"
        return kind, hook, _traceback_text(error)

    def _done(self, extra: Any = None, take: bool = True) -> tuple[Any, ...]:
        # Hooks that hand nothing out (start, restore, heartbeat) leave their
        # outputs and writes buffered for the next call that does.
        results = self.ctx.take_results() if take else (b"", b"", b"", b"", [])
        return (None, *results, extra)

    def _driver(self) -> FSProcessorDriver:
        if self.driver is None:
            raise RuntimeError("Cannot call a hook as the operator was not started")
        return self.driver

    def start(self, modules: list[tuple[str, bytes]], class_name: str) -> tuple[Any, ...]:
        """Writes and imports the modules, instantiates the class and calls ``init``."""
        _setup_logging()
        try:
            write_modules(USER_ROOT, modules)
        except BaseException as error:
            return self._fail("import", error)
        try:
            imported = import_modules([name for name, _ in modules])
        except BaseException as error:
            return self._fail("import", error)
        try:
            cls = find_driver_class(class_name, imported)
        except BaseException as error:
            return self._fail("import", error)
        try:
            self.driver = cls()
        except BaseException as error:
            return self._fail("__init__", error)
        try:
            self.driver.init(self.ctx, self.ctx.getConfig())
        except BaseException as error:
            return self._fail("init", error)
        return self._done(take=False)

    def process(self, data: bytes, ends: list[int], sources: list[int]) -> tuple[Any, ...]:
        """Calls ``process`` for each record; record i is ``data[ends[i-1]:ends[i]]``."""
        process = self._driver().process
        ctx = self.ctx
        start = 0
        try:
            for source, end in zip(sources, ends):
                process(ctx, source, data[start:end])
                start = end
        except BaseException as error:
            return self._fail("process", error)
        return self._done()

    def process_watermark(self, source_id: int, watermark: int) -> tuple[Any, ...]:
        """Calls ``process_watermark``."""
        try:
            self._driver().process_watermark(self.ctx, source_id, watermark)
        except BaseException as error:
            return self._fail("process_watermark", error)
        return self._done()

    def take_checkpoint(self, checkpoint_id: int) -> tuple[Any, ...]:
        """Calls ``take_checkpoint``; its bytes (or None) travel as the extra result."""
        try:
            extra = self._driver().take_checkpoint(self.ctx, checkpoint_id)
            if extra is not None and not isinstance(extra, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"Cannot persist the result of take_checkpoint() as it must be bytes or None: "
                    f"current type is {type(extra).__name__}"
                )
        except BaseException as error:
            return self._fail("take_checkpoint", error)
        return self._done(None if extra is None else bytes(extra))

    def restore_checkpoint(self, checkpoint_id: int, data: bytes) -> tuple[Any, ...]:
        """Calls ``restore_checkpoint`` with the bytes ``take_checkpoint`` returned."""
        try:
            self._driver().restore_checkpoint(self.ctx, checkpoint_id, data)
        except BaseException as error:
            return self._fail("restore_checkpoint", error)
        return self._done(take=False)

    def check_heartbeat(self) -> tuple[Any, ...]:
        """Calls ``check_heartbeat``; None counts as healthy, any other false value asks for a restart."""
        try:
            result = self._driver().check_heartbeat(self.ctx)
        except BaseException as error:
            return self._fail("check_heartbeat", error)
        return self._done(result is None or bool(result), take=False)

    def close(self) -> tuple[Any, ...]:
        """Calls ``close``."""
        try:
            self._driver().close(self.ctx)
        except BaseException as error:
            return self._fail("close", error)
        return self._done()

    def custom(self, payload: bytes) -> tuple[Any, ...]:
        """Calls ``custom``; its bytes travel as the extra result."""
        try:
            reply = self._driver().custom(payload)
            if not isinstance(reply, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"Cannot send the result of custom() as it must be bytes: current type is {type(reply).__name__}"
                )
        except BaseException as error:
            return self._fail("custom", error)
        return self._done(bytes(reply), take=False)
