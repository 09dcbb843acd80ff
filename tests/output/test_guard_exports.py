"""Day-2 guard with several exports: each class guarded on its own, a removed export's class
kept (not default) for its volumes, a moved export refused at its own keys."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from generator.cli import cli
from tests.output.helpers import snapshot, storage_classes

FAST = (
    "  - name: fast\n    server: 192.168.169.3\n    path: /ssd\n    storageClass: {default: true}\n"
)
BULK = "  - name: bulk\n    server: 192.168.169.4\n    path: /hdd\n"
COLD = "  - name: cold\n    server: 192.168.169.5\n    path: /cold\n"


def render(*extra: str) -> Result:
    args = ["render", "values/studio.yaml", "--output-dir", "output", *extra]
    return CliRunner().invoke(cli, args)


def write(repo: Path, exports: str) -> None:
    (repo / "values" / "studio.yaml").write_text(f"cluster: studio\nexports:\n{exports}")


def test_adding_an_export_is_quiet_and_touches_no_other_file_but_the_lists(repo: Path) -> None:
    write(repo, FAST + BULK)
    assert render().exit_code == 0
    before = snapshot(repo / "output" / "studio")
    write(repo, FAST + COLD + BULK)
    added = render("-v")
    assert added.exit_code == 0, added.output
    assert "StorageClass" not in added.stderr  # no note, no refusal about fast or bulk
    after = snapshot(repo / "output" / "studio")
    for name in before:
        if name.startswith("helm-values-"):
            assert after[name] == before[name], name  # each release's values unchanged
    assert "helm-values-nfs-subdir-external-provisioner-cold.yaml" in after
    old = storage_classes(repo / "output" / "studio")
    assert set(old) == {"nfs-fast", "nfs-cold", "nfs-bulk"}


def test_removing_an_export_keeps_its_class_not_default(repo: Path) -> None:
    write(repo, FAST + BULK)
    assert render().exit_code == 0
    write(repo, BULK.replace("path: /hdd", "path: /hdd\n    storageClass: {default: true}"))
    result = render()
    assert result.exit_code == 0, result.output
    assert "StorageClass nfs-fast no longer the class of an export" in result.stderr
    tree = repo / "output" / "studio"
    kept = storage_classes(tree)["nfs-fast"]
    annotations = kept["metadata"]["annotations"]
    assert annotations["storageclass.kubernetes.io/is-default-class"] == "false"
    assert (tree / "storageclass-retained-nfs-fast.yaml").is_file()
    assert (
        "no longer the class of an export"
        in (tree / "storageclass-retained-nfs-fast.yaml").read_text()
    )
    # The removed export's release, RBAC and values are gone; its class stays for its volumes.
    assert not (tree / "helm-values-nfs-subdir-external-provisioner-fast.yaml").exists()
    assert "nfs-subdir-external-provisioner-fast" not in (tree / "helmrelease.yaml").read_text()
    assert render("--check").exit_code == 0


def test_an_immutable_change_is_located_in_its_export_and_recreate_covers_only_it(
    repo: Path,
) -> None:
    write(repo, FAST + BULK)
    assert render().exit_code == 0
    write(repo, FAST + BULK + "    storageClass: {reclaimPolicy: Retain}\n")
    refused = render()
    assert refused.exit_code == 1
    [line] = [x for x in refused.stderr.splitlines() if "[storageclass-immutable]" in x]
    assert line.startswith("values/studio.yaml:10:35: exports[1].storageClass.reclaimPolicy: ")
    assert "StorageClass nfs-bulk" in line
    forced = render("--allow-recreate")
    assert forced.exit_code == 0, forced.output
    found = storage_classes(repo / "output" / "studio")
    force = "kustomize.toolkit.fluxcd.io/force"
    assert force in found["nfs-bulk"]["metadata"]["annotations"]
    assert force not in found["nfs-fast"]["metadata"]["annotations"]
    assert render("--check").exit_code == 0  # the forced commit checks clean
    again = render()
    assert again.exit_code == 0
    assert force not in (repo / "output" / "studio" / "storageclass.yaml").read_text()


def test_a_moved_export_is_refused_at_its_own_key(repo: Path) -> None:
    write(repo, FAST + BULK)
    assert render().exit_code == 0
    write(repo, FAST + BULK.replace("192.168.169.4", "192.168.169.9"))
    refused = render()
    assert refused.exit_code == 1
    [line] = [x for x in refused.stderr.splitlines() if "[nfs-export-change]" in x]
    assert line.startswith("values/studio.yaml:8:13: exports[1].server: the export moves from ")
    assert "class nfs-bulk" in line
    assert render("--allow-export-change").exit_code == 0


def test_a_move_is_refused_when_its_values_file_is_renamed_in_the_same_render(
    repo: Path,
) -> None:
    """One release (helm-values.yaml) becoming two (helm-values-<release>.yaml): the release
    is found by its ServiceAccount, so moving its export in that render is still refused."""
    single = "cluster: studio\nnfs:\n  server: 192.168.169.3\n  path: /data/K8s\n"
    (repo / "values" / "studio.yaml").write_text(single)
    assert render().exit_code == 0
    pinned = (
        "  - name: main\n    server: 192.168.169.9\n    path: /data/K8s\n"
        "    release: nfs-subdir-external-provisioner\n"
        "    provisionerName: cluster.local/nfs-subdir-external-provisioner\n"
        "    storageClass: {name: nfs-client, default: true}\n"
    )
    write(repo, pinned + BULK)
    refused = render()
    assert refused.exit_code == 1
    [line] = [x for x in refused.stderr.splitlines() if "[nfs-export-change]" in x]
    assert line.startswith("values/studio.yaml:4:13: exports[0].server: the export moves from ")
    assert "192.168.169.3:/data/K8s to 192.168.169.9:/data/K8s" in line
    write(repo, pinned.replace("192.168.169.9", "192.168.169.3") + BULK)
    converted = render()
    assert converted.exit_code == 0, converted.output
    assert "StorageClass" not in converted.stderr  # the pinned class is untouched
