"""AggregatingState: an accumulator updated by an AggregateFunction."""

from __future__ import annotations

import time
from typing import Generic, Protocol, TypeVar

from ..store import KvStore
from ._slot import Clock, StateSlot
from .codecs import Codec

__all__ = ["AggregateFunction", "AggregatingState"]

IN = TypeVar("IN")
ACC = TypeVar("ACC")
OUT = TypeVar("OUT")
IN_contra = TypeVar("IN_contra", contravariant=True)
OUT_co = TypeVar("OUT_co", covariant=True)


class AggregateFunction(Protocol[IN_contra, ACC, OUT_co]):
    """How to aggregate: a fresh accumulator, adding one input, reading the result."""

    def create_accumulator(self) -> ACC:
        """Returns an empty accumulator."""
        ...

    def add(self, value: IN_contra, accumulator: ACC) -> ACC:
        """Returns ``accumulator`` with ``value`` added (may mutate and return it)."""
        ...

    def get_result(self, accumulator: ACC) -> OUT_co:
        """Returns the aggregate the accumulator stands for."""
        ...


class AggregatingState(Generic[IN, ACC, OUT]):
    """Keeps an accumulator (stored with ``acc_codec``) and returns its result.

    Example::

        class Mean:
            def create_accumulator(self): return [0.0, 0]
            def add(self, value, acc): return [acc[0] + value, acc[1] + 1]
            def get_result(self, acc): return acc[0] / acc[1]

        mean = AggregatingState(store, "mean", JsonCodec(), Mean())
        mean.add(2.0); mean.add(4.0)
        assert mean.get() == 3.0

    On error: exceptions from the aggregate function propagate and leave the
    stored accumulator unchanged; ``KvError`` comes from the store;
    ``StateCorruptedError`` means the name holds bytes this state did not write.
    """

    def __init__(
        self,
        store: KvStore,
        name: str,
        acc_codec: Codec[ACC],
        aggregate: AggregateFunction[IN, ACC, OUT],
        *,
        ttl: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        self._setup(StateSlot.create(store, name, "aggregating", ttl, clock), acc_codec, aggregate)

    @classmethod
    def _bound(
        cls, slot: StateSlot, acc_codec: Codec[ACC], aggregate: AggregateFunction[IN, ACC, OUT]
    ) -> AggregatingState[IN, ACC, OUT]:
        state: AggregatingState[IN, ACC, OUT] = cls.__new__(cls)
        state._setup(slot, acc_codec, aggregate)
        return state

    def _setup(self, slot: StateSlot, acc_codec: Codec[ACC], aggregate: AggregateFunction[IN, ACC, OUT]) -> None:
        for method in ("create_accumulator", "add", "get_result"):
            if not callable(getattr(aggregate, method, None)):
                raise TypeError(
                    f"Cannot create AggregatingState {slot.name!r} as the aggregate function has no {method}()"
                )
        self._slot = slot
        self._codec = acc_codec
        self._aggregate = aggregate

    @property
    def name(self) -> str:
        """The state's name."""
        return self._slot.name

    def accumulator(self) -> ACC | None:
        """Returns the stored accumulator, or None when nothing was added (or it expired)."""
        payload = self._slot.read()
        return None if payload is None else self._codec.decode(payload)

    def get(self) -> OUT | None:
        """Returns ``get_result(accumulator)``, or None when nothing was added (or it expired)."""
        accumulator = self.accumulator()
        return None if accumulator is None else self._aggregate.get_result(accumulator)

    def add(self, value: IN) -> None:
        """Adds ``value`` to the accumulator (a fresh one when empty or expired)."""
        accumulator = self.accumulator()
        if accumulator is None:
            accumulator = self._aggregate.create_accumulator()
        self._slot.write(self._codec.encode(self._aggregate.add(value, accumulator)))

    def clear(self) -> None:
        """Removes the accumulator."""
        self._slot.delete()
