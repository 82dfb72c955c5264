"""docs/rules.md names real modules, functions and tests (a rule's name leads to its code)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = (ROOT / "docs" / "rules.md").read_text()


def _names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            found.add(node.name)
    return found


def test_every_named_test_exists():
    checked = 0
    for line in TABLE.splitlines():
        if not line.startswith("|"):
            continue
        current: Path | None = None
        for m in re.finditer(r"`((?:tests/)?[\w/]*\.py)?(::\w+)?", line):
            path, name = m.group(1), m.group(2)
            if path:
                candidate = ROOT / path if path.startswith("tests/") else None
                if candidate is None and current is not None:
                    candidate = current.parent / path
                if candidate is not None and path.startswith(("tests/", "test_")):
                    assert candidate.exists(), path
                    current = candidate
            elif name and current is None:
                continue
            if name and current is not None and current.name.startswith("test_"):
                assert name[2:] in _names(current), f"{current.name}{name}"
                checked += 1
    assert checked > 30


def test_every_named_module_and_function_exists():
    checked = 0
    for m in re.finditer(r"`((?:clientmap/)?(\w+)/(\w+)\.py):(\w+)", TABLE):
        rel = m.group(1)
        path = ROOT / (rel if rel.startswith("clientmap/") else f"clientmap/{rel}")
        assert path.exists(), rel
        head = m.group(4).split(".")[0]
        assert head in _names(path) or head in path.read_text(), f"{rel}:{head}"
        checked += 1
    assert checked > 10
