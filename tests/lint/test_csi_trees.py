"""kubeconform -strict over the csi-driver-nfs golden trees, every supported version: the snapshot
tree's VolumeSnapshotClass is checked against the CRD schema made from external-snapshotter's
API module (crdgen/snapshot), never skipped. (output/ holds one csi tree, edge, which make
kubeconform checks; its snapshots are off.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.lint import CRD_SCHEMA_LOCATION, K8S_SCHEMA_LOCATION
from generator.schema import kubernetes_versions

ROOT = Path(__file__).resolve().parents[2]
CSI_TREES = sorted(
    tree.parent
    for tree in (ROOT / "tests" / "golden").glob("*-csi-*/expected/*/kustomization.yaml")
)


@pytest.fixture(autouse=True)
def at_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(ROOT)
    yield


def test_every_engine_has_a_csi_golden_tree_and_one_has_snapshots() -> None:
    assert {tree.parents[1].name.split("-")[0] for tree in CSI_TREES} == {
        "flux",
        "argocd",
        "kustomize",
    }
    assert any((tree / "volumesnapshotclass.yaml").is_file() for tree in CSI_TREES)


@pytest.mark.tools
@pytest.mark.parametrize("tree", CSI_TREES, ids=lambda tree: tree.parents[1].name)
def test_csi_tree_is_valid_for_every_supported_version(tree: Path) -> None:
    options = [f"--schema-location={where}" for where in (K8S_SCHEMA_LOCATION, CRD_SCHEMA_LOCATION)]
    result = CliRunner().invoke(cli, ["kubeconform", str(tree), *options])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2 * len(kubernetes_versions()), lines  # files and kustomize build
    for line in lines:
        assert line.endswith("Invalid: 0, Errors: 0, Skipped: 0"), line
    if (tree / "volumesnapshotclass.yaml").is_file():
        assert "snapshot.storage.k8s.io" in (tree / "volumesnapshotclass.yaml").read_text()
