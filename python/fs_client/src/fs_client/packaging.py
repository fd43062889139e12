"""Packaging of a Python operator for upload: which sources travel, in which order.

``collect_modules(driver_class)`` returns ``[(dotted_module_name, source_bytes)]``:

1. The module that defines ``driver_class`` is read from its file and parsed
   with ``ast`` (nothing is imported or executed).
2. Every ``import``/``from ... import`` in it (relative ones too, at any
   depth of the file) that resolves to a local ``.py`` file is followed,
   transitively. Packages bring the ``__init__.py`` of each package in their
   chain. Skipped: the standard library (``sys.stdlib_module_names``),
   anything under ``site-packages``/``dist-packages`` or the interpreter's own
   directories, ``fs_api`` (the sandbox provides it) and ``fs_client``.
   Imports that resolve to nothing (optional dependencies) are ignored.
3. The modules are ordered so each comes after the modules it imports (and
   after its parent package): a depth-first post-order from the operator's
   module, following imports in source order; an import cycle is broken where
   the walk meets a module already in progress. The operator's module is
   always **last**.
4. The operator's module is uploaded as its *sandbox view* (see
   ``fs_client._sandbox.sandbox_view``): ``fs_client`` imports, statements that
   use what they bound, bare expressions and ``if __name__ == "__main__":``
   blocks are blanked out, so the script that registers the operator can live
   in the same file. Another local module gets the same treatment when it
   imports ``fs_client`` at top level; all others are uploaded byte for byte.
5. When the operator's module is ``__main__`` (a script run directly), its
   name is the file's stem (``seed_job.py`` -> ``seed_job``; characters that
   cannot appear in a module name become ``_``; a stem that would shadow a
   standard module gets a ``_main`` suffix). Under ``python -m pkg.mod`` it
   is ``pkg.mod``.
"""

from __future__ import annotations

import ast
import inspect
import io
import keyword
import logging
import re
import sys
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from fs_api import FSProcessorDriver

from ._module_finder import SKIPPED_PACKAGES, find_module_file, is_skipped_name, is_system_path
from ._sandbox import build_sandbox_view, sandbox_view
from .exceptions import InvalidArgumentError, PackagingError

__all__ = ["check_driver_class", "collect_modules", "sandbox_view"]

_log = logging.getLogger("fs_client.packaging")


@dataclass
class _Module:
    name: str
    path: Path
    is_package: bool


def check_driver_class(driver_class: object) -> type[FSProcessorDriver]:
    """Returns ``driver_class`` when it is a subclass of ``fs_api.FSProcessorDriver``.

    Raises InvalidArgumentError (also a TypeError and ValueError) otherwise.
    """
    if not inspect.isclass(driver_class):
        raise InvalidArgumentError(
            f"Cannot use driver_class as it must be a class, not an instance: current value is {driver_class!r}"
        )
    if driver_class is FSProcessorDriver or not issubclass(driver_class, FSProcessorDriver):
        raise InvalidArgumentError(
            "Cannot use driver_class as it must be a subclass of fs_api.FSProcessorDriver: "
            f"current value is {driver_class.__module__}.{driver_class.__qualname__}"
        )
    return driver_class


def collect_modules(driver_class: type, search_path: Sequence[str | Path] | None = None) -> list[tuple[str, bytes]]:
    """Returns the sources to upload for ``driver_class``; its own module comes last.

    ``search_path`` replaces the directories used to resolve absolute imports
    (default: the operator's root directory, then ``sys.path``). Raises
    InvalidArgumentError for a class that is not an FSProcessorDriver, and
    PackagingError when the source cannot be found, read or parsed, when the
    class is not defined at module top level, or when its definition would be
    removed from the sandbox view.
    """
    cls = check_driver_class(driver_class)
    entry = _entry_module(cls)
    roots = _roots(entry, search_path)
    collector = _Collector(entry, roots, cls.__name__)
    return collector.run()


def _entry_module(cls: type) -> _Module:
    if "." in cls.__qualname__:
        raise PackagingError(
            f"Cannot package {cls.__name__} as it is not defined at module top level: "
            f"current qualified name is {cls.__qualname__}"
        )
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    if module is None or not file:
        raise PackagingError(
            f"Cannot package {cls.__name__} as its source file is unknown (module {cls.__module__!r}, "
            "e.g. an interactive session): define the class in a .py file"
        )
    path = Path(file).resolve()
    if path.suffix != ".py":
        raise PackagingError(f"Cannot package {cls.__name__} as its module is not a .py file: current file is {path}")
    is_package = path.name == "__init__.py"
    if cls.__module__ != "__main__":
        return _Module(cls.__module__, path, is_package)
    return _Module(_main_module_name(module, path), path, is_package)


def _main_module_name(module: ModuleType, path: Path) -> str:
    spec = getattr(module, "__spec__", None)
    if spec is not None and spec.name and spec.name != "__main__":
        return str(spec.name)  # Run with ``python -m pkg.mod``.
    name = re.sub(r"\W", "_", path.stem) or "operator"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"_{name}"
    if name in sys.stdlib_module_names or name in SKIPPED_PACKAGES:
        name = f"{name}_main"
    return name


def _roots(entry: _Module, search_path: Sequence[str | Path] | None) -> list[Path]:
    # The directory the entry module's top-level package lives in comes first,
    # as sys.path[0] does for a script.
    depth = entry.name.count(".") + (1 if entry.is_package else 0)
    entry_root = entry.path.parents[min(depth, len(entry.path.parents) - 1)]
    raw: list[str | Path] = list(search_path) if search_path is not None else [entry_root, *sys.path]
    roots: list[Path] = []
    for item in raw:
        path = Path(item or ".").resolve()
        if path.is_dir() and path not in roots:
            roots.append(path)
    return roots


class _Collector:
    def __init__(self, entry: _Module, roots: list[Path], class_name: str) -> None:
        self._entry = entry
        self._roots = roots
        self._class_name = class_name
        self._order: list[tuple[str, bytes]] = []
        self._done: set[str] = set()
        self._active: set[str] = set()
        self._by_path: dict[Path, str] = {entry.path: entry.name}

    def run(self) -> list[tuple[str, bytes]]:
        self._visit(self._entry)
        return self._order

    def _visit(self, module: _Module) -> None:
        if module.name in self._done or module.name in self._active:
            return  # Done, or an import cycle: break it here.
        self._active.add(module.name)
        source, tree = self._source(module)
        for dependency in self._dependencies(module, tree):
            self._visit(dependency)
        self._active.discard(module.name)
        self._done.add(module.name)
        self._order.append((module.name, source))

    def _source(self, module: _Module) -> tuple[bytes, ast.Module]:
        try:
            raw = module.path.read_bytes()
        except OSError as error:
            raise PackagingError(f"Cannot read module {module.name} as {module.path} is unreadable: {error}") from error
        try:
            tree = ast.parse(raw, str(module.path))
        except SyntaxError as error:
            raise PackagingError(f"Cannot parse module {module.name} ({module.path}): {error}") from error
        is_entry = module.path == self._entry.path
        if not is_entry and not _imports_client_at_top_level(tree):
            return raw, tree
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        view = build_sandbox_view(raw.decode(encoding), str(module.path))
        if is_entry and self._class_name not in view.top_level_names:
            removed = "; ".join(f"line {line}: {reason}" for line, reason in view.removed) or "none"
            raise PackagingError(
                f"Cannot package {self._class_name} as the sandbox view of {module.path} does not define it at "
                f"top level (removed statements: {removed}); define the class with a top-level class statement "
                "that does not use fs_client names"
            )
        for line, reason in view.removed:
            _log.debug("%s line %d left out of the upload: %s", module.path, line, reason)
        return view.source.encode(encoding), ast.parse(view.source, str(module.path))

    def _dependencies(self, module: _Module, tree: ast.Module) -> list[_Module]:
        found: list[_Module] = []
        if "." in module.name:
            parent = self._resolve(module.name.rpartition(".")[0])
            if parent is not None:
                found.append(parent)
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        for node in _imports_in_source_order(tree):
            for name in self._candidates(node, package, module):
                resolved = self._resolve(name)
                if resolved is not None and resolved.path != module.path:
                    found.append(resolved)
        return found

    def _candidates(self, node: ast.Import | ast.ImportFrom, package: str, module: _Module) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = node.module or ""
        if node.level:
            parts = package.split(".") if package else []
            if node.level > len(parts):
                raise PackagingError(
                    f"Cannot resolve a relative import in {module.path} line {node.lineno} as it goes beyond the "
                    f"top-level package: current module is {module.name}"
                )
            prefix = ".".join(parts[: len(parts) - node.level + 1])
            base = f"{prefix}.{base}" if base and prefix else (base or prefix)
        # ``from pkg import sub`` may name a submodule as well as an attribute.
        names = [base] if base else []
        names += [f"{base}.{alias.name}" if base else alias.name for alias in node.names if alias.name != "*"]
        return names

    def _resolve(self, name: str) -> _Module | None:
        if not name or is_skipped_name(name):
            return None
        found = find_module_file(name, self._roots)
        if found is None:
            return None
        path, is_package = found
        if is_system_path(path):
            return None
        # The same file reached under two names (e.g. the entry script itself) is one module.
        known = self._by_path.setdefault(path, name)
        if known == self._entry.name:
            return self._entry
        return _Module(known, path, is_package)


def _imports_in_source_order(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    nodes = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    return sorted(nodes, key=lambda node: (node.lineno, node.col_offset))


def _imports_client_at_top_level(tree: ast.Module) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "fs_client" for a in node.names):
                return True
            if (
                isinstance(node, ast.ImportFrom)
                and node.level == 0
                and (node.module or "").split(".")[0] == "fs_client"
            ):
                return True
    return False
