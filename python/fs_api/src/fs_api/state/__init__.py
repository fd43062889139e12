"""Typed state for operators, built only on the public ``KvStore`` API.

It works on the server's stores and on ``fs_api.testing.MemoryKvStore`` alike::

    from fs_api.state import ValueState, KeyedListState, IntCodec, StrCodec

    store = ctx.getOrCreateKVStore("app")
    total = ValueState(store, "total", IntCodec())
    total.update((total.value() or 0) + 1)

    recent = KeyedListState(store, "recent", StrCodec(), StrCodec(), ttl=3600)
    recent.for_key("alice").add("login")

States: ``ValueState``, ``ListState``, ``MapState``, ``ReducingState``,
``AggregatingState``; keyed families of each (``Keyed*``) return the unkeyed
state for one key from ``for_key(key)``. Every state takes
``(store, name, <codecs>, [function], *, ttl=None, clock=time.time)``.

Layout in ComplexKey space (stable; part of the state format):

- ``key_group`` = the state name (UTF-8); ``key`` = b"" (unkeyed) or the
  encoded key (keyed); ``namespace`` = ``b"fs.state/global/<kind>"`` or
  ``b"fs.state/keyed/<kind>"``; ``user_key`` = b"" or the encoded map key.
  Different names, kinds, or keyed versus unkeyed never share an entry.
  Do not write raw ComplexKeys in ``fs.state/...`` namespaces.
- Each stored value (each list element) is an entry: ``0x00`` + payload, or,
  with a TTL, ``0x01`` + write time (8-byte big-endian IEEE-754 double,
  seconds from ``clock``) + payload. An entry expires once
  ``clock() >= write_time + ttl``; expired entries read as absent and are
  removed when met. Entries written without a TTL never expire. Writes
  restart an entry's TTL; reads do not.
- A list is a run of frames (4-byte big-endian length + entry) appended with
  ``KvStore.merge``.

On error: store failures raise ``KvError`` subclasses (``fs_api.errors``);
``StateCorruptedError`` (a ``KvError``) means a state's bytes were written by
something else (use distinct names); codecs raise TypeError/ValueError for
values they cannot encode or bytes they cannot decode.
"""

from .aggregating_state import AggregateFunction, AggregatingState
from .codecs import BoolCodec, BytesCodec, Codec, FloatCodec, IntCodec, JsonCodec, PickleCodec, StrCodec
from .errors import StateCorruptedError
from .keyed import KeyedAggregatingState, KeyedListState, KeyedMapState, KeyedReducingState, KeyedValueState
from .list_state import ListState
from .map_state import MapState
from .reducing_state import ReducingState
from .value_state import ValueState

__all__ = [
    "AggregateFunction",
    "AggregatingState",
    "BoolCodec",
    "BytesCodec",
    "Codec",
    "FloatCodec",
    "IntCodec",
    "JsonCodec",
    "KeyedAggregatingState",
    "KeyedListState",
    "KeyedMapState",
    "KeyedReducingState",
    "KeyedValueState",
    "ListState",
    "MapState",
    "PickleCodec",
    "ReducingState",
    "StateCorruptedError",
    "StrCodec",
    "ValueState",
]
