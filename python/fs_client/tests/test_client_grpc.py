"""FsClient against an in-process fake FunctionStreamService on 127.0.0.1."""

from __future__ import annotations

import importlib
import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import grpc
import pytest
import yaml
from client_test_support import DATA_DIR, FakeServer
from fs_client.config import KafkaInput, KafkaOutput, WasmTaskBuilder

from fs_client import (
    BadRequestError,
    ClientError,
    ConflictError,
    FsClient,
    FunctionStreamTimeoutError,
    InternalServerError,
    NetworkError,
    NotFoundError,
    ServerError,
    ShowFunctionsResult,
)

CONFIG = (
    WasmTaskBuilder()
    .set_name("python-etl-job")
    .add_init_config("metric_name", "user_click")
    .add_input_group([KafkaInput(bootstrap_servers="kafka:9092", topic="raw-data", group_id="fs-group")])
    .add_output(KafkaOutput(bootstrap_servers="kafka:9092", topic="clean-data", partition=0))
    .build()
)


def client_for(server: FakeServer, **kwargs: object) -> FsClient:
    return FsClient(host="127.0.0.1", port=server.port, default_timeout=10.0, **kwargs)  # type: ignore[arg-type]


def test_create_python_function_from_config_sends_class_modules_in_order_and_yaml(
    fake_server: FakeServer, tmp_path: Path, isolated_imports
) -> None:
    (tmp_path / "util_mod.py").write_text("FACTOR = 2\n")
    (tmp_path / "doubler.py").write_text(
        "import util_mod\nfrom fs_api import FSProcessorDriver\n\n"
        "class Doubler(FSProcessorDriver):\n    def process(self, ctx, source_id, data):\n"
        "        ctx.emit(data * util_mod.FACTOR, 0)\n"
    )
    isolated_imports(tmp_path)
    module = importlib.import_module("doubler")
    with client_for(fake_server) as client:
        assert client.create_python_function_from_config(CONFIG, module.Doubler) is True
    (request,) = fake_server.state.requests("CreatePythonFunction")
    assert request.class_name == "Doubler"
    assert [(m.module_name, m.module_bytes) for m in request.modules] == [
        ("util_mod", (tmp_path / "util_mod.py").read_bytes()),
        ("doubler", (tmp_path / "doubler.py").read_bytes()),
    ]
    assert request.config_content == CONFIG.to_yaml()
    assert yaml.safe_load(request.config_content)["name"] == "python-etl-job"


def test_every_rpc_sends_its_fields_and_returns_the_documented_value(fake_server: FakeServer) -> None:
    fake_server.state.functions = [("python-etl-job", "python", "RUNNING")]
    with client_for(fake_server) as client:
        assert client.create_python_function("Op", [("a", b"A = 1\n"), ("b", "B = 2\n")], "name: x\n") is True
        assert client.create_function_from_bytes(b"\0asm", "name: w\ntype: wasm\n") is True
        assert client.start_function("python-etl-job") is True
        assert client.stop_function("python-etl-job") is True
        assert client.drop_function("python-etl-job") is True
        shown = client.show_functions(filter_pattern="python-*")
        everything = client.show_functions()
        assert everything.functions == shown.functions
        assert client.execute_sql("SHOW FUNCTIONS") == "ExecuteSql ok"
    state = fake_server.state
    python = state.requests("CreatePythonFunction")[0]
    assert [(m.module_name, m.module_bytes) for m in python.modules] == [("a", b"A = 1\n"), ("b", b"B = 2\n")]
    wasm = state.requests("CreateFunction")[0]
    assert (wasm.function_bytes, wasm.config_bytes) == (b"\0asm", b"name: w\ntype: wasm\n")
    assert [r.function_name for r in state.requests("StartFunction")] == ["python-etl-job"]
    assert [r.function_name for r in state.requests("StopFunction")] == ["python-etl-job"]
    assert [r.function_name for r in state.requests("DropFunction")] == ["python-etl-job"]
    first, second = state.requests("ShowFunctions")
    assert first.HasField("filter") and first.filter == "python-*"
    assert not second.HasField("filter")
    assert state.requests("ExecuteSql")[0].sql == "SHOW FUNCTIONS"
    assert isinstance(shown, ShowFunctionsResult)
    assert (shown.status_code, shown.message) == (200, "ShowFunctions ok")
    assert [(f.name, f.task_type, f.status) for f in shown.functions] == [("python-etl-job", "python", "RUNNING")]


def test_create_function_from_files_reads_both_files(fake_server: FakeServer, tmp_path: Path) -> None:
    (tmp_path / "f.wasm").write_bytes(b"\0asm\1")
    (tmp_path / "c.yaml").write_text("name: w\n")
    with client_for(fake_server) as client:
        assert client.create_function_from_files(tmp_path / "f.wasm", str(tmp_path / "c.yaml")) is True
        with pytest.raises(FileNotFoundError):
            client.create_function_from_files(tmp_path / "missing.wasm", tmp_path / "c.yaml")
    (request,) = fake_server.state.requests("CreateFunction")
    assert (request.function_bytes, request.config_bytes) == (b"\0asm\1", b"name: w\n")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (409, ConflictError),
        (404, NotFoundError),
        (400, BadRequestError),
        (500, InternalServerError),
        (503, ServerError),
    ],
)
def test_error_replies_raise_the_mapped_exception_with_the_server_message(
    fake_server: FakeServer, status: int, expected: type[ServerError]
) -> None:
    for method in ("CreatePythonFunction", "StartFunction", "ShowFunctions"):
        fake_server.state.replies[method] = (status, f"{method} failed on purpose")
    with client_for(fake_server) as client:
        calls = [
            lambda: client.create_python_function("Op", [("m", b"")], "name: x\n"),
            lambda: client.start_function("x"),
            lambda: client.show_functions("x"),
        ]
        for method, call in zip(("CreatePythonFunction", "StartFunction", "ShowFunctions"), calls, strict=True):
            with pytest.raises(expected) as caught:
                call()
            assert type(caught.value) is expected
            assert caught.value.status_code == status
            assert str(caught.value) == f"{method} failed on purpose"


def test_grpc_errors_raised_by_the_server_are_mapped(fake_server: FakeServer) -> None:
    fake_server.state.aborts["DropFunction"] = (grpc.StatusCode.NOT_FOUND, "no such function")
    fake_server.state.aborts["StopFunction"] = (grpc.StatusCode.INVALID_ARGUMENT, "bad name")
    with client_for(fake_server) as client:
        with pytest.raises(NotFoundError, match="no such function") as caught:
            client.drop_function("ghost")
        assert caught.value.grpc_code is grpc.StatusCode.NOT_FOUND
        with pytest.raises(BadRequestError, match="bad name"):
            client.stop_function("")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_dead_port_raises_network_error() -> None:
    with FsClient(host="127.0.0.1", port=_free_port(), default_timeout=5.0) as client:
        started = time.monotonic()
        with pytest.raises(NetworkError) as caught:
            client.start_function("x")
    assert caught.value.grpc_code is grpc.StatusCode.UNAVAILABLE
    assert isinstance(caught.value, ServerError)
    assert time.monotonic() - started < 5.0


def test_the_default_timeout_is_the_deadline_of_every_call(fake_server: FakeServer) -> None:
    fake_server.state.hold = threading.Event()
    try:
        with FsClient(host="127.0.0.1", port=fake_server.port, default_timeout=0.3) as client:
            started = time.monotonic()
            with pytest.raises(FunctionStreamTimeoutError) as caught:
                client.start_function("slow")
            assert time.monotonic() - started < 3.0
            assert isinstance(caught.value, TimeoutError)
            assert caught.value.grpc_code is grpc.StatusCode.DEADLINE_EXCEEDED
            with pytest.raises(FunctionStreamTimeoutError):
                client.stop_function("slow", timeout=0.2)
    finally:
        fake_server.state.hold.set()


def test_token_and_metadata_are_sent_with_every_call(fake_server: FakeServer) -> None:
    with client_for(fake_server, token="s3cret", metadata=[("x-tenant", "blue")]) as client:
        client.start_function("a")
        client.show_functions()
    for call in fake_server.state.calls:
        assert call.metadata["authorization"] == "Bearer s3cret"
        assert call.metadata["x-tenant"] == "blue"
    with client_for(fake_server) as client:
        client.stop_function("a")
    assert "authorization" not in fake_server.state.calls[-1].metadata


def test_a_given_channel_is_used_and_left_open(fake_server: FakeServer) -> None:
    channel = grpc.insecure_channel(f"127.0.0.1:{fake_server.port}")
    with FsClient(channel=channel) as client:
        client.start_function("a")
    # The client did not close a channel it did not open.
    with FsClient(channel=channel) as again:
        assert again.stop_function("a") is True
    channel.close()


def test_calls_after_close_raise_client_error(fake_server: FakeServer) -> None:
    client = client_for(fake_server)
    client.close()
    client.close()  # idempotent
    with pytest.raises(ClientError, match="closed"):
        client.start_function("a")


def test_invalid_arguments_are_rejected_before_anything_is_sent(fake_server: FakeServer) -> None:
    with client_for(fake_server) as client:
        with pytest.raises(ValueError):
            client.create_python_function("Op", [], "name: x\n")
        with pytest.raises(ClientError):
            client.create_python_function("", [("m", b"")], "name: x\n")
        with pytest.raises(TypeError):
            client.create_python_function_from_config(CONFIG, object)
    assert fake_server.state.calls == []


def test_seed_script_run_as_main_uploads_only_its_sandbox_view(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.state.functions = [("python-etl-job", "python", "RUNNING")]
    source = (DATA_DIR / "seed_job.py").read_text()
    script = tmp_path / "seed_job.py"
    script.write_text(source.replace('host="10.0.0.1", port=8080', f'host="127.0.0.1", port={fake_server.port}'))
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "Task Status: RUNNING"

    state = fake_server.state
    assert [call.method for call in state.calls] == ["CreatePythonFunction", "StartFunction", "ShowFunctions"]
    (request,) = state.requests("CreatePythonFunction")
    assert request.class_name == "MetricProcessor"
    assert [m.module_name for m in request.modules] == ["seed_job"]
    assert yaml.safe_load(request.config_content) == yaml.safe_load(CONFIG.to_yaml())
    uploaded = request.modules[0].module_bytes.decode()
    assert "FsClient" not in uploaded and "WasmTaskBuilder" not in uploaded
    assert state.requests("ShowFunctions")[0].filter == "python-etl-job"

    # The uploaded module imports without fs_client and without calling the server again.
    check = textwrap.dedent(
        """
        import sys, types
        sys.modules["fs_client"] = None  # any import of fs_client now fails
        module = types.ModuleType("seed_job")
        exec(compile(sys.stdin.read(), "seed_job.py", "exec"), module.__dict__)
        print(module.MetricProcessor.__mro__[1].__name__)
        """
    )
    imported = subprocess.run(
        [sys.executable, "-c", check], input=uploaded, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "FSProcessorDriver"
    assert len(state.calls) == 3


def test_get_function_status_reads_the_last_error_from_show_functions_rows(fake_server: FakeServer) -> None:
    rows = [
        {"name": "etl-2", "task_type": "python", "status": "RUNNING"},
        {"name": "etl", "task_type": "python", "status": "FAILED", "last_error": "ValueError: boom"},
    ]
    fake_server.state.sql_data = json.dumps(rows).encode()
    with client_for(fake_server) as client:
        status = client.get_function_status("etl")
        assert (status.status, status.last_error) == ("FAILED", "ValueError: boom")
        assert client.get_function_status("etl-2").last_error is None
        with pytest.raises(NotFoundError):
            client.get_function_status("missing")
    assert fake_server.state.requests("ExecuteSql")[0].sql == "SHOW FUNCTIONS"
