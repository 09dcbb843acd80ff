"""Prune removes only trees whose cluster is gone (output/prune.py), and always says so."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli
from generator.output.layout import repository_root, values_file_named

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")}


def make_render_args() -> list[str]:
    """The nfs-gitops arguments `make render` runs in this repository (make -n)."""
    lines = subprocess.run(
        ["make", "-n", "render"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    [line] = [line for line in lines if " render --prune " in line]
    words = shlex.split(line)
    assert words[0].endswith("nfs-gitops") and words[1] == "render"
    return words[1:]


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of this repository's values/ and output/, as the working directory."""
    shutil.copytree(ROOT / "values", tmp_path / "values")
    shutil.copytree(ROOT / "output", tmp_path / "output")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_prune_with_one_values_file_leaves_the_other_clusters_alone(fleet: Path) -> None:
    others = {name: snapshot(fleet / "output" / name) for name in ("lab", "office")}
    result = run("render", "--prune", "values/homelab.yaml", "--output-dir", "output", "-v")
    assert result.exit_code == 0, result.output
    assert result.stderr == "1 cluster(s): 0 file(s) written, 10 unchanged, 0 removed\n"
    assert {name: snapshot(fleet / "output" / name) for name in ("lab", "office")} == others
    check = run("render", "--check", "--prune", "values/homelab.yaml", "--output-dir", "output")
    assert check.exit_code == 0, check.output


def test_make_render_after_deleting_a_values_file_removes_its_tree_and_says_so(
    fleet: Path,
) -> None:
    args = make_render_args()
    assert args == ["render", "--prune", "values", "--output-dir", "output"]
    lab_files = sorted(p.name for p in (fleet / "output" / "lab").iterdir())
    (fleet / "values" / "lab.yaml").unlink()
    left = sorted(p.stem for p in (fleet / "values").glob("[!_]*.yaml"))
    unchanged = sum(len(list((fleet / "output" / cluster).iterdir())) for cluster in left)
    assert len(left) >= 2 and unchanged >= 19
    # What make render then runs, without a terminal.
    result = subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=fleet,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert not (fleet / "output" / "lab").exists()
    assert result.stderr.splitlines() == [
        *(f"removed output/lab/{name}" for name in lab_files),
        f"pruned output/lab: values/lab.yaml no longer exists; {len(lab_files)} generated "
        "file(s) removed",
        f"{len(left)} cluster(s): 0 file(s) written, {unchanged} unchanged, "
        f"{len(lab_files)} removed",
    ]
    assert (fleet / "output" / "homelab").is_dir() and (fleet / "output" / "office").is_dir()
    assert (fleet / "output" / "edge").is_dir()


def test_a_cluster_renamed_in_its_values_file_is_an_orphan(fleet: Path) -> None:
    lab = fleet / "values" / "lab.yaml"
    lab.write_text(lab.read_text().replace("cluster: lab", "cluster: lab2"))
    # Not even named on the command line: the file its header names renders lab2 now.
    result = run("render", "--check", "--prune", "values/homelab.yaml", "--output-dir", "output")
    assert result.exit_code == 1
    assert "+++ /dev/null\n" in result.stdout
    assert result.stderr.startswith("nfs-gitops: output is stale for output/lab; run ")
    result = run("render", "--prune", "values", "--output-dir", "output")
    assert result.exit_code == 0, result.output
    assert "pruned output/lab: values/lab.yaml now renders cluster lab2;" in result.stderr
    assert not (fleet / "output" / "lab").exists() and (fleet / "output" / "lab2").is_dir()


def test_a_tree_is_kept_while_its_values_file_cannot_be_read_as_values(fleet: Path) -> None:
    (fleet / "values" / "lab.yaml").write_text("cluster: [not, a, name\n")
    before = snapshot(fleet / "output" / "lab")
    result = run("render", "--prune", "values/homelab.yaml", "--output-dir", "output")
    assert result.exit_code == 0, result.output
    assert snapshot(fleet / "output" / "lab") == before


def test_a_folder_without_generated_files_is_never_an_orphan(fleet: Path) -> None:
    mine = fleet / "output" / "mine"
    mine.mkdir()
    (mine / "app.yaml").write_text("kind: Mine\n")
    assert run("render", "--prune", "values", "--output-dir", "output").exit_code == 0
    assert (mine / "app.yaml").read_text() == "kind: Mine\n"


def test_header_names_resolve_against_the_output_folders_parent_not_the_cwd(
    fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    others = {name: snapshot(fleet / "output" / name) for name in ("lab", "office")}
    monkeypatch.chdir(fleet / "values")
    result = run("render", "--prune", "homelab.yaml", "--output-dir", str(fleet / "output"))
    assert result.exit_code == 0, result.output
    assert {name: snapshot(fleet / "output" / name) for name in ("lab", "office")} == others
    assert repository_root(Path("../output")) == fleet
    assert values_file_named("values/lab.yaml", fleet) == fleet / "values" / "lab.yaml"
    assert values_file_named("/abs/lab.yaml", fleet) == Path("/abs/lab.yaml")


def test_an_orphan_keeps_a_class_a_rename_replaced(fleet: Path) -> None:
    lab = fleet / "values" / "lab.yaml"
    lab.write_text(lab.read_text().replace("storageClass:\n", "storageClass:\n  name: nfs-lab\n"))
    assert run("render", "values", "--output-dir", "output").exit_code == 0
    kept = fleet / "output" / "lab" / "storageclass-retained-nfs-client.yaml"
    assert kept.is_file()
    lab.unlink()
    result = run("render", "--prune", "values", "--output-dir", "output")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (fleet / "output" / "lab").iterdir()) == [kept.name]
    assert f"kept {kept.relative_to(fleet)}: a class a rename replaced is removed only by hand" in (
        result.stderr
    )
    assert "generated file(s) removed (folder kept: other files remain)\n" in result.stderr
