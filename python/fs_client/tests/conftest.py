"""Fixtures: an in-process fake Function Stream server and sys.modules hygiene."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from client_test_support import FakeServer, FakeService, FakeState
from fs_client._proto import function_stream_pb2_grpc as pb_grpc


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A FunctionStreamService on 127.0.0.1 with an ephemeral port."""
    state = FakeState()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb_grpc.add_FunctionStreamServiceServicer_to_server(FakeService(state), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield FakeServer(port, state)
    finally:
        server.stop(grace=None)


@pytest.fixture
def isolated_imports() -> Iterator[Callable[[Path], None]]:
    """Lets a test put directories on sys.path; afterwards they and the modules loaded from them are gone."""
    saved_path = list(sys.path)
    added: list[Path] = []

    def add(directory: Path) -> None:
        added.append(directory.resolve())
        sys.path.insert(0, str(directory))

    yield add
    sys.path[:] = saved_path
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and any(Path(file).resolve().is_relative_to(directory) for directory in added):
            del sys.modules[name]
