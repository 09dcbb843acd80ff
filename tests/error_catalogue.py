"""The error codes docs/errors.md documents, and the codes generator/ emits (read from source)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "errors.md"
SOURCES = ROOT / "generator"

CODE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
HEADING = re.compile(r"^### `([^`]+)`\s*$", re.MULTILINE)
# Callables whose last positional argument is a problem code: Problem(..., code),
# doc.problem(path, message, code), and load.py's helpers.
CODE_SINKS = {"Problem", "problem", "add", "fail", "_TooBig"}


def documented_sections() -> dict[str, str]:
    """code -> the text of its section in docs/errors.md."""
    text = DOCS.read_text(encoding="utf-8")
    parts = HEADING.split(text)
    return {parts[i]: parts[i + 1].split("\n## ")[0].strip() for i in range(1, len(parts), 2)}


def documented_codes() -> set[str]:
    return set(documented_sections())


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _strings(node: ast.AST | None) -> list[str]:
    """The string a code expression can be: a constant, or either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def emitted_codes() -> dict[str, list[str]]:
    """code -> where in generator/ it is given to a problem or an error ("file.py:line")."""
    found: dict[str, list[str]] = {}

    def note(values: list[str], file: Path, line: int) -> None:
        for value in values:
            if CODE.match(value):
                found.setdefault(value, []).append(f"{file.relative_to(SOURCES).as_posix()}:{line}")

    for file in sorted(SOURCES.rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                if _callee(node) in CODE_SINKS and node.args:
                    note(_strings(node.args[-1]), file, node.lineno)
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        note(_strings(keyword.value), file, node.lineno)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "code" for t in node.targets
            ):
                # `code = "..."`: a class's default code, or a code chosen before the raise.
                note(_strings(node.value), file, node.lineno)
    return found


def string_literals() -> set[str]:
    """Every string constant in generator/, to find documented codes nothing emits any more."""
    return {
        node.value
        for file in SOURCES.rglob("*.py")
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
