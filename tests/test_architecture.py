"""The code's shape, checked: what import-linter cannot see."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parent.parent / "src" / "reader"


def _imports_of_private_names() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or node.level):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(SRC)}:{node.lineno}: "
                                     f"from {'.' * node.level}{node.module or ''} import "
                                     f"{alias.name}")
    return found


def test_no_private_name_is_imported_from_another_module():
    """A name with a leading underscore belongs to its module: another module that needs
    it gets a public name (or the code moves)."""
    assert _imports_of_private_names() == []
