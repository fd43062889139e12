"""Errors raised by state operations."""

__all__ = ["KvError", "KvNotFoundError", "KvIOError", "KvOtherError"]


class KvError(Exception):
    """Root of every state error. Catch it to handle any failed state call."""


class KvNotFoundError(KvError):
    """A key, store or prefix that must exist does not.

    Check the key you asked for; absent keys in ``get_state``/``get`` return
    None instead of raising.
    """


class KvIOError(KvError):
    """The state backend could not read or write.

    The operation may succeed when retried; the server logs the cause.
    """


class KvOtherError(KvError):
    """Any other state failure, such as a key or value over its size limit.

    The message names the limit; make the key or value smaller.
    """
