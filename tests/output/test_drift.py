"""render --check catches hand edits with a diff; render reports quietly, or with progress."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from generator.cli import cli
from tests.conftest import ROOT


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def rendered(values_file: Path) -> Path:
    """values.yaml rendered into output/ (in a temporary working directory)."""
    argocd = values_file.with_name("office.yaml")
    argocd.write_text(
        "cluster: office\nnfs:\n  server: nas\n  path: /k8s\ngitops:\n  engine: argocd\n"
        "  repoURL: https://github.com/example/fleet.git\n"
    )
    assert run("render", str(values_file), str(argocd)).exit_code == 0
    return Path("output")


CHECK = ("render", "--check", "values.yaml", "office.yaml")


def test_up_to_date_output_passes_quietly(rendered: Path) -> None:
    result = run(*CHECK)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        # Hand edits of immutable fields are refused by the guard (tests/output/test_guard.py).
        ("homelab/storageclass.yaml", "allowVolumeExpansion: false", "allowVolumeExpansion: true"),
        ("homelab/helm-values.yaml", "replicaCount: 1", "replicaCount: 3"),
        ("office/application.yaml", "selfHeal: true", "selfHeal: false"),
        ("office/kustomization.yaml", '"-2"', '"5"'),
    ],
)
def test_a_hand_edited_file_is_drift_with_a_diff_naming_the_line(
    rendered: Path, file: str, old: str, new: str
) -> None:
    path = rendered / file
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    line = text[: text.index(old)].count("\n") + 1
    result = run(*CHECK)
    assert result.exit_code == 1
    assert f"--- output/{file}\n+++ output/{file}\n" in result.stdout
    hunk = re.search(r"^@@ -(\d+),\d+ \+(\d+),\d+ @@$", result.stdout, re.MULTILINE)
    assert hunk is not None and int(hunk.group(1)) <= line
    original = text.splitlines()[line - 1]
    edited = original.replace(old, new)
    assert f"\n-{edited}\n+{original}\n" in result.stdout
    assert result.stderr.startswith(f"nfs-gitops: output is stale for output/{file.split('/')[0]}")
    assert path.read_text() == text.replace(old, new), "--check writes nothing"


def test_missing_and_extra_generated_files_are_drift(rendered: Path) -> None:
    (rendered / "office/application.yaml").unlink()
    stale = (rendered / "homelab/storageclass.yaml").read_text()
    (rendered / "homelab/old.yaml").write_text(stale)
    result = run(*CHECK)
    assert result.exit_code == 1
    assert "--- /dev/null\n+++ output/office/application.yaml\n" in result.stdout
    assert "--- output/homelab/old.yaml\n+++ /dev/null\n" in result.stdout


def test_a_file_without_the_header_is_never_drift(rendered: Path) -> None:
    (rendered / "homelab/README.md").write_text("notes\n")
    assert run(*CHECK).exit_code == 0


def test_quiet_on_a_pipe_summary_with_verbose(values_file: Path) -> None:
    first = run("render", str(values_file))
    assert (first.exit_code, first.stdout, first.stderr) == (0, "", "")
    Path("output/homelab/storageclass.yaml").unlink()
    result = run("render", str(values_file), "-v")
    assert result.stderr.splitlines() == [
        "wrote output/homelab/storageclass.yaml",
        "1 cluster(s): 1 file(s) written, 9 unchanged, 0 removed",
    ]
    checked = run("render", "--check", str(values_file), "--verbose")
    assert checked.stderr == "1 cluster(s) up to date in output\n"


def test_progress_bar_and_summary_on_a_terminal(values_file: Path) -> None:
    # stderr is a pseudo-terminal, as when a person runs make render.
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "generator", "render", str(values_file)],
        stdout=subprocess.PIPE,
        stderr=terminal,
        cwd=values_file.parent,
    ) as process:
        os.close(terminal)
        stdout = process.stdout.read() if process.stdout else b""
        seen = b""
        with contextlib.suppress(OSError):  # EIO once the child closed the terminal
            while chunk := os.read(controller, 4096):
                seen += chunk
    os.close(controller)
    assert process.returncode == 0 and stdout == b""
    text = seen.decode()
    assert "Rendering" in text and "100%" in text
    assert text.rstrip().endswith("1 cluster(s): 10 file(s) written, 0 unchanged, 0 removed")


# -- pre-commit hooks -------------------------------------------------------------------------

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def test_hooks_cover_validate_and_check() -> None:
    assert [hook["id"] for hook in HOOKS] == ["nfs-gitops-validate", "nfs-gitops-check"]
    for hook in HOOKS:
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert re.search(hook["files"], "values/homelab.yaml")
        assert not re.search(hook["files"], "README.md")


@pytest.mark.parametrize("hook", HOOKS, ids=[hook["id"] for hook in HOOKS])
def test_each_hook_runs_and_passes_on_this_repository(hook: dict[str, Any], at_root: Path) -> None:
    entry = shlex.split(str(hook["entry"]))
    assert entry[0] == "nfs-gitops"
    args = [*entry[1:], *hook["args"]]
    result = run(*args)
    assert result.exit_code == 0, result.output


def test_the_check_hook_fails_on_drift(values_file: Path) -> None:
    [check] = [hook for hook in HOOKS if hook["id"] == "nfs-gitops-check"]
    Path("values").mkdir()
    values_file.rename("values/homelab.yaml")
    args = [*shlex.split(check["entry"])[1:], *check["args"]]
    assert run(*args).exit_code == 1  # nothing rendered yet
    assert run("render", "values").exit_code == 0
    assert run(*args).exit_code == 0
