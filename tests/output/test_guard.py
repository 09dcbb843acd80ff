"""Day-2 guard: immutable StorageClass fields, renamed classes, moved exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from generator.cli import cli
from generator.engines import engine as engine_named
from generator.output.guard import IMMUTABLE, immutable_changes
from tests.output.helpers import snapshot, storage_classes

BASE = "cluster: homelab\nnfs:\n  server: 192.168.169.3\n  path: /data/K8s\n"
FORCE_FLUX = "kustomize.toolkit.fluxcd.io/force"
FORCE_ARGO = "argocd.argoproj.io/sync-options"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def render(*extra: str) -> Result:
    return run("render", "values/homelab.yaml", "--output-dir", "output", *extra)


def write_values(repo: Path, extra: str = "", base: str = BASE) -> None:
    (repo / "values" / "homelab.yaml").write_text(base + extra)


# (id, values before, values after, StorageClass field, old, new, values key the message names)
FIELD_CASES = [
    (
        "provisioner-pinned",
        "",
        "storageClass:\n  provisionerName: example.com/nfs\n",
        "provisioner",
        "cluster.local/nfs-subdir-external-provisioner",
        "example.com/nfs",
        "storageClass.provisionerName",
    ),
    (
        "provisioner-from-release",
        "",
        "chart:\n  releaseName: nfs\n",
        "provisioner",
        "cluster.local/nfs-subdir-external-provisioner",
        "cluster.local/nfs-nfs-subdir-external-provisioner",
        "chart.releaseName",
    ),
    (
        "parameters-archive",
        "",
        "storageClass:\n  archiveOnDelete: false\n",
        "parameters.archiveOnDelete",
        "true",
        "false",
        "storageClass.archiveOnDelete",
    ),
    (
        "parameters-ondelete",
        "",
        "storageClass:\n  onDelete: retain\n",
        "parameters.onDelete",
        None,
        "retain",
        "storageClass.onDelete",
    ),
    (
        "parameters-pathpattern",
        "storageClass:\n  pathPattern: ${.PVC.namespace}\n",
        "storageClass:\n  pathPattern: ${.PVC.name}\n",
        "parameters.pathPattern",
        "${.PVC.namespace}",
        "${.PVC.name}",
        "storageClass.pathPattern",
    ),
    (
        "reclaimPolicy",
        "",
        "storageClass:\n  reclaimPolicy: Retain\n",
        "reclaimPolicy",
        "Delete",
        "Retain",
        "storageClass.reclaimPolicy",
    ),
    (
        "volumeBindingMode",
        "",
        "storageClass:\n  volumeBindingMode: WaitForFirstConsumer\n",
        "volumeBindingMode",
        "Immediate",
        "WaitForFirstConsumer",
        "storageClass.volumeBindingMode",
    ),
]


def test_every_immutable_field_has_a_case() -> None:
    covered = {case[3].partition(".")[0] for case in FIELD_CASES}
    assert covered == set(IMMUTABLE)


@pytest.mark.parametrize(
    ("before", "after", "field", "old", "new", "key"),
    [case[1:] for case in FIELD_CASES],
    ids=[case[0] for case in FIELD_CASES],
)
def test_an_immutable_change_is_refused_located_and_writes_nothing(
    repo: Path, before: str, after: str, field: str, old: object, new: object, key: str
) -> None:
    write_values(repo, before)
    assert render().exit_code == 0
    tree = snapshot(repo / "output" / "homelab")
    write_values(repo, after)

    result = render()
    assert result.exit_code == 1
    assert snapshot(repo / "output" / "homelab") == tree, "nothing written"
    [line] = [line for line in result.stderr.splitlines() if "[storageclass-immutable]" in line]
    assert line.startswith("values/homelab.yaml:"), line
    assert f": {key}: StorageClass nfs-client (output/homelab/storageclass.yaml): " in line
    shown = "(unset)" if old is None else json.dumps(old)
    assert f" {field} {shown} -> {json.dumps(new)} is an update Kubernetes refuses" in line
    assert "give the class a new name (storageClass.name;" in line
    assert "`nfs-gitops render --allow-recreate` so Flux deletes and re-creates" in line
    assert result.stderr.endswith("nothing written\n")

    check = run("render", "--check", "values/homelab.yaml", "--output-dir", "output")
    assert check.exit_code == 1
    assert line in check.stderr.splitlines(), "--check reports the same problem"

    forced = render("--allow-recreate")
    assert forced.exit_code == 0, forced.output
    sc = storage_classes(repo / "output" / "homelab")["nfs-client"]
    assert sc["metadata"]["annotations"][FORCE_FLUX] == "enabled"
    assert f"StorageClass nfs-client is re-created ({field} changed)" in forced.stderr


@pytest.mark.parametrize("engine", ["flux", "argocd", "kustomize"])
def test_recreate_is_one_shot_and_only_on_the_class(repo: Path, engine: str) -> None:
    extra = f"gitops:\n  engine: {engine}\n  repoURL: https://example.com/fleet.git\n"
    write_values(repo, extra)
    assert render().exit_code == 0
    write_values(repo, extra + "storageClass:\n  reclaimPolicy: Retain\n")
    refused = render()
    assert refused.exit_code == 1
    if engine == "kustomize":
        assert "delete the class by hand before applying" in refused.stderr
        assert "(kubectl delete storageclass nfs-client)" in refused.stderr

    forced = render("--allow-recreate")
    assert forced.exit_code == 0, forced.output
    tree = repo / "output" / "homelab"
    annotations = storage_classes(tree)["nfs-client"]["metadata"]["annotations"]
    assert annotations == {
        "storageclass.kubernetes.io/is-default-class": "true",
        **engine_named(engine).recreate,
    }
    if engine == "kustomize":
        assert "kubectl delete storageclass nfs-client" in forced.stderr
    others = [p for p in tree.iterdir() if p.name != "storageclass.yaml"]
    for name, value in engine_named(engine).recreate.items():
        assert not [p.name for p in others if name in p.read_text()], "on the class only"
        assert value in (tree / "storageclass.yaml").read_text()

    # CI checks the commit of that render: it is what the values render to, opted in.
    check = run("render", "--check", "values/homelab.yaml", "--output-dir", "output")
    assert check.exit_code == 0, check.output
    if engine_named(engine).recreate:
        assert "carries the one-shot recreate mechanism" in check.stderr

    # The next render drops it: no opt-in stays behind.
    again = render("-v")
    assert again.exit_code == 0, again.output
    annotations = storage_classes(tree)["nfs-client"]["metadata"]["annotations"]
    assert annotations == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert run("render", "--check", "values/homelab.yaml", "--output-dir", "output").exit_code == 0


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [
        (
            "  mountOptions: [nfsvers=4.1]\n",
            "  mountOptions: [nfsvers=4.2]\n",
            '["nfsvers=4.1"] -> ["nfsvers=4.2"]',
        ),
        ("", "  mountOptions: [hard]\n", '[] -> ["hard"]'),
    ],
)
def test_mount_options_change_in_place_with_a_note(
    repo: Path, before: str, after: str, shown: str
) -> None:
    """Not immutable: Kubernetes accepts the update (tests/e2e/test_immutable.py proves it)."""
    write_values(repo, before)
    assert render().exit_code == 0
    write_values(repo, after)
    result = render()
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"output/homelab/storageclass.yaml: StorageClass nfs-client: mountOptions {shown}; "
        "Kubernetes updates this field in place: volumes provisioned from now on get the new "
        "options, existing volumes keep theirs (each PersistentVolume holds its own copy)\n"
    )
    sc = storage_classes(repo / "output" / "homelab")["nfs-client"]
    assert sc["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert sc["mountOptions"] == yaml.safe_load("nfs:\n" + after)["nfs"]["mountOptions"]


def test_a_mutable_change_is_written_without_the_mechanism(repo: Path) -> None:
    write_values(repo)
    assert render().exit_code == 0
    write_values(repo, "storageClass:\n  default: false\nnamespace: storage\n")
    result = render()
    assert result.exit_code == 0, result.output
    sc = storage_classes(repo / "output" / "homelab")["nfs-client"]
    assert sc["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "false"}


def test_a_hand_edited_immutable_field_is_refused_too(repo: Path) -> None:
    """The tree on disk stands for the cluster: an edit there may have been applied."""
    write_values(repo)
    assert render().exit_code == 0
    path = repo / "output" / "homelab" / "storageclass.yaml"
    path.write_text(
        path.read_text().replace(
            "volumeBindingMode: Immediate", "volumeBindingMode: WaitForFirstConsumer"
        )
    )
    result = render()
    assert result.exit_code == 1
    assert '"WaitForFirstConsumer" -> "Immediate"' in result.stderr


def test_rename_keeps_the_old_class_not_default_until_its_file_is_deleted(repo: Path) -> None:
    write_values(repo, "  mountOptions: [nfsvers=4.1]\n")
    assert render().exit_code == 0
    tree = repo / "output" / "homelab"
    old = storage_classes(tree)["nfs-client"]
    # A new name is the other safe way out: the new class may differ in immutable fields.
    write_values(
        repo, "  mountOptions: [nfsvers=4.2]\nstorageClass:\n  name: nfs-fast\n  onDelete: retain\n"
    )
    result = render()
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "output/homelab: StorageClass nfs-client renamed to nfs-fast: nfs-client stays rendered, "
        "not default, in storageclass-retained-nfs-client.yaml (its volumes need it to be "
        "deleted); delete that file and render again once no PersistentVolume uses it"
    )
    classes = storage_classes(tree)
    assert set(classes) == {"nfs-client", "nfs-fast"}
    kept, new = classes["nfs-client"], classes["nfs-fast"]
    # The default flag moved; every immutable field of the kept class is as it was.
    assert kept["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "false"
    }
    assert new["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert immutable_changes(old, kept, (*IMMUTABLE, "mountOptions")) == []
    assert new["mountOptions"] == ["nfsvers=4.2"] and new["parameters"]["onDelete"] == "retain"
    resources = yaml.safe_load((tree / "kustomization.yaml").read_text())["resources"]
    assert resources.index("storageclass-retained-nfs-client.yaml") == (
        resources.index("storageclass.yaml") + 1
    )
    assert (
        (tree / "storageclass-retained-nfs-client.yaml")
        .read_text()
        .startswith("# Code generated by nfs-gitops from values/homelab.yaml; DO NOT EDIT.\n")
    )

    # Later renders (and --prune) keep it, byte for byte, and --check agrees.
    kept_bytes = (tree / "storageclass-retained-nfs-client.yaml").read_bytes()
    again = run("render", "--prune", "values", "--output-dir", "output")
    assert again.exit_code == 0 and again.stderr == ""
    assert (tree / "storageclass-retained-nfs-client.yaml").read_bytes() == kept_bytes
    assert run("render", "--check", "--prune", "values", "--output-dir", "output").exit_code == 0

    # Removing it is explicit: delete the file, render; the kustomization follows.
    (tree / "storageclass-retained-nfs-client.yaml").unlink()
    assert render().exit_code == 0
    assert set(storage_classes(tree)) == {"nfs-fast"}
    resources = yaml.safe_load((tree / "kustomization.yaml").read_text())["resources"]
    assert "storageclass-retained-nfs-client.yaml" not in resources


def test_renaming_back_hands_the_kept_class_back_and_guards_it(repo: Path) -> None:
    write_values(repo)
    assert render().exit_code == 0
    write_values(repo, "storageClass:\n  name: nfs-fast\n")
    assert render().exit_code == 0
    # Back to nfs-client with another reclaimPolicy: the kept nfs-client is what the cluster has.
    write_values(repo, "storageClass:\n  reclaimPolicy: Retain\n")
    refused = render()
    assert refused.exit_code == 1
    assert 'reclaimPolicy "Delete" -> "Retain"' in refused.stderr
    write_values(repo)
    result = render()
    assert result.exit_code == 0, result.output
    tree = repo / "output" / "homelab"
    assert set(storage_classes(tree)) == {"nfs-client", "nfs-fast"}
    assert not (tree / "storageclass-retained-nfs-client.yaml").exists()
    assert (tree / "storageclass-retained-nfs-fast.yaml").exists()
    sc = storage_classes(tree)["nfs-client"]
    assert sc["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}


@pytest.mark.parametrize(
    ("key", "after"),
    [
        ("nfs.server", BASE.replace("192.168.169.3", "nas2.example.com")),
        ("nfs.path", BASE.replace("/data/K8s", "/volume1/k8s")),
    ],
)
def test_a_moved_export_is_refused_with_the_risk_unless_opted_in(
    repo: Path, key: str, after: str
) -> None:
    write_values(repo)
    assert render().exit_code == 0
    tree = snapshot(repo / "output" / "homelab")
    write_values(repo, base=after)
    result = render()
    assert result.exit_code == 1
    assert snapshot(repo / "output" / "homelab") == tree
    [line] = result.stderr.splitlines()[:-1]
    assert line.startswith("values/homelab.yaml:") and f": {key}: the export moves from " in line
    assert "the same-named directory on the NEW export" in line
    assert "persistentVolumeReclaimPolicy: Retain" in line
    assert line.endswith("then render with --allow-export-change [nfs-export-change]")
    check = run("render", "--check", "values/homelab.yaml", "--output-dir", "output")
    assert check.exit_code == 1 and line in check.stderr

    assert render("--allow-export-change").exit_code == 0
    values = yaml.safe_load((repo / "output" / "homelab" / "helm-values.yaml").read_text())
    assert values["nfs"] == yaml.safe_load(after)["nfs"]
    # One-shot, and nothing to drop: the next render is plain.
    assert render().exit_code == 0
    assert run("render", "--check", "values/homelab.yaml", "--output-dir", "output").exit_code == 0


def test_every_tree_is_checked_before_any_is_written(repo: Path) -> None:
    write_values(repo)
    (repo / "values" / "lab.yaml").write_text(BASE.replace("homelab", "lab"))
    assert run("render", "values", "--output-dir", "output").exit_code == 0
    before = {name: snapshot(repo / "output" / name) for name in ("homelab", "lab")}
    write_values(repo, "storageClass:\n  reclaimPolicy: Retain\nnamespace: storage\n")
    (repo / "values" / "lab.yaml").write_text(
        BASE.replace("homelab", "lab")
        + "storageClass:\n  volumeBindingMode: WaitForFirstConsumer\n"
    )
    result = run("render", "values", "--output-dir", "output", "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [(p["file"], p["field"], p["code"]) for p in problems] == [
        ("values/homelab.yaml", "storageClass.reclaimPolicy", "storageclass-immutable"),
        ("values/lab.yaml", "storageClass.volumeBindingMode", "storageclass-immutable"),
    ]
    assert {name: snapshot(repo / "output" / name) for name in ("homelab", "lab")} == before


def test_a_tree_that_does_not_parse_is_not_compared(repo: Path) -> None:
    write_values(repo)
    assert render().exit_code == 0
    (repo / "output" / "homelab" / "storageclass.yaml").write_text("{not: yaml: [\n")
    write_values(repo, "storageClass:\n  reclaimPolicy: Retain\n")
    assert render().exit_code == 0


def test_changes_compare_with_api_defaults() -> None:
    old = {"provisioner": "p", "parameters": {"a": "1"}}
    same = {**old, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate", "mountOptions": []}
    assert immutable_changes(old, same) == []
    assert immutable_changes(old, {**same, "parameters": {"a": "1", "b": "2"}}) == [
        ("parameters.b", None, "2")
    ]
    assert immutable_changes(old, {**same, "mountOptions": None}, ("mountOptions",)) == []
    assert immutable_changes(old, {**same, "mountOptions": ["hard"]}) == [], "not immutable"


def test_allow_recreate_adds_nothing_when_no_immutable_field_changes(repo: Path) -> None:
    write_values(repo)
    assert render().exit_code == 0
    write_values(repo, "storageClass:\n  default: false\n")
    result = render("--allow-recreate")
    assert result.exit_code == 0 and result.stderr == ""
    assert FORCE_FLUX not in (repo / "output" / "homelab" / "storageclass.yaml").read_text()


def test_check_accepts_the_mechanism_only_on_an_otherwise_current_class(repo: Path) -> None:
    write_values(repo)
    assert render().exit_code == 0
    path = repo / "output" / "homelab" / "storageclass.yaml"
    text = path.read_text()
    # Hand-added to a class the values do not change: not what --allow-recreate renders.
    forced = text.replace(
        'is-default-class: "true"\n',
        'is-default-class: "true"\n    kustomize.toolkit.fluxcd.io/force: enabled\n',
    )
    assert forced != text
    path.write_text(forced)
    check = run("render", "--check", "values/homelab.yaml", "--output-dir", "output")
    assert check.exit_code == 1, "the one-shot comment is missing: drift"
    assert "+    kustomize.toolkit.fluxcd.io/force: enabled" not in check.stdout
    assert "-    kustomize.toolkit.fluxcd.io/force: enabled" in check.stdout


CSI_BASE = BASE + "driver: csi-driver-nfs\n"


def test_moving_csi_driver_nfs_to_another_namespace_is_written(repo: Path) -> None:
    """A new csi.namespace moves the driver's ServiceAccounts (and its chart, with the engine):
    nothing immutable changes, so the guard lets it through (README, Day-2 changes)."""
    write_values(repo, base=CSI_BASE)
    assert render().exit_code == 0
    tree = repo / "output" / "homelab"
    before = storage_classes(tree)
    write_values(repo, "csi: {namespace: storage-csi}\n", base=CSI_BASE)
    moved = render()
    assert moved.exit_code == 0, moved.output
    accounts = {
        d["metadata"]["name"]: d["metadata"]["namespace"]
        for d in yaml.safe_load_all((tree / "driver-rbac.yaml").read_text())
        if d["kind"] == "ServiceAccount"
    }
    assert accounts == {"csi-nfs-controller-sa": "storage-csi", "csi-nfs-node-sa": "storage-csi"}
    release = yaml.safe_load((tree / "helmrelease.yaml").read_text())
    assert (release["metadata"]["namespace"], release["spec"]["targetNamespace"]) == (
        "nfs-provisioner",
        "storage-csi",
    )
    assert storage_classes(tree) == before


def test_moving_csi_namespace_does_not_hide_an_immutable_change(repo: Path) -> None:
    write_values(repo, base=CSI_BASE)
    assert render().exit_code == 0
    tree = snapshot(repo / "output" / "homelab")
    moved = CSI_BASE.replace("192.168.169.3", "192.168.169.4")
    write_values(repo, "csi: {namespace: storage-csi}\n", base=moved)
    result = render()
    assert result.exit_code == 1
    assert "[storageclass-immutable]" in result.stderr
    assert snapshot(repo / "output" / "homelab") == tree, "nothing written"
