"""The error codes docs/errors.md documents, and the codes generator/ emits.

Emitted codes come from two places: the semantic-check registry (each check declares its codes)
and a scan of the source for codes handed to a problem or an error as a literal.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from generator.values.checks import CHECKS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "errors.md"
SOURCES = ROOT / "generator"

CODE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
HEADING = re.compile(r"^### `([^`]+)`\s*$", re.MULTILINE)
# Callables whose last positional argument is a problem code: Problem(..., code),
# doc.problem(path, message, code), and the loader's and adopt's add/fail helpers.
CODE_SINKS = {"Problem", "problem", "add", "fail", "_TooBig"}
# Sinks whose code is not last: _TooBig(node, message, code, path).
CODE_POSITION = {"_TooBig": 2}


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


def _code_arguments(file: Path) -> list[tuple[ast.expr, int]]:
    """Each expression in file that gives a code, with its line."""
    found: list[tuple[ast.expr, int]] = []
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            callee = _callee(node)
            if callee in CODE_SINKS and node.args:
                position = CODE_POSITION.get(callee, -1)
                if position < len(node.args):
                    found.append((node.args[position], node.lineno))
            found += [(k.value, node.lineno) for k in node.keywords if k.arg == "code"]
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "code" for t in node.targets
        ):
            # `code = "..."`: a class's default code, or a code chosen before the raise.
            found.append((node.value, node.lineno))
    return found


def _where(file: Path, line: int | str) -> str:
    return f"{file.relative_to(SOURCES).as_posix()}:{line}"


def emitted_codes() -> dict[str, list[str]]:
    """code -> where in generator/ it is emitted ("path.py:line", or "path.py:check" for a
    check that declares it)."""
    found: dict[str, list[str]] = {}
    for check in CHECKS:
        file = Path(check.find.__code__.co_filename)
        for code in check.codes:
            found.setdefault(code, []).append(_where(file, check.name))
    for file in sorted(SOURCES.rglob("*.py")):
        for expression, line in _code_arguments(file):
            for value in _strings(expression):
                if CODE.match(value):
                    found.setdefault(value, []).append(_where(file, line))
    return found
