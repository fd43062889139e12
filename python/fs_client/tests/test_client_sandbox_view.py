"""The sandbox view: what of an operator's own script is uploaded."""

from __future__ import annotations

import ast
import textwrap

import pytest
from client_test_support import DATA_DIR
from fs_client.packaging import sandbox_view


def view(source: str) -> str:
    return sandbox_view(textwrap.dedent(source))


def top_level(source: str) -> list[str]:
    """A compact description of the statements left in a view."""
    names = []
    for stmt in ast.parse(source).body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            names.append("import " + ",".join(a.asname or a.name for a in stmt.names))
        elif isinstance(stmt, ast.FunctionDef | ast.ClassDef):
            names.append(stmt.name)
        else:
            names.append(ast.unparse(stmt).splitlines()[0])
    return names


def test_seed_script_keeps_only_imports_and_the_operator_class() -> None:
    source = (DATA_DIR / "seed_job.py").read_text()
    result = sandbox_view(source)
    assert top_level(result) == ["import FSProcessorDriver,Context", "import json", "MetricProcessor"]
    assert "FsClient" not in result and "fs_client" not in result.replace("removed by fs_client", "")
    # Line numbers are kept so tracebacks from the server point at the user's file.
    assert len(result.splitlines()) == len(source.splitlines())
    assert result.splitlines()[4] == source.splitlines()[4] == "class MetricProcessor(FSProcessorDriver):"


def test_seed_view_runs_without_fs_client_and_defines_a_working_operator() -> None:
    namespace: dict[str, object] = {"__name__": "seed_job"}
    exec(compile(sandbox_view((DATA_DIR / "seed_job.py").read_text()), "seed_job.py", "exec"), namespace)
    assert set(namespace) >= {"MetricProcessor", "json", "FSProcessorDriver", "Context"}
    assert not {"task_config", "client", "status", "FsClient", "WasmTaskBuilder"} & set(namespace)


def test_main_guard_and_bare_expressions_are_removed_but_the_docstring_stays() -> None:
    result = view(
        '''
        """Module docstring."""
        import logging
        logging.basicConfig()
        LIMIT = 10
        print("hello")
        if __name__ == "__main__":
            run()
        if "__main__" == __name__:
            run()
        '''
    )
    assert top_level(result) == ["'Module docstring.'", "import logging", "LIMIT = 10"]


def test_taint_flows_through_assignments_and_aliases() -> None:
    result = view(
        """
        import os
        import fs_client.config as cfg
        from fs_client import FsClient as Client
        builder = cfg.WasmTaskBuilder()
        config = builder.build()
        name = config.task_name
        port = int(os.environ.get("PORT", "8080"))
        client = Client(port=port)
        for attempt in range(3):
            client.start_function(name)
        try:
            client.close()
        finally:
            pass
        while False:
            client.close()
        with Client() as other:
            pass
        SAFE = port + 1
        """
    )
    assert top_level(result) == ["import os", "port = int(os.environ.get('PORT', '8080'))", "SAFE = port + 1"]


def test_a_rebound_name_is_no_longer_tainted() -> None:
    result = view(
        """
        from fs_client import FsClient
        client = FsClient()
        client = None
        VALUE = client
        """
    )
    assert top_level(result) == ["client = None", "VALUE = client"]


def test_definitions_stay_unless_what_runs_at_definition_time_uses_client_names() -> None:
    result = view(
        """
        from fs_api import FSProcessorDriver
        from fs_client import FsClient, WasmTaskBuilder

        def deploy():
            with FsClient() as client:
                return client

        def uses_default(builder=WasmTaskBuilder()):
            return builder

        @FsClient
        def decorated():
            pass

        def annotated(client: FsClient) -> None:
            pass

        class Operator(FSProcessorDriver):
            def helper(self):
                return FsClient

        class Tainted(FSProcessorDriver):
            client_class = FsClient

        class TaintedBase(WasmTaskBuilder):
            pass
        """
    )
    assert top_level(result) == ["import FSProcessorDriver", "deploy", "Operator"]


def test_lazy_annotations_do_not_taint_a_definition() -> None:
    result = view(
        """
        from __future__ import annotations
        from fs_client import FsClient

        def annotated(client: FsClient) -> FsClient:
            return client
        """
    )
    assert top_level(result) == ["import annotations", "annotated"]


def test_star_import_of_fs_client_taints_its_public_names() -> None:
    result = view(
        """
        from fs_client.config import *
        config = WasmTaskBuilder().build()
        other = 1
        """
    )
    assert top_level(result) == ["other = 1"]


def test_a_compound_statement_containing_an_fs_client_import_is_removed() -> None:
    result = view(
        """
        try:
            from fs_client import FsClient
        except ImportError:
            FsClient = None
        client = FsClient
        KEEP = 1
        """
    )
    assert top_level(result) == ["KEEP = 1"]


def test_statements_sharing_a_line_fall_back_to_a_rebuilt_source() -> None:
    result = view(
        """
        import fs_client; KEEP = 1; client = fs_client.FsClient()
        class A:
            pass
        """
    )
    assert top_level(result) == ["KEEP = 1", "A"]


def test_relative_and_other_imports_are_kept() -> None:
    result = view(
        """
        from . import helpers
        from .models import Thing
        import fs_api
        import json as j
        """
    )
    assert top_level(result) == ["import helpers", "import Thing", "import fs_api", "import j"]


def test_invalid_source_raises_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        sandbox_view("def broken(:\n")
