"""The sandbox view of an operator's own module (see ``fs_client.packaging``).

A script often defines the operator class and, at top level, builds the task
config and calls ``FsClient``. The server imports the uploaded module, so the
client code must not be uploaded with it. ``sandbox_view`` keeps what the
sandbox needs and blanks out the rest, keeping line numbers (tracebacks from
the server point at the right lines of the user's file).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["SandboxView", "build_sandbox_view", "sandbox_view"]

CLIENT_PACKAGE = "fs_client"
_REMOVED_MARK = "# (removed by fs_client: runs on the client only)"
_OWN_SCOPE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass
class SandboxView:
    """The result of ``build_sandbox_view``: the new source and what was removed."""

    source: str
    removed: list[tuple[int, str]] = field(default_factory=list)
    """(line, reason) of each removed top-level statement."""
    top_level_names: set[str] = field(default_factory=set)
    """Names bound by the statements that were kept."""


def sandbox_view(source: str, filename: str = "<module>") -> str:
    """Returns ``source`` without its client-only top-level statements.

    Kept: imports (except ``fs_client`` ones), ``def``/``class`` statements
    and other statements that do not use client names. Removed (replaced by
    blank lines, so line numbers stay the same):

    - imports of ``fs_client`` (and the names they bind become *client names*);
    - ``if __name__ == "__main__":`` blocks (with their ``else``);
    - bare expression statements such as calls (the module docstring stays);
    - any other statement (assignment, ``with``, ``for``, ``while``, ``try``,
      ``if``...) that reads a client name; the names it binds become client
      names too. A ``def``/``class`` is removed only when what runs at
      definition time (decorators, defaults, bases, class body) reads one.

    Raises SyntaxError when ``source`` is not valid Python.
    """
    return build_sandbox_view(source, filename).source


def build_sandbox_view(source: str, filename: str = "<module>") -> SandboxView:
    """Like ``sandbox_view`` but also reports what was removed and which names remain bound."""
    tree = ast.parse(source, filename)
    lazy_annotations = _has_future_annotations(tree)
    tainted: set[str] = set()
    kept: list[ast.stmt] = []
    removed: list[tuple[ast.stmt, str]] = []
    for index, stmt in enumerate(tree.body):
        reason = None if index == 0 and _is_docstring(stmt) else _removal_reason(stmt, tainted, lazy_annotations)
        bound = _bound_names(stmt)
        if reason is None:
            kept.append(stmt)
            tainted -= bound
        else:
            removed.append((stmt, reason))
            tainted |= bound
    names: set[str] = set()
    for stmt in kept:
        names |= _bound_names(stmt)
    text = _blank_out(source, kept, [stmt for stmt, _ in removed])
    compile(text, filename, "exec")  # The view must stay valid Python.
    return SandboxView(text, [(stmt.lineno, reason) for stmt, reason in removed], names)


def _removal_reason(stmt: ast.stmt, tainted: set[str], lazy_annotations: bool) -> str | None:
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return "fs_client import" if _is_client_import(stmt) else None
    if _is_main_guard(stmt):
        return 'if __name__ == "__main__" block'
    if isinstance(stmt, ast.Expr):
        return "bare expression statement"
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        used = _definition_time_names(stmt, lazy_annotations)
    else:
        if _contains_client_import(stmt):
            return "contains an fs_client import"
        used = _read_names(stmt)
    hit = sorted(used & tainted)
    return f"uses client name {hit[0]!r}" if hit else None


def _is_client_import(stmt: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(stmt, ast.ImportFrom):
        return stmt.level == 0 and _is_client_module(stmt.module or "")
    return any(_is_client_module(alias.name) for alias in stmt.names)


def _is_client_module(name: str) -> bool:
    return name.split(".")[0] == CLIENT_PACKAGE


def _contains_client_import(stmt: ast.stmt) -> bool:
    return any(isinstance(node, ast.Import | ast.ImportFrom) and _is_client_import(node) for node in _walk_scope(stmt))


def _is_main_guard(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    test = stmt.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides)
    has_main = any(isinstance(side, ast.Constant) and side.value == "__main__" for side in sides)
    return has_name and has_main


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _has_future_annotations(tree: ast.Module) -> bool:
    return any(
        isinstance(stmt, ast.ImportFrom)
        and stmt.module == "__future__"
        and any(alias.name == "annotations" for alias in stmt.names)
        for stmt in tree.body
    )


def _walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    """Yields ``node`` and its descendants that run in the same scope (not nested def/class/lambda bodies)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and isinstance(current, _OWN_SCOPE + _COMPREHENSIONS):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(current))))


def _read_names(node: ast.AST) -> set[str]:
    # Every name read anywhere inside, nested scopes included: a lambda or nested
    # def that reads a client name is removed with its statement (conservative).
    names: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load | ast.Del):
            names.add(child.id)
        elif isinstance(child, ast.AugAssign) and isinstance(child.target, ast.Name):
            names.add(child.target.id)
    return names


def _definition_time_names(stmt: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, lazy: bool) -> set[str]:
    """Names read when the def/class statement itself runs (not when the function is called)."""
    names: set[str] = set()
    for decorator in stmt.decorator_list:
        names |= _read_names(decorator)
    if isinstance(stmt, ast.ClassDef):
        for base in [*stmt.bases, *(keyword.value for keyword in stmt.keywords)]:
            names |= _read_names(base)
        for inner in stmt.body:
            if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names |= _definition_time_names(inner, lazy)
            else:
                names |= _read_names(inner)
        return names
    args = stmt.args
    for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
        names |= _read_names(default)
    if not lazy:
        every_arg = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        for annotation in [arg.annotation for arg in every_arg if arg is not None] + [stmt.returns]:
            if annotation is not None:
                names |= _read_names(annotation)
    return names


def _bound_names(stmt: ast.stmt) -> set[str]:
    """Module-level names a top-level statement may bind."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {stmt.name}
    names: set[str] = set()
    for node in _walk_scope(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(_from_import_names(node))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names


def _from_import_names(node: ast.ImportFrom) -> set[str]:
    names = {alias.asname or alias.name for alias in node.names if alias.name != "*"}
    if any(alias.name == "*" for alias in node.names) and node.level == 0 and _is_client_module(node.module or ""):
        # A star import of fs_client binds that module's public names.
        module = importlib.import_module(node.module or CLIENT_PACKAGE)
        names.update(getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")]))
    return names


def _span(stmt: ast.stmt) -> tuple[int, int]:
    start = stmt.lineno
    for decorator in getattr(stmt, "decorator_list", []):
        start = min(start, decorator.lineno)
    return start, stmt.end_lineno or stmt.lineno


def _blank_out(source: str, kept: list[ast.stmt], removed: list[ast.stmt]) -> str:
    if not removed:
        return source
    kept_lines = {line for stmt in kept for line in range(_span(stmt)[0], _span(stmt)[1] + 1)}
    removed_spans = [_span(stmt) for stmt in removed]
    if any(line in kept_lines for start, end in removed_spans for line in range(start, end + 1)):
        # Statements share a line (``a = 1; client.x()``): rebuild from the AST instead.
        return ast.unparse(ast.Module(body=kept, type_ignores=[])) + "\n"
    lines = source.splitlines(keepends=True)
    for start, end in removed_spans:
        for number in range(start, end + 1):
            ending = "\n" if lines[number - 1].endswith("\n") else ""
            lines[number - 1] = (_REMOVED_MARK if number == start else "") + ending
    return "".join(lines)
