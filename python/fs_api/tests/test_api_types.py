"""ComplexKey, the error hierarchy and the package surface of fs_api."""

from __future__ import annotations

import dataclasses

import pytest

import fs_api
from fs_api import ComplexKey, KvError, KvIOError, KvNotFoundError, KvOtherError


def test_complex_key_is_a_frozen_dataclass_with_the_four_spec_fields() -> None:
    assert dataclasses.is_dataclass(ComplexKey)
    assert [f.name for f in dataclasses.fields(ComplexKey)] == ["key_group", "key", "namespace", "user_key"]
    key = ComplexKey(b"g", b"k", b"ns", b"u")
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.user_key = b"other"  # type: ignore[misc]


def test_complex_keys_compare_and_hash_by_value() -> None:
    a = ComplexKey(key_group=b"g", key=b"k", namespace=b"ns", user_key=b"u")
    b = ComplexKey(b"g", b"k", b"ns", b"u")
    assert a == b and hash(a) == hash(b)
    assert a != ComplexKey(b"g", b"k", b"ns", b"v")
    assert len({a, b}) == 1


@pytest.mark.parametrize("error_class", [KvNotFoundError, KvIOError, KvOtherError])
def test_every_state_error_is_a_kv_error(error_class: type[KvError]) -> None:
    assert issubclass(error_class, KvError)
    assert issubclass(error_class, Exception)
    with pytest.raises(KvError, match="boom"):
        raise error_class("boom")


def test_state_errors_are_distinct_classes() -> None:
    with pytest.raises(KvNotFoundError):
        try:
            raise KvNotFoundError("missing")
        except KvIOError:  # pragma: no cover - must not match
            pytest.fail("KvNotFoundError was caught as KvIOError")


def test_the_package_exports_the_spec_surface() -> None:
    expected = {
        "ComplexKey",
        "Context",
        "FSProcessorDriver",
        "KvError",
        "KvIOError",
        "KvIterator",
        "KvNotFoundError",
        "KvOtherError",
        "KvStore",
    }
    assert expected <= set(fs_api.__all__)
    for name in fs_api.__all__:
        assert hasattr(fs_api, name), name
    assert isinstance(fs_api.__version__, str) and fs_api.__version__


def test_driver_exposes_every_spec_hook() -> None:
    hooks = ["init", "process", "process_watermark", "take_checkpoint", "check_heartbeat", "close", "custom"]
    for hook in hooks:
        assert callable(getattr(fs_api.FSProcessorDriver, hook)), hook
