"""A fleet: shared defaults with located errors, folders of values, and removal of gone clusters."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from generator.cli import cli
from generator.output.header import GENERATED_MARK
from generator.values.fleet import load_valid
from generator.values.load import load_bytes
from generator.values.merge import merge


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def cluster(name: str, extra: str = "") -> str:
    return f"cluster: {name}\nnfs:\n  server: 192.168.169.3\n  path: /data/{name}\n" + extra


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """values/ with two clusters and shared defaults, in a temporary working directory."""
    monkeypatch.chdir(tmp_path)
    values = tmp_path / "values"
    values.mkdir()
    (values / "_defaults.yaml").write_text(
        "chart:\n  version: 4.0.17\nnfs:\n  mountOptions: [nfsvers=4.1, hard]\n"
        "storageClass:\n  reclaimPolicy: Retain\n  archiveOnDelete: false\n"
    )
    (values / "a.yaml").write_text(cluster("a"))
    (values / "b.yaml").write_text(
        cluster(
            "b", "  mountOptions: [nfsvers=3, nolock]\nstorageClass:\n  archiveOnDelete: true\n"
        )
    )
    return values


# -- merging -----------------------------------------------------------------------------------


def test_mappings_merge_lists_and_scalars_replace() -> None:
    base = load_bytes(
        b"nfs:\n  server: nas\n  mountOptions: [hard, nfsvers=4.1]\n"
        b"storageClass:\n  name: shared\n  pathPattern: x\n",
        "_defaults.yaml",
    )
    over = load_bytes(
        b"cluster: c\nnfs:\n  path: /p\n  mountOptions: [soft]\n"
        b"storageClass:\n  pathPattern: null\n",
        "c.yaml",
    )
    merged = merge(base, over)
    assert merged.data == {
        "nfs": {"server": "nas", "mountOptions": ["soft"], "path": "/p"},
        "storageClass": {"name": "shared", "pathPattern": None},
        "cluster": "c",
    }
    assert base.data["nfs"]["mountOptions"] == ["hard", "nfsvers=4.1"], "inputs stay untouched"


def test_values_come_from_defaults_unless_the_cluster_sets_them(fleet: Path) -> None:
    docs = {doc.data["cluster"]: doc.data for doc in load_valid([fleet])}
    assert docs["a"]["chart"] == {"version": "4.0.17"}
    assert docs["a"]["nfs"]["mountOptions"] == ["nfsvers=4.1", "hard"]
    assert docs["b"]["nfs"]["mountOptions"] == ["nfsvers=3", "nolock"]
    assert docs["b"]["storageClass"] == {"reclaimPolicy": "Retain", "archiveOnDelete": True}
    assert docs["b"]["nfs"]["server"] == "192.168.169.3"


def test_problems_point_at_the_file_that_holds_the_value(fleet: Path) -> None:
    (fleet / "_defaults.yaml").write_text(
        "chart:\n  version: 4.0.17\n  releasName: nfs\nstorageClass:\n  default: maybe\n"
    )
    (fleet / "b.yaml").write_text(cluster("b", "  mountOptions: [nfsvers=9]\n"))
    result = run("validate", "values")
    assert result.exit_code == 1
    # Each problem of the shared file once, although both clusters merge over it.
    assert result.stderr.splitlines() == [
        'values/_defaults.yaml:3:3: chart.releasName: unknown key "releasName"; did you mean '
        "'releaseName'? [schema-unknown-key]",
        'values/_defaults.yaml:5:12: storageClass.default: must be true or false, not "maybe" '
        "[schema-type]",
        "values/b.yaml:5:18: nfs.mountOptions[0]: invalid value for nfsvers: '9' [mount-option]",
        "nfs-gitops: 3 problem(s); nothing written",
    ]


def test_a_cluster_value_overriding_a_bad_default_is_located_in_the_cluster_file(
    fleet: Path,
) -> None:
    (fleet / "a.yaml").write_text(cluster("a", "storageClass:\n  reclaimPolicy: Keep\n"))
    result = run("validate", "values")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        'values/a.yaml:6:18: storageClass.reclaimPolicy: must be one of "Delete", "Retain"; '
        'got "Keep" [schema-enum]'
    )


def test_defaults_cannot_name_a_cluster(fleet: Path) -> None:
    (fleet / "_defaults.yaml").write_text("namespace: storage\ncluster: shared\n")
    result = run("validate", "values")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "values/_defaults.yaml:2:1: cluster: shared defaults cannot set the cluster name; set it "
        "in each cluster's file [defaults-cluster]",
        "nfs-gitops: 1 problem(s); nothing written",
    ]


def test_a_broken_defaults_file_is_reported_once(fleet: Path) -> None:
    (fleet / "_defaults.yaml").write_text("chart: [unclosed\n")
    result = run("validate", "values")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("values/_defaults.yaml:1:17: (root): invalid YAML")


# -- folders and names -------------------------------------------------------------------------


def test_a_folder_means_its_cluster_files_and_underscore_files_are_skipped(fleet: Path) -> None:
    (fleet / "_notes.yaml").write_text("not: a cluster\n")
    (fleet / "README.md").write_text("# not yaml\n")
    assert [doc.file for doc in load_valid([fleet])] == ["values/a.yaml", "values/b.yaml"]
    # Shell globs include the defaults file: it is skipped there too.
    files = sorted(fleet.glob("*.yaml"))
    assert [doc.file for doc in load_valid(files)] == ["values/a.yaml", "values/b.yaml"]


def test_nothing_to_render_is_a_usage_error(fleet: Path) -> None:
    result = run("render", "values/_defaults.yaml")
    assert result.exit_code == 2
    assert "no cluster values files in values/_defaults.yaml" in result.stderr


def test_two_clusters_with_one_git_path_are_refused(fleet: Path) -> None:
    (fleet / "b.yaml").write_text(cluster("b", "gitops:\n  path: output/a\n"))
    result = run("validate", "values")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "values/b.yaml:6:9: gitops.path: Git path 'output/a' is also the path of cluster 'a' "
        "(values/a.yaml) [gitops-path-duplicate]"
    )


def test_two_files_with_one_cluster_name_are_refused(fleet: Path) -> None:
    (fleet / "c.yaml").write_text(cluster("a"))
    result = run("render", "values", "--output-dir", "output")
    assert result.exit_code == 1
    assert "values/c.yaml:1:10: cluster: cluster 'a' is also rendered from values/a.yaml" in (
        result.stderr
    )
    assert not Path("output").exists()


# -- removal of clusters whose values file is gone ---------------------------------------------


def test_prune_removes_generated_files_of_gone_clusters_and_nothing_else(fleet: Path) -> None:
    assert run("render", "values", "--output-dir", "output").exit_code == 0
    assert sorted(p.name for p in Path("output").iterdir()) == [
        ".gitignore",
        ".nfs-gitops.lock",
        "a",
        "b",
    ]
    Path("output/b/NOTES.md").write_text("kept: not generated\n")
    Path("output/elsewhere").mkdir()
    Path("output/elsewhere/mine.yaml").write_text("kind: Mine\n")
    (fleet / "a.yaml").unlink()
    (fleet / "b.yaml").unlink()
    (fleet / "c.yaml").write_text(cluster("c"))

    # Without --prune the other trees are left alone.
    assert run("render", "values", "--output-dir", "output").exit_code == 0
    assert (Path("output/a") / "storageclass.yaml").exists()

    result = run("render", "--prune", "values", "--output-dir", "output", "-v")
    assert result.exit_code == 0, result.output
    assert not Path("output/a").exists(), "only generated files were in it: the folder goes too"
    assert sorted(p.name for p in Path("output/b").iterdir()) == ["NOTES.md"]
    assert Path("output/elsewhere/mine.yaml").read_text() == "kind: Mine\n"
    assert "removed output/a/storageclass.yaml" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "1 cluster(s): 0 file(s) written, 10 unchanged, 20 removed"
    )


def test_check_with_prune_reports_a_gone_cluster_as_drift(fleet: Path) -> None:
    assert run("render", "values", "--output-dir", "output").exit_code == 0
    (fleet / "b.yaml").unlink()
    assert run("render", "--check", "values", "--output-dir", "output").exit_code == 0
    result = run("render", "--check", "--prune", "values", "--output-dir", "output")
    assert result.exit_code == 1
    assert "--- output/b/storageclass.yaml\n+++ /dev/null\n" in result.stdout
    assert "output is stale for output/b" in result.stderr
    assert Path("output/b/storageclass.yaml").exists(), "--check writes nothing"


def test_prune_never_follows_a_symlinked_folder(fleet: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text(f"{GENERATED_MARK} from elsewhere; DO NOT EDIT.\n")
    assert run("render", "values", "--output-dir", "output").exit_code == 0
    Path("output/link").symlink_to(outside)
    assert run("render", "--prune", "values", "--output-dir", "output").exit_code == 0
    assert (outside / "x.yaml").exists()


def test_committed_fleet_is_current_and_uses_shared_defaults(at_root: Path) -> None:
    result = run("render", "--check", "--prune", "values", "--output-dir", "output")
    assert result.exit_code == 0, result.stdout
    defaults = yaml.safe_load((at_root / "values/_defaults.yaml").read_text())
    office = yaml.safe_load((at_root / "values/office.yaml").read_text())
    assert "repoURL" not in office["gitops"], "office takes repoURL from _defaults.yaml"
    app = yaml.safe_load((at_root / "output/office/application.yaml").read_text())
    assert app["spec"]["sources"][1]["repoURL"] == defaults["gitops"]["repoURL"]


def test_defaults_of_one_driver_serve_a_fleet_of_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key of _defaults.yaml that a cluster's driver does not read stays unused there; the same
    key in the cluster's own file is refused (driver-key)."""
    monkeypatch.chdir(tmp_path)
    values = tmp_path / "values"
    values.mkdir()
    (values / "_defaults.yaml").write_text(
        "provisioner:\n  replicas: 2\ncsi:\n  controllerReplicas: 2\n"
    )
    (values / "old.yaml").write_text(cluster("old"))
    (values / "new.yaml").write_text(cluster("new", "driver: csi-driver-nfs\n"))
    result = run("render", "values", "--output-dir", "output")
    assert result.exit_code == 0, result.output
    csi_values = yaml.safe_load((tmp_path / "output/new/helm-values.yaml").read_text())
    subdir_values = yaml.safe_load((tmp_path / "output/old/helm-values.yaml").read_text())
    assert csi_values["controller"]["replicas"] == 2 and subdir_values["replicaCount"] == 2
    (values / "new.yaml").write_text(
        cluster("new", "driver: csi-driver-nfs\nprovisioner:\n  replicas: 3\n")
    )
    refused = run("validate", "values")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0].startswith(
        "values/new.yaml:6:1: provisioner: provisioner is for driver "
        "nfs-subdir-external-provisioner only; this cluster's driver is csi-driver-nfs"
    ), refused.stderr
