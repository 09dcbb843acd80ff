from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.errors import OutputError
from generator.output.changes import plan_changes, tree_path, unified_diff
from generator.output.header import GENERATED_MARK
from generator.output.write import apply_changes

HEAD = f"{GENERATED_MARK} from v.yaml; DO NOT EDIT.\n"


def files(**content: str) -> dict[str, str]:
    return {f"{name}.yaml": HEAD + text for name, text in content.items()}


def test_writes_then_leaves_unchanged_files_untouched(tmp_path: Path) -> None:
    tree = tree_path(tmp_path, "homelab")
    apply_changes(plan_changes(tree, files(a="a: 1\n", b="b: 1\n")))
    assert sorted(p.name for p in tree.iterdir()) == ["a.yaml", "b.yaml"]
    os.utime(tree / "a.yaml", (1, 1))
    changes = plan_changes(tree, files(a="a: 1\n", b="b: 2\n"))
    assert changes.unchanged == ["a.yaml"] and list(changes.write) == ["b.yaml"]
    apply_changes(changes)
    assert (tree / "a.yaml").stat().st_mtime == 1, "an unchanged file must not be rewritten"
    assert (tree / "b.yaml").read_text() == HEAD + "b: 2\n"
    assert oct((tree / "b.yaml").stat().st_mode & 0o777) == "0o644"
    assert not [p for p in tree.iterdir() if p.name.endswith(".tmp")]


def test_removes_only_stale_generated_files(tmp_path: Path) -> None:
    tree = tree_path(tmp_path, "homelab")
    apply_changes(plan_changes(tree, files(a="a: 1\n", old="x: 1\n")))
    (tree / "notes.md").write_text("mine\n")
    (tree / "custom.yaml").write_text("# hand-written\nkind: Thing\n")
    (tree / "sub").mkdir()
    (tree / "sub" / "z.yaml").write_text(HEAD)
    changes = plan_changes(tree, files(a="a: 1\n"))
    assert list(changes.remove) == ["old.yaml"]
    apply_changes(changes)
    assert sorted(p.name for p in tree.iterdir()) == ["a.yaml", "custom.yaml", "notes.md", "sub"]
    assert (tree / "sub" / "z.yaml").exists()


def test_diff_names_added_changed_and_removed_files(tmp_path: Path) -> None:
    tree = tree_path(tmp_path, "homelab")
    apply_changes(plan_changes(tree, files(a="a: 1\n", gone="g: 1\n")))
    diff = unified_diff(plan_changes(tree, files(a="a: 2\n", new="n: 1\n")))
    assert f"--- {tree}/a.yaml\n+++ {tree}/a.yaml\n" in diff
    assert "-a: 1\n+a: 2\n" in diff
    assert f"--- /dev/null\n+++ {tree}/new.yaml\n" in diff
    assert f"--- {tree}/gone.yaml\n+++ /dev/null\n" in diff


def test_refuses_symlinked_tree_and_files(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "homelab").symlink_to(outside)
    with pytest.raises(OutputError, match="symbolic link"):
        tree_path(out, "homelab")
    tree = tree_path(out, "edge")
    tree.mkdir()
    (tree / "a.yaml").symlink_to(outside / "target.yaml")
    with pytest.raises(OutputError, match="not a regular file"):
        plan_changes(tree, files(a="a: 1\n"))
    assert not (outside / "target.yaml").exists()


@pytest.mark.parametrize("cluster", ["", "..", ".", "a/b"])
def test_cluster_names_cannot_escape(tmp_path: Path, cluster: str) -> None:
    with pytest.raises(OutputError):
        tree_path(tmp_path, cluster)
