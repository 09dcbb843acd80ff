"""Both drivers in one cluster: each export keeps its own driver; csi-driver-nfs exports share
one driver release (its cluster-scoped names are fixed) and get a class each."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import cli
from generator.errors import InvalidValues
from generator.model import build_model
from generator.model.checks import name_problems
from generator.output.guard import tree_files
from generator.values.load import load_bytes
from generator.values.validate import validate

LEGACY = """\
  - name: legacy
    server: 192.168.169.3
    path: /data/K8s
"""
FAST = """\
  - name: fast
    driver: csi-driver-nfs
    server: 192.168.169.3
    path: /ssd
    storageClass: {default: true}
"""
BULK = """\
  - name: bulk
    driver: csi-driver-nfs
    server: 192.168.169.4
    path: /hdd
    mountOptions: [nfsvers=4.1]
"""


def load(text: str) -> tuple[dict[str, str], list[str]]:
    doc = load_bytes(text.encode(), "values.yaml")
    validate(doc)
    problems = name_problems(doc)
    if problems:
        raise InvalidValues(problems)
    model = build_model(doc.data, doc.file)
    return tree_files(model), [e.names.release for e in model.exports]


def problems_of(text: str) -> list[tuple[str, str]]:
    with pytest.raises(InvalidValues) as caught:
        load(text)
    return [(p.field, p.code) for p in caught.value.problems]


def test_csi_exports_share_one_release_and_get_a_class_each() -> None:
    files, releases = load(f"cluster: c\nexports:\n{LEGACY}{FAST}{BULK}")
    assert releases == [
        "nfs-subdir-external-provisioner-legacy",
        "csi-driver-nfs",
        "csi-driver-nfs",
    ]
    assert sorted(name for name in files if name.startswith("helm-values")) == [
        "helm-values-csi-driver-nfs.yaml",
        "helm-values-nfs-subdir-external-provisioner-legacy.yaml",
    ]
    helmreleases = list(yaml.safe_load_all(files["helmrelease.yaml"]))
    assert [r["spec"]["chart"]["spec"]["chart"] for r in helmreleases] == [
        "nfs-subdir-external-provisioner",
        "csi-driver-nfs",
    ]
    assert [r["spec"]["chart"]["spec"]["version"] for r in helmreleases] == ["4.0.18", "4.13.4"]
    repositories = list(yaml.safe_load_all(files["helmrepository.yaml"]))
    assert [r["spec"]["url"] for r in repositories] == [
        "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/",
        "https://kubernetes-csi.github.io/csi-driver-nfs",
    ]
    classes = {c["metadata"]["name"]: c for c in yaml.safe_load_all(files["storageclass.yaml"])}
    assert {name: c["provisioner"] for name, c in classes.items()} == {
        "nfs-legacy": "cluster.local/nfs-subdir-external-provisioner-legacy",
        "nfs-fast": "nfs.csi.k8s.io",
        "nfs-bulk": "nfs.csi.k8s.io",
    }
    assert classes["nfs-bulk"]["parameters"]["share"] == "/hdd"
    assert classes["nfs-bulk"]["mountOptions"] == ["nfsvers=4.1"]
    # The driver's RBAC once; the privileged namespace its pods need; the installer for the
    # subdir export's kernel mounts.
    kinds = [d["kind"] for d in yaml.safe_load_all(files["driver-rbac.yaml"])]
    assert kinds.count("ClusterRole") == 2
    levels = {
        ns["metadata"]["name"]: ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        for ns in yaml.safe_load_all(files["namespace.yaml"])
    }
    # The subdir provisioner and the preflight Jobs stay baseline; the driver's pods apart.
    assert levels == {
        "nfs-provisioner": "baseline",
        "nfs-node-installer": "privileged",
        "nfs-csi-driver": "privileged",
    }
    targets = {r["spec"]["releaseName"]: r["spec"]["targetNamespace"] for r in helmreleases}
    assert targets == {
        "nfs-subdir-external-provisioner-legacy": "nfs-provisioner",
        "csi-driver-nfs": "nfs-csi-driver",
    }
    assert {r["metadata"]["namespace"] for r in helmreleases} == {"nfs-provisioner"}
    assert "node-installer.yaml" in files


def test_only_csi_exports_need_no_installer_and_one_values_file() -> None:
    files, releases = load(f"cluster: c\ndriver: csi-driver-nfs\nexports:\n{FAST}{BULK}")
    assert releases == ["csi-driver-nfs", "csi-driver-nfs"]
    assert "node-installer.yaml" not in files
    assert "helm-values.yaml" in files  # one release: the single form's file name
    assert len(list(yaml.safe_load_all(files["storageclass.yaml"]))) == 2


def test_csi_exports_pinned_to_two_releases_collide() -> None:
    pinned = BULK + "    release: another-csi\n"
    assert problems_of(f"cluster: c\nexports:\n{FAST}{pinned}") == [
        ("exports[1].release", "name-collision")
    ]


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        (LEGACY + '    storageClass: {mountPermissions: "0777"}\n', "exports[0].storageClass"),
        (BULK + "    provisionerName: example.com/nfs\n", "exports[0].provisionerName"),
    ],
)
def test_a_key_of_the_other_driver_is_refused_at_its_export(extra: str, where: str) -> None:
    found = problems_of(f"cluster: c\nexports:\n{extra}")
    assert [code for _, code in found] == ["driver-key"]
    assert found[0][0].startswith(where)


def test_cluster_keys_of_a_driver_are_refused_only_when_no_export_uses_it() -> None:
    load(f"cluster: c\nprovisioner: {{replicas: 1}}\ncsi: {{}}\nexports:\n{LEGACY}{FAST}")
    assert problems_of(f"cluster: c\ncsi: {{}}\nexports:\n{LEGACY}") == [("csi", "driver-key")]


def test_path_pattern_fields_are_checked_for_the_exports_driver() -> None:
    labelled = '    storageClass: {pathPattern: "${.PVC.labels.team}"}\n'
    load(f"cluster: c\nexports:\n{LEGACY}{labelled}")
    assert problems_of(f"cluster: c\nexports:\n{BULK}{labelled}") == [
        ("exports[0].storageClass.pathPattern", "path-pattern-driver")
    ]


def test_moving_one_export_to_the_other_driver_is_refused_at_its_driver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "values").mkdir()
    values = tmp_path / "values" / "c.yaml"

    def render() -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["render", "values/c.yaml", "--output-dir", "output"])
        return result.exit_code, result.stderr

    values.write_text(f"cluster: c\nexports:\n{LEGACY}{FAST}")
    assert render()[0] == 0
    moved = LEGACY + "    driver: csi-driver-nfs\n"  # the same class name, the other driver
    values.write_text(f"cluster: c\nexports:\n{moved}{FAST}")
    code, stderr = render()
    assert code == 1
    [line] = [x for x in stderr.splitlines() if "[driver-change]" in x]
    assert line.startswith("values/c.yaml:6:13: exports[0].driver: StorageClass nfs-legacy ")
