"""Rendered trees equal the committed golden trees, file by file (refresh: make golden)."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from generator.output.lock import LOCK_NAME
from generator.schema import engines
from tests.golden_refresh import cases, render


def files_of(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != LOCK_NAME
    }


def compare_trees(expected: Path, actual: Path) -> list[str]:
    """MISSING / EXTRA / DIFFER lines with a unified diff for each differing file (the lock
    file of renders is not part of a tree; Git ignores it)."""
    report = []
    want, have = files_of(expected), files_of(actual)
    report += [f"MISSING {name}" for name in sorted(want - have)]
    report += [f"EXTRA {name}" for name in sorted(have - want)]
    for name in sorted(want & have):
        old = (expected / name).read_text().splitlines(keepends=True)
        new = (actual / name).read_text().splitlines(keepends=True)
        if old != new:
            diff = difflib.unified_diff(old, new, f"golden/{name}", f"rendered/{name}")
            report.append(f"DIFFER {name}\n" + "".join(diff))
    return report


def test_golden_cases_cover_every_engine() -> None:
    names = {case.name for case in cases()}
    assert names >= {"flux-minimal", "flux-full", "flux-shared-namespace"}
    assert {name.split("-")[0] for name in names} == set(engines())


@pytest.mark.parametrize("case", cases(), ids=lambda case: case.name)
def test_golden_tree(case: Path, tmp_path: Path) -> None:
    # The case's layout (values.yaml beside expected/), so headers name the values file alike;
    # rendered by the command line itself (`render --prune`), as users and make do.
    shutil.copyfile(case / "values.yaml", tmp_path / "values.yaml")
    render(tmp_path / "values.yaml", tmp_path / "expected")
    report = compare_trees(case / "expected", tmp_path / "expected")
    assert not report, "rendered tree differs from golden (make golden to refresh):\n" + "\n".join(
        report
    )


def test_compare_trees_reports_each_kind_of_difference(tmp_path: Path) -> None:
    expected, actual = tmp_path / "e", tmp_path / "a"
    for root in (expected, actual):
        root.mkdir()
        (root / "same.yaml").write_text("a: 1\n")
    (expected / "gone.yaml").write_text("x\n")
    (actual / "new.yaml").write_text("y\n")
    (expected / "changed.yaml").write_text("a: 1\nb: 2\n")
    (actual / "changed.yaml").write_text("a: 1\nb: 3\n")
    report = compare_trees(expected, actual)
    assert report[:2] == ["MISSING gone.yaml", "EXTRA new.yaml"]
    assert report[2].startswith("DIFFER changed.yaml\n")
    assert "-b: 2\n+b: 3\n" in report[2]
