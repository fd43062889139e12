"""Finding the file of a module by name, without importing it (used by ``fs_client.packaging``)."""

from __future__ import annotations

import sys
import sysconfig
from functools import cache
from pathlib import Path

__all__ = ["SKIPPED_PACKAGES", "find_module_file", "is_skipped_name", "is_system_path"]

SKIPPED_PACKAGES = frozenset({"fs_api", "fs_client"})
"""Top-level packages never uploaded: the sandbox provides fs_api; fs_client runs on the client."""


def find_module_file(name: str, roots: list[Path]) -> tuple[Path, bool] | None:
    """Returns ``(file, is_package)`` for a dotted module name, or None when there is no ``.py`` for it.

    An already imported module answers from its ``__file__``; otherwise ``roots``
    are searched the way the import system searches ``sys.path``.
    """
    return _find_loaded(name) or _find_on_disk(name, roots)


@cache
def _system_dirs() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    keys = ("stdlib", "platstdlib", "purelib", "platlib")
    dirs = [Path(paths[key]).resolve() for key in keys if key in paths]
    dirs.append(Path(sys.base_prefix, "lib").resolve())
    return tuple(dirs)


def is_system_path(path: Path) -> bool:
    """True for files of the interpreter, site-packages or dist-packages (never uploaded)."""
    if "site-packages" in path.parts or "dist-packages" in path.parts:
        return True
    return any(path.is_relative_to(base) for base in _system_dirs())


def is_skipped_name(name: str) -> bool:
    """True for standard, builtin and fs_api/fs_client module names (never uploaded)."""
    top = name.split(".")[0]
    return top in sys.stdlib_module_names or top in sys.builtin_module_names or top in SKIPPED_PACKAGES


def _find_loaded(name: str) -> tuple[Path, bool] | None:
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    if module is None or not file or not str(file).endswith(".py"):
        return None
    return Path(file).resolve(), hasattr(module, "__path__")


def _find_on_disk(name: str, roots: list[Path]) -> tuple[Path, bool] | None:
    """Resolves a dotted name against ``roots`` the way the import system would, without importing."""
    dirs = roots
    parts = name.split(".")
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        namespace_dirs: list[Path] = []
        hit: tuple[Path, bool] | None = None
        for directory in dirs:
            init = directory / part / "__init__.py"
            if init.is_file():
                hit = (init.resolve(), True)
                break
            if (directory / f"{part}.py").is_file():
                hit = ((directory / f"{part}.py").resolve(), False)
                break
            if (directory / part).is_dir():
                namespace_dirs.append(directory / part)
        if hit is not None:
            if last:
                return hit
            if not hit[1]:
                return None  # A plain module has no submodules.
            dirs = [hit[0].parent]
        elif namespace_dirs and not last:
            dirs = namespace_dirs
        else:
            return None
    return None
