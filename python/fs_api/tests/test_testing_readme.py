"""The examples in README.md's "Testing operators locally" and "Typed state" sections run and pass."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
SECTIONS = ("Testing operators locally", "Typed state")


def _section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    assert match is not None, f"README.md has no '## {title}' section"
    return match.group(1)


def _python_blocks(section: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", section, re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("title", SECTIONS)
def test_readme_example_tests_pass(title: str) -> None:
    blocks = _python_blocks(_section(README.read_text(encoding="utf-8"), title))
    assert blocks, f"README.md section '{title}' has no python example"
    for block in blocks:
        namespace: dict[str, Any] = {"__name__": "readme_example"}
        exec(compile(block, f"README.md ({title})", "exec"), namespace)
        tests = [value for name, value in namespace.items() if name.startswith("test_") and callable(value)]
        assert tests, f"README.md section '{title}' example defines no test_ function"
        for test in tests:
            test()
