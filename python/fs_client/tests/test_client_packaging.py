"""Packaging: which local modules travel with an operator, and in which order."""

from __future__ import annotations

import importlib
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fs_client.exceptions import ClientError, InvalidArgumentError, PackagingError
from fs_client.packaging import check_driver_class, collect_modules

from fs_api import FSProcessorDriver

AddPath = Callable[[Path], None]


def write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


OPERATOR = """
from fs_api import FSProcessorDriver

class {name}(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        ctx.emit(data, 0)
"""

# job -> shop.orders -> shop.pricing -> shop.taxes (a chain), shop/__init__ -> shop.version,
# cyc_a <-> cyc_b (a cycle), lazy_helper imported inside a method, stdlib and site-packages imports.
TREE = {
    "job.py": """
        import json
        import collections.abc
        from fs_api import FSProcessorDriver
        from shop.orders import total
        import cyc_a
        import yaml
        import grpc

        class Job(FSProcessorDriver):
            def process(self, ctx, source_id, data):
                import lazy_helper
                ctx.emit(json.dumps([total(1), cyc_a.A, lazy_helper.X]).encode(), 0)
        """,
    "shop/__init__.py": "from .version import VERSION\n",
    "shop/version.py": "VERSION = '1'\n",
    "shop/orders.py": """
        import os
        from .pricing import price

        def total(n):
            return price(n)
        """,
    "shop/pricing.py": """
        from . import taxes

        def price(n):
            return n * (1 + taxes.RATE)
        """,
    "shop/taxes.py": "RATE = 0.2\n",
    "shop/unused.py": "NOT_IMPORTED = True\n",
    "cyc_a.py": "import cyc_b\nA = 1\n",
    "cyc_b.py": "import cyc_a\nB = 2\n",
    "lazy_helper.py": "X = 3\n",
    "unused.py": "NOT_IMPORTED = True\n",
}

# What each module imports (local modules only), to check the order against.
IMPORTS = {
    "job": ["shop.orders", "cyc_a", "lazy_helper"],
    "shop": ["shop.version"],
    "shop.version": ["shop"],
    "shop.orders": ["shop", "shop.pricing"],
    "shop.pricing": ["shop", "shop.taxes"],
    "shop.taxes": ["shop"],
    "cyc_a": ["cyc_b"],
    "cyc_b": ["cyc_a"],
    "lazy_helper": [],
}


@pytest.fixture
def tree(tmp_path: Path, isolated_imports: AddPath) -> Path:
    write_tree(tmp_path, TREE)
    isolated_imports(tmp_path)
    return tmp_path


def test_collects_local_modules_transitively_and_skips_stdlib_site_packages_and_fs_packages(tree: Path) -> None:
    job = importlib.import_module("job")
    names = [name for name, _ in collect_modules(job.Job)]
    assert sorted(names) == sorted(IMPORTS)
    assert not {"json", "collections", "collections.abc", "os", "yaml", "grpc", "fs_api"} & set(names)
    assert "unused" not in names and "shop.unused" not in names


def test_orders_modules_after_what_they_import_with_the_operator_last(tree: Path) -> None:
    job = importlib.import_module("job")
    names = [name for name, _ in collect_modules(job.Job)]
    assert names[-1] == "job"
    # The walk is deterministic: depth first, imports in source order, the cycle broken at cyc_b -> cyc_a.
    assert names == [
        "shop.version",
        "shop",
        "shop.taxes",
        "shop.pricing",
        "shop.orders",
        "cyc_b",
        "cyc_a",
        "lazy_helper",
        "job",
    ]
    broken = {("shop", "shop.version"), ("cyc_b", "cyc_a")}  # edges closing a cycle
    for module, imported in IMPORTS.items():
        for dependency in imported:
            if (dependency, module) in broken or (module, dependency) in broken:
                continue
            assert names.index(dependency) < names.index(module), f"{dependency} must come before {module}"


def test_module_sources_are_uploaded_byte_for_byte(tree: Path) -> None:
    job = importlib.import_module("job")
    modules = dict(collect_modules(job.Job))
    assert modules["shop"] == (tree / "shop/__init__.py").read_bytes()
    assert modules["shop.pricing"] == (tree / "shop/pricing.py").read_bytes()
    assert modules["job"] == (tree / "job.py").read_bytes()


def test_packaging_is_repeatable(tree: Path) -> None:
    job = importlib.import_module("job")
    assert collect_modules(job.Job) == collect_modules(job.Job)


def test_an_operator_inside_a_package_uses_relative_imports_and_brings_the_package_chain(
    tmp_path: Path, isolated_imports: AddPath
) -> None:
    write_tree(
        tmp_path,
        {
            "outer/__init__.py": "",
            "outer/inner/__init__.py": "from ..common import SHARED\n",
            "outer/common.py": "SHARED = 1\n",
            "outer/inner/helpers.py": "def helper():\n    return 2\n",
            "outer/inner/operator.py": "from . import helpers\nfrom .. import common\n"
            + textwrap.dedent(OPERATOR.format(name="Nested")),
        },
    )
    isolated_imports(tmp_path)
    module = importlib.import_module("outer.inner.operator")
    names = [name for name, _ in collect_modules(module.Nested)]
    assert names == ["outer", "outer.common", "outer.inner", "outer.inner.helpers", "outer.inner.operator"]


def test_modules_not_yet_imported_are_resolved_from_disk_without_importing_them(tree: Path) -> None:
    job = importlib.import_module("job")
    assert "lazy_helper" not in sys.modules
    assert "lazy_helper" in dict(collect_modules(job.Job))
    assert "lazy_helper" not in sys.modules


def test_a_helper_module_that_imports_fs_client_is_uploaded_as_its_sandbox_view(
    tmp_path: Path, isolated_imports: AddPath
) -> None:
    write_tree(
        tmp_path,
        {
            "deploy_utils.py": "from fs_client import FsClient\nCLIENT = FsClient\nLIMIT = 5\n",
            "op_with_helper.py": "import deploy_utils\n" + textwrap.dedent(OPERATOR.format(name="WithHelper")),
        },
    )
    isolated_imports(tmp_path)
    module = importlib.import_module("op_with_helper")
    modules = dict(collect_modules(module.WithHelper))
    helper = modules["deploy_utils"].decode()
    assert "LIMIT = 5" in helper and "FsClient" not in helper


@contextmanager
def as_main(path: Path) -> Iterator[types.ModuleType]:
    """Runs ``path`` as the ``__main__`` module (as ``python path`` would) for the duration."""
    module = types.ModuleType("__main__")
    module.__file__ = str(path)
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = module
    try:
        exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
        yield module
    finally:
        sys.modules["__main__"] = saved


@pytest.mark.parametrize(
    ("file_name", "module_name"), [("my-job.py", "my_job"), ("json.py", "json_main"), ("1st.py", "_1st")]
)
def test_a_main_script_is_uploaded_under_a_name_made_from_its_file_name(
    tmp_path: Path, isolated_imports: AddPath, file_name: str, module_name: str
) -> None:
    path = tmp_path / file_name
    path.write_text(
        textwrap.dedent(OPERATOR.format(name="MainOp")) + 'if __name__ == "__main__":\n    print("deploying")\n'
    )
    isolated_imports(tmp_path)
    with as_main(path) as main:
        modules = collect_modules(main.MainOp)
    assert [name for name, _ in modules] == [module_name]
    uploaded = modules[0][1].decode()
    assert "class MainOp(FSProcessorDriver):" in uploaded
    assert "deploying" not in uploaded


def test_an_operator_whose_definition_uses_client_names_cannot_be_packaged(
    tmp_path: Path, isolated_imports: AddPath
) -> None:
    path = tmp_path / "bad_job.py"
    path.write_text(
        "from fs_api import FSProcessorDriver\nfrom fs_client import FsClient\n\n"
        "class Bad(FSProcessorDriver):\n    client_class = FsClient\n"
    )
    isolated_imports(tmp_path)
    with as_main(path) as main, pytest.raises(PackagingError, match="does not define it"):
        collect_modules(main.Bad)


def test_a_relative_import_beyond_the_top_level_package_is_reported(tmp_path: Path, isolated_imports: AddPath) -> None:
    write_tree(
        tmp_path,
        {"flat_op.py": textwrap.dedent(OPERATOR.format(name="Flat")) + "def later():\n    from . import nothing\n"},
    )
    isolated_imports(tmp_path)
    module = importlib.import_module("flat_op")
    with pytest.raises(PackagingError, match="relative import"):
        collect_modules(module.Flat)


def test_a_class_defined_inside_a_function_cannot_be_packaged() -> None:
    class Local(FSProcessorDriver):
        pass

    with pytest.raises(PackagingError, match="top level"):
        collect_modules(Local)


class NotADriver:
    pass


@pytest.mark.parametrize("value", [NotADriver, FSProcessorDriver, FSProcessorDriver(), "MetricProcessor"])
def test_only_subclasses_of_fs_processor_driver_are_accepted(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="FSProcessorDriver|class") as caught:
        check_driver_class(value)
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, ClientError)
