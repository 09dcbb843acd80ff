"""Run the registered checks over a values-file snippet and say what they found."""

from __future__ import annotations

from generator.values.checks import run_checks
from generator.values.load import load_bytes


def found(text: str) -> list[str]:
    """'line:column field code' for each problem, in report order."""
    problems = sorted(run_checks(load_bytes(text.encode(), "v")))
    return [f"{p.line}:{p.column} {p.field} {p.code}" for p in problems]
