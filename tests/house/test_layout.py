"""The house (DESIGN.md, "Architecture"): stages import one way, modules stay small, and the
engine and driver lists are the schema's enums with one module each."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generator.drivers import registry
from generator.engines import engine
from generator.schema import drivers, engines

PACKAGE = Path(__file__).resolve().parents[2] / "generator"
# Lower stages never import higher ones; shared modules (errors, fsinfo, treefile) sit below all.
RANK = {
    "schema": 1,
    "values": 2,
    "drivers": 3,
    "engines": 3,
    "model": 4,
    "render": 5,
    "output": 6,
    "lint": 6,
    "report": 7,
    "doctor": 8,
    "scaffold": 8,
    "cli": 9,
}
MAX_LINES = 300


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def stage(module: str) -> int:
    """The rank of generator.<stage>...; 0 for the shared top-level modules."""
    if module == "generator.__main__":
        return max(RANK.values())  # `python -m generator`: the command line itself
    parts = module.split(".")
    return RANK.get(parts[1], 0) if len(parts) > 1 else 0


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "generator"}


def dotted(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_imports_run_one_way(path: Path) -> None:
    own = stage(dotted(path))
    upward = sorted(m for m in imports(path) if stage(m) > own)
    assert upward == [], f"{dotted(path)} (stage {own}) imports a later stage"


def test_the_rank_table_knows_every_subpackage() -> None:
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert packages <= RANK.keys()


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_is_over_300_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name}: {lines} lines"


def test_every_schema_engine_is_one_module_with_its_templates() -> None:
    for name in engines():
        files = [*engine(name).resources, *engine(name).support, *engine(name).entrypoints]
        assert engine(name).name == name
        assert all(f.template.startswith(f"engines/{name}/") for f in files)


def test_the_driver_registry_is_the_schema_enum() -> None:
    assert sorted(registry()) == sorted(drivers())
    for name, driver in registry().items():
        assert all(f.template.startswith(f"drivers/{name}/") for f in driver.resources)
