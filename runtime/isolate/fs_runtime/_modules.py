"""Writes uploaded modules into the sandbox's file system and imports them."""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

from fs_api import FSProcessorDriver

__all__ = ["ModuleError", "find_driver_class", "import_modules", "write_modules"]

_RESERVED = {"fs_api", "fs_runtime", "pyodide", "js", "_pyodide", "pyodide_js", "micropip"}


class ModuleError(Exception):
    """An upload that cannot run: bad names, shadowed modules, missing class."""


def _paths(names: list[str]) -> dict[str, str]:
    # A name is a package when another name lives under it.
    packages = {name.rpartition(".")[0] for name in names if "." in name}
    for name in list(packages):
        while "." in name:
            name = name.rpartition(".")[0]
            packages.add(name)
    paths = {name: name.replace(".", "/") + ("/__init__.py" if name in packages else ".py") for name in names}
    for package in packages:
        paths.setdefault(package, package.replace(".", "/") + "/__init__.py")
    return paths


def write_modules(root: str, modules: list[tuple[str, bytes]]) -> None:
    """Writes ``modules`` (dotted name, source) under ``root``, adding empty ``__init__.py`` files."""
    names = [name for name, _ in modules]
    for name in names:
        parts = name.split(".")
        if not all(part.isidentifier() for part in parts):
            raise ModuleError(f"Cannot load module {name!r} as its name is not a dotted Python identifier")
        top = parts[0]
        if top in _RESERVED or top in sys.stdlib_module_names or (top in sys.modules and top not in names):
            raise ModuleError(
                f"Cannot load module {name!r} as it would shadow the module {top!r} of the runtime: rename it"
            )
    sources = dict(modules)
    for name, path in _paths(names).items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as file:
            file.write(sources.get(name, b""))
    if root not in sys.path:
        sys.path.append(root)
    importlib.invalidate_caches()


def import_modules(names: list[str]) -> list[ModuleType]:
    """Imports every module in upload order (dependencies first)."""
    return [importlib.import_module(name) for name in names]


def find_driver_class(class_name: str, modules: list[ModuleType]) -> type[FSProcessorDriver]:
    """Finds ``class_name`` in the last module, then in the others (last first)."""
    for module in reversed(modules):
        found = getattr(module, class_name, None)
        if found is None:
            continue
        if not (isinstance(found, type) and issubclass(found, FSProcessorDriver)):
            raise ModuleError(
                f"Cannot run {class_name!r} from module {module.__name__!r} as it is not a subclass of "
                f"fs_api.FSProcessorDriver: current value is {found!r}"
            )
        return found
    listed = ", ".join(module.__name__ for module in modules)
    raise ModuleError(f"Cannot find class {class_name!r} in the uploaded modules: {listed}")
