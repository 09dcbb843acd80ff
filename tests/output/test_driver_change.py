"""Day-2 guard: switching `driver` moves the class's provisioner (immutable) to another driver."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from generator.cli import cli
from tests.output.helpers import snapshot

BASE = "cluster: homelab\nnfs:\n  server: 192.168.169.3\n  path: /data/K8s\n"
CSI = "driver: csi-driver-nfs\n"


def render(repo: Path, text: str, *extra: str) -> Result:
    (repo / "values" / "homelab.yaml").write_text(text)
    args = ["render", "values/homelab.yaml", "--output-dir", "output", *extra]
    return CliRunner().invoke(cli, args)


@pytest.mark.parametrize(
    ("before", "after", "old", "new"),
    [
        (BASE, BASE + CSI, "nfs-subdir-external-provisioner", "csi-driver-nfs"),
        (BASE + CSI, BASE, "csi-driver-nfs", "nfs-subdir-external-provisioner"),
    ],
    ids=["subdir-to-csi", "csi-to-subdir"],
)
@pytest.mark.parametrize("options", [(), ("--allow-recreate",)], ids=["plain", "allow-recreate"])
def test_a_driver_switch_under_the_same_class_name_is_refused(
    repo: Path, before: str, after: str, old: str, new: str, options: tuple[str, ...]
) -> None:
    assert render(repo, before).exit_code == 0
    kept = snapshot(repo / "output" / "homelab")
    result = render(repo, after, *options)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == "nfs-gitops: 1 problem(s); nothing written"
    # Located at `driver` when the file sets it, else at the top of the file (the default).
    where = "5:9" if after.endswith(CSI) else "1:1"
    problem = lines[0]
    assert problem.endswith("[driver-change]"), problem
    assert problem.startswith(
        f"values/homelab.yaml:{where}: driver: StorageClass nfs-client "
        f"(output/homelab/storageclass.yaml) belongs to driver {old}; with driver {new} its "
        "provisioner would change to "
    ), problem
    assert "give the new driver's class a new name (storageClass.name)" in problem
    assert snapshot(repo / "output" / "homelab") == kept  # nothing written


def test_a_driver_switch_with_a_new_class_name_keeps_the_old_class_and_says_so(
    repo: Path,
) -> None:
    assert render(repo, BASE).exit_code == 0
    result = render(repo, BASE + CSI + "storageClass:\n  name: nfs-csi\n")
    assert result.exit_code == 0, result.output
    tree = repo / "output" / "homelab"
    kept = yaml.safe_load((tree / "storageclass-retained-nfs-client.yaml").read_text())
    assert kept["provisioner"] == "cluster.local/nfs-subdir-external-provisioner"
    assert kept["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "false"
    }
    new = yaml.safe_load((tree / "storageclass.yaml").read_text())
    assert (new["metadata"]["name"], new["provisioner"]) == ("nfs-csi", "nfs.csi.k8s.io")
    assert (
        "output/homelab/storageclass-retained-nfs-client.yaml: StorageClass nfs-client is served "
        "by driver nfs-subdir-external-provisioner, which this tree no longer installs"
    ) in result.stderr
    # The subdir chart's files went with it; the csi ones came.
    assert not (tree / "provisioner-rbac.yaml").exists() and (tree / "driver-rbac.yaml").exists()


def test_a_render_without_a_driver_switch_has_no_driver_note(repo: Path) -> None:
    assert render(repo, BASE + CSI).exit_code == 0
    result = render(repo, BASE + CSI + "storageClass:\n  name: nfs-csi\n")
    assert result.exit_code == 0, result.output
    assert "no longer installs" not in result.stderr


def test_a_csi_class_change_is_located_at_the_key_it_comes_from(repo: Path) -> None:
    assert render(repo, BASE + CSI).exit_code == 0
    moved = BASE.replace("192.168.169.3", "192.168.169.4") + CSI
    result = render(repo, moved + 'storageClass:\n  mountPermissions: "0770"\n')
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    # With csi-driver-nfs a volume's export is in its volume handle: a moved export is the
    # class's server parameter changing (immutable), not the subdir-only nfs-export-change.
    assert lines[1].startswith(
        "values/homelab.yaml:7:21: storageClass.mountPermissions: StorageClass nfs-client "
        '(output/homelab/storageclass.yaml): parameters.mountPermissions (unset) -> "0770" is '
        "an update Kubernetes refuses"
    ), lines
    assert lines[0].startswith(
        "values/homelab.yaml:3:11: nfs.server: StorageClass nfs-client "
        '(output/homelab/storageclass.yaml): parameters.server "192.168.169.3" -> '
        '"192.168.169.4" is an update Kubernetes refuses'
    ), lines
    assert lines[2] == "nfs-gitops: 2 problem(s); nothing written"
    assert "[nfs-export-change]" not in result.stderr
    accepted = render(
        repo, moved + 'storageClass:\n  mountPermissions: "0770"\n', "--allow-recreate"
    )
    assert accepted.exit_code == 0, accepted.output
