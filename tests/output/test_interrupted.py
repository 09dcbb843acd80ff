"""A render that dies part-way leaves every file old or new; --check calls it drift; the next
render converges. Temp files of a killed render are cleaned up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import generator.output.changes
import generator.output.write
from generator.cli import cli
from generator.errors import OutputError
from tests.conftest import MINIMAL, ROOT

# Changes most files of the tree: names, namespaces, mount options, the StorageClass.
# Changes most files, but nothing the day-2 guard refuses (no immutable StorageClass field, no
# export move), so these tests exercise the writing alone.
CHANGED = MINIMAL + (
    "namespace: storage\n"
    "storageClass: {default: false}\n"
    "nodeInstaller: {namespace: installer}\n"
    "chart: {version: 4.0.17}\n"
    "provisioner: {replicas: 2, leaderElection: true}\n"
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def snapshot(tree: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(tree.iterdir())}


@pytest.fixture
def trees(values_file: Path) -> tuple[dict[str, str], dict[str, str]]:
    """What the old values and the changed values render to, each in a folder of its own."""
    found = []
    for name, text in (("old", MINIMAL), ("new", CHANGED)):
        values_file.write_text(text)
        assert run("render", str(values_file), "--output-dir", name)[0] == 0
        found.append(snapshot(values_file.parent / name / "homelab"))
    values_file.write_text(MINIMAL)
    old, new = found
    assert sum(old.get(name) != text for name, text in new.items()) >= 5
    return old, new


@pytest.mark.parametrize("fail_at", [1, 2, 4, 7])
def test_render_dying_part_way_converges(
    values_file: Path,
    trees: tuple[dict[str, str], dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    fail_at: int,
) -> None:
    old, new = trees
    out = values_file.parent / "output"
    tree = out / "homelab"
    assert run("render", str(values_file), "--output-dir", str(out))[0] == 0
    values_file.write_text(CHANGED)

    real = generator.output.write.write_atomic
    calls = 0

    def dies_at_call_n(target: Path, data: bytes) -> None:
        nonlocal calls
        calls += 1
        if calls == fail_at:
            raise OutputError(f"cannot write {target}: Input/output error", code="output-write")
        real(target, data)

    with monkeypatch.context() as patch:
        patch.setattr(generator.output.write, "write_atomic", dies_at_call_n)
        code, _, err = run("render", str(values_file), "--output-dir", str(out))
    assert code == 1 and err.endswith("[output-write]\n"), err

    half = snapshot(tree)
    assert set(half) == set(old) | (set(half) & set(new)), "only rendered files are in the tree"
    for name, text in half.items():
        assert text in (old.get(name), new.get(name)), f"{name} is neither old nor new"
    assert sum(half.get(name) == text for name, text in new.items() if old.get(name) != text) == (
        fail_at - 1
    ), "the files before the failure are new"

    code, stdout, _ = run(
        "render", "--check", str(values_file), "--output-dir", str(out), "--format", "json"
    )
    assert code == 1
    stale = {entry["file"] for entry in json.loads(stdout)}
    assert stale == {str(tree / name) for name in new if half.get(name) != new[name]} | {
        str(tree / name) for name in half if name not in new
    }

    assert run("render", str(values_file), "--output-dir", str(out))[0] == 0
    assert snapshot(tree) == new
    assert run("render", "--check", str(values_file), "--output-dir", str(out))[0] == 0


def test_failed_rename_keeps_the_old_file_and_no_temp(
    values_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = values_file.parent / "output"
    tree = out / "homelab"
    assert run("render", str(values_file), "--output-dir", str(out))[0] == 0
    before = snapshot(tree)
    values_file.write_text(CHANGED)

    def replace(*args: Any) -> None:
        raise OSError(30, "Read-only file system")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", replace)
        code, _, err = run("render", str(values_file), "--output-dir", str(out))
    assert code == 1
    assert err.endswith(": Read-only file system [output-write]\n"), err
    assert snapshot(tree) == before


TEMP_NAMES = [
    ".storageclass.yaml.nfs-gitops-k2j4_x9a.tmp",
    ".helmrelease.yaml.nfs-gitops-abcdefgh.tmp",
]
# Hand-made files a render never touches: a temp-like name without the marker, and the marker
# on a file that does not hold the start of a generated file.
NOT_OURS = {
    ".notes.tmp": "not ours: no random part\n",
    ".helm-values.20240101.tmp": "nfs:\n  server: nas\n",
    ".helm-values.yaml.nfs-gitops-abcdefgh.tmp": "my notes\n",
}


@pytest.mark.parametrize("content", ["", "# Code gen", "# Code generated by nfs-gitops ..."])
def test_leftover_temp_files_are_drift_and_removed(values_file: Path, content: str) -> None:
    out = values_file.parent / "output"
    tree = out / "homelab"
    assert run("render", str(values_file), "--output-dir", str(out))[0] == 0
    for name in TEMP_NAMES:
        (tree / name).write_text(content)
    for name, text in NOT_OURS.items():
        (tree / name).write_text(text)
    code, stdout, _ = run(
        "render", "--check", str(values_file), "--output-dir", str(out), "--format", "json"
    )
    assert code == 1
    assert json.loads(stdout) == [
        {
            "file": str(tree / name),
            "line": None,
            "column": None,
            "field": None,
            "message": "is a temp file left by an interrupted render",
            "code": "drift",
        }
        for name in sorted(TEMP_NAMES)
    ]
    assert run("render", str(values_file), "--output-dir", str(out))[0] == 0
    assert not [name for name in TEMP_NAMES if (tree / name).exists()]
    assert {name: (tree / name).read_text() for name in NOT_OURS} == NOT_OURS
    assert run("render", "--check", str(values_file), "--output-dir", str(out))[0] == 0


KILLED_RENDER = """
import os, signal, sys
import generator.output.write

real = generator.output.write.os.replace
calls = 0
out = sys.argv[2]

def replace(src, dst):
    global calls
    calls += str(dst).startswith(out)  # not Python's own .pyc writes
    if calls == 3:  # the temp file is complete; die before renaming it
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst)

generator.output.write.os.replace = replace
from generator.cli import main
sys.argv = ["nfs-gitops", "render", sys.argv[1], "--output-dir", out]
main()
"""


def test_render_killed_mid_write_converges(
    values_file: Path, trees: tuple[dict[str, str], dict[str, str]]
) -> None:
    old, new = trees
    out = values_file.parent / "output"
    tree = out / "homelab"
    assert run("render", str(values_file), "--output-dir", str(out))[0] == 0
    values_file.write_text(CHANGED)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RENDER, str(values_file), str(out)],
        cwd=values_file.parent,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert killed.returncode == -9
    half = snapshot(tree)
    temps = [name for name in half if generator.output.changes.TEMP_FILE.match(name)]
    assert len(temps) == 1, half.keys()
    for name, text in half.items():
        if name not in temps:
            assert text in (old.get(name), new.get(name)), f"{name} is neither old nor new"
    code, _, err = run("render", "--check", str(values_file), "--output-dir", str(out))
    assert code == 1 and err.endswith("[drift]\n")
    assert run("render", str(values_file), "--output-dir", str(out), "--lock-timeout", "5")[0] == 0
    assert snapshot(tree) == new
