"""nfs-gitops adopt: a values file whose tree keeps the names of a manual helm install."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from generator.cli import cli
from generator.scaffold.adopt import chart_fullname

# What `helm get values nfs-subdir-external-provisioner -n default -o yaml` prints after the
# seed's `helm install ... --set nfs.server=192.168.169.3 --set nfs.path=/data/K8s` (Go sorts keys).
SEED = "nfs:\n  path: /data/K8s\n  server: 192.168.169.3\n"
SEED_ARGS = (
    "--release",
    "nfs-subdir-external-provisioner",
    "--namespace",
    "default",
    "--class",
    "nfs-client",
    "--cluster",
    "homelab",
)
# The same release with `--all`: every chart 4.0.18 default beside the two values set.
SEED_ALL = """\
affinity: {}
image:
  pullPolicy: IfNotPresent
  repository: registry.k8s.io/sig-storage/nfs-subdir-external-provisioner
  tag: v4.0.2
imagePullSecrets: []
labels: {}
leaderElection:
  enabled: true
nfs:
  mountOptions: null
  path: /data/K8s
  reclaimPolicy: Retain
  server: 192.168.169.3
  volumeName: nfs-subdir-external-provisioner-root
nodeSelector: {}
podAnnotations: {}
podDisruptionBudget:
  enabled: false
  maxUnavailable: 1
podSecurityContext: {}
podSecurityPolicy:
  enabled: false
rbac:
  create: true
replicaCount: 1
resources: {}
securityContext: {}
serviceAccount:
  annotations: {}
  create: true
  name: null
storageClass:
  accessModes: ReadWriteOnce
  allowVolumeExpansion: true
  annotations: {}
  archiveOnDelete: true
  create: true
  defaultClass: false
  name: nfs-client
  reclaimPolicy: Delete
  volumeBindingMode: Immediate
strategyType: Recreate
tolerations: []
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def adopt(workdir: Path, text: str, *args: str) -> Result:
    (workdir / "helm-values.yaml").write_text(text)
    return run("adopt", "helm-values.yaml", *args)


def rendered(workdir: Path, cluster: str = "homelab") -> dict[str, list[dict[str, Any]]]:
    result = run("render", "values", "--output-dir", "output")
    assert result.exit_code == 0, result.output
    tree = workdir / "output" / cluster
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        for path in tree.glob("*.yaml")
    }


@pytest.mark.parametrize("text", [SEED, SEED_ALL], ids=["user-supplied", "all"])
def test_the_seeds_release_keeps_every_name(workdir: Path, text: str) -> None:
    result = adopt(workdir, text, *SEED_ARGS)
    assert result.exit_code == 0, result.output
    expansion = (
        "changed: storageClass.allowVolumeExpansion: true -> false (a mutable field: the "
        "provisioner cannot resize volumes)"
    )
    election = (
        "changed: leaderElection.enabled: true -> false (one replica with the Recreate "
        "strategy never runs twice)"
    )
    # With --all the release states leaderElection.enabled: true, which the values keep.
    changes = [expansion, election] if text == SEED else [expansion]
    assert result.stderr.splitlines() == ["wrote values/homelab.yaml", *changes]
    data = yaml.safe_load((workdir / "values" / "homelab.yaml").read_text())
    assert data["nfs"] == {"server": "192.168.169.3", "path": "/data/K8s"}
    assert data["namespace"] == "nfs-provisioner"
    assert data["chart"] == {"releaseName": "nfs-subdir-external-provisioner"}
    assert data["storageClass"]["name"] == "nfs-client"
    assert data["storageClass"]["provisionerName"] == (
        "cluster.local/nfs-subdir-external-provisioner"
    )
    tree = rendered(workdir)
    [storage_class] = tree["storageclass.yaml"]
    # The fields Kubernetes never lets change, as the chart made them for the seed.
    assert storage_class["metadata"] == {
        "name": "nfs-client",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    }
    assert storage_class["provisioner"] == "cluster.local/nfs-subdir-external-provisioner"
    assert storage_class["parameters"] == {"archiveOnDelete": "true"}
    assert storage_class["reclaimPolicy"] == "Delete"
    assert storage_class["volumeBindingMode"] == "Immediate"
    names = {(doc["kind"], doc["metadata"]["name"]) for doc in tree["provisioner-rbac.yaml"]}
    assert ("ClusterRole", "nfs-subdir-external-provisioner-runner") in names
    assert ("ClusterRoleBinding", "run-nfs-subdir-external-provisioner") in names
    [chart_values] = tree["helm-values.yaml"]
    assert chart_values["storageClass"] == {
        "create": False,
        "provisionerName": "cluster.local/nfs-subdir-external-provisioner",
    }


def test_all_values_of_the_seed_need_no_key_and_change_the_same(workdir: Path) -> None:
    result = adopt(workdir, SEED_ALL, *SEED_ARGS)
    assert result.exit_code == 0, result.output
    assert "not mapped" not in result.stderr
    # leaderElection.enabled: true is now the release's explicit choice, kept.
    data = yaml.safe_load((workdir / "values" / "homelab.yaml").read_text())
    assert data["provisioner"]["leaderElection"] is True
    assert data["provisioner"]["replicas"] == 1


def test_the_runbook_protects_before_it_retires(workdir: Path) -> None:
    result = adopt(workdir, SEED, *SEED_ARGS)
    out = result.stdout
    steps = [
        "kubectl annotate storageclass nfs-client helm.sh/resource-policy=keep --overwrite",
        "kubectl annotate clusterrole nfs-subdir-external-provisioner-runner "
        "helm.sh/resource-policy=keep --overwrite",
        "kubectl annotate clusterrolebinding run-nfs-subdir-external-provisioner "
        "helm.sh/resource-policy=keep --overwrite",
        "nfs-gitops render values/homelab.yaml --output-dir output",
        "kubectl -n nfs-provisioner wait helmrelease/nfs-subdir-external-provisioner "
        "--for=condition=Ready --timeout=10m",
        "helm upgrade nfs-subdir-external-provisioner nfs-subdir-external-provisioner --repo "
        "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/ --version 4.0.18 "
        "-n default --reuse-values --set storageClass.create=false --set rbac.create=false",
        "helm uninstall nfs-subdir-external-provisioner -n default",
    ]
    positions = [out.index(step) for step in steps]
    assert positions == sorted(positions)  # in this order: protect, apply, shrink, uninstall
    assert "WARNING" not in out


def test_argocd_runbook_waits_for_the_application(workdir: Path) -> None:
    repo = ("--engine", "argocd", "--repo-url", "https://git.example.com/fleet.git")
    result = adopt(workdir, SEED, *SEED_ARGS, *repo)
    assert result.exit_code == 0, result.output
    assert "argocd app wait homelab-nfs-storage --health --timeout 600" in result.stdout
    assert "helmrelease" not in result.stdout


def test_unmappable_values_are_listed_by_key(workdir: Path) -> None:
    text = SEED + (
        "fullnameOverride: nfs\n"
        "tolerations:\n- key: dedicated\n  operator: Exists\n"
        "podAnnotations:\n  team: storage\n"
        "strategyType: RollingUpdate\n"
        "storageClass:\n  annotations:\n    owner: me\n"
        "extraThing: 1\n"
    )
    result = adopt(workdir, text, *SEED_ARGS)
    assert result.exit_code == 0, result.output
    not_mapped = [line for line in result.stderr.splitlines() if line.startswith("not mapped")]
    assert not_mapped == [
        "not mapped: fullnameOverride (nfs)",
        "not mapped: tolerations ([{'key': 'dedicated', 'operator': 'Exists'}])",
        "not mapped: podAnnotations.team (storage)",
        "not mapped: strategyType (RollingUpdate)",
        "not mapped: storageClass.annotations.owner (me)",
        "not mapped: extraThing (1)",
    ]
    data = yaml.safe_load((workdir / "values" / "homelab.yaml").read_text())
    # fullnameOverride still names the provisioner: existing volumes keep theirs.
    assert data["storageClass"]["provisionerName"] == "cluster.local/nfs"
    # The chart named its RBAC after "nfs", the tree after the release: only the class is shared.
    assert "annotate clusterrole" not in result.stdout
    assert "kubectl annotate storageclass nfs-client helm.sh/resource-policy=keep" in result.stdout


@pytest.mark.parametrize(
    ("release", "helm", "fullname"),
    [
        ("nfs-subdir-external-provisioner", {}, "nfs-subdir-external-provisioner"),
        ("my-nfs-subdir-external-provisioner-1", {}, "my-nfs-subdir-external-provisioner-1"),
        ("nfs", {}, "nfs-nfs-subdir-external-provisioner"),
        ("nfs", {"nameOverride": "nfs"}, "nfs"),
        ("nfs", {"nameOverride": "client"}, "nfs-client"),
        ("x", {"fullnameOverride": "storage-"}, "storage"),
        ("a" * 60, {}, ("a" * 60 + "-nfs-subdir-external-provisioner")[:63]),
    ],
)
def test_the_chart_fullname_rule(release: str, helm: dict[str, str], fullname: str) -> None:
    assert chart_fullname(release, helm) == fullname


def test_another_release_name_keeps_its_provisioner(workdir: Path) -> None:
    args = ("--release", "nfs", "--namespace", "storage", "--cluster", "homelab")
    result = adopt(workdir, SEED, *args)
    assert result.exit_code == 0, result.output
    [storage_class] = rendered(workdir)["storageclass.yaml"]
    assert storage_class["provisioner"] == "cluster.local/nfs-nfs-subdir-external-provisioner"
    assert "annotate clusterrole " not in result.stdout  # the tree names it nfs-runner


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "nfs:\n  path: /data/K8s\n  server: 999.1.1.1\n",
            "helm-values.yaml:3:11: nfs.server: '999.1.1.1' is not a valid IPv4 address "
            "(each octet is 0 to 255) [nfs-server]",
        ),
        (
            SEED + "storageClass:\n  archiveOnDelete: 'yes'\n",
            'helm-values.yaml:5:20: storageClass.archiveOnDelete: "yes" is not true or false; '
            "the class's parameter cannot be kept (StorageClass parameters are immutable) "
            "[adopt-archive-on-delete]",
        ),
        (
            SEED + "storageClass:\n  name: other\n",
            "helm-values.yaml:5:9: storageClass.name: the release's class is 'other' but --class "
            "says 'nfs-client' [adopt-class-mismatch]",
        ),
        (
            SEED + "storageClass:\n  reclaimPolicy: Recycle\n",
            "helm-values.yaml:5:18: storageClass.reclaimPolicy: must be one of "
            '"Delete", "Retain"; got "Recycle" [schema-enum]',
        ),
        (
            "nfs:\n  path: relative\n  server: 192.168.169.3\n",
            "helm-values.yaml:2:9: nfs.path: must be an absolute path starting with / [nfs-path]",
        ),
        (
            SEED + "nfs: {}\n",
            "helm-values.yaml:4:1: nfs: duplicate key (first defined at line 1) "
            "[yaml-duplicate-key]",
        ),
        (
            "USER-SUPPLIED VALUES:\n" + SEED,
            'helm-values.yaml:1:1: ["USER-SUPPLIED VALUES"]: this'
            " is helm's table output; run helm "
            "get values with -o yaml [adopt-helm-format]",
        ),
        (
            "null\n",
            "helm-values.yaml:1:1: (root): no values: the chart needs at least nfs.server "
            "[adopt-no-values]",
        ),
        (
            "nfs:\n  path: /data/K8s\n",
            "helm-values.yaml:2:3: nfs.server: missing: the chart's release cannot run without "
            "it [adopt-no-values]",
        ),
        (
            "kubeletDir: /var/lib/kubelet\ndriver:\n  name: nfs.csi.k8s.io\n",
            "helm-values.yaml:2:1: driver: a value of the csi-driver-nfs chart: adopt takes over "
            "manual installs of nfs-subdir-external-provisioner only. For csi-driver-nfs write "
            "the values file by hand (driver: csi-driver-nfs) with the release's class name and "
            "parameters (README, Two drivers) [adopt-csi-driver]",
        ),
    ],
    ids=[
        "server",
        "archive",
        "class",
        "reclaim",
        "path",
        "duplicate",
        "table",
        "null",
        "no-server",
        "csi-driver-nfs",
    ],
)
def test_hostile_values_are_located_and_nothing_is_written(
    workdir: Path, text: str, expected: str
) -> None:
    result = adopt(workdir, text, *SEED_ARGS)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == expected
    assert result.stderr.splitlines()[-1].endswith("nothing written")
    assert not (workdir / "values").exists()
    assert result.stdout == ""


def test_adopt_never_overwrites(workdir: Path) -> None:
    (workdir / "values").mkdir()
    (workdir / "values" / "homelab.yaml").write_text("cluster: mine\n")
    result = adopt(workdir, SEED, *SEED_ARGS)
    assert result.exit_code == 1
    assert "already exists; not overwriting it" in result.stderr
    assert (workdir / "values" / "homelab.yaml").read_text() == "cluster: mine\n"


def test_the_tree_never_goes_in_the_release_namespace(workdir: Path) -> None:
    result = adopt(workdir, SEED, *SEED_ARGS, "--target-namespace", "default")
    assert result.exit_code == 2
    assert "--target-namespace must differ from the release's namespace" in result.stderr
    assert not (workdir / "values").exists()


def test_image_pull_secrets_are_mapped(workdir: Path) -> None:
    text = SEED + "imagePullSecrets:\n- name: mirror-pull\n"
    result = adopt(workdir, text, *SEED_ARGS)
    assert result.exit_code == 0, result.output
    assert "not mapped" not in result.stderr
    data = yaml.safe_load((workdir / "values" / "homelab.yaml").read_text())
    assert data["images"] == {"pullSecrets": ["mirror-pull"]}
    [chart_values] = rendered(workdir)["helm-values.yaml"]
    assert chart_values["imagePullSecrets"] == [{"name": "mirror-pull"}]


def test_kustomize_runbook_applies_the_build(workdir: Path) -> None:
    result = adopt(workdir, SEED, *SEED_ARGS, "--engine", "kustomize")
    assert result.exit_code == 0, result.output
    assert (
        "kustomize build --enable-helm output/homelab | kubectl apply --server-side "
        "--force-conflicts -f -" in result.stdout
    )


def test_mount_options_are_kept_and_the_runbook_warns(workdir: Path) -> None:
    text = "nfs:\n  mountOptions:\n  - nfsvers=4.1\n  path: /data/K8s\n  server: 192.168.169.3\n"
    result = adopt(workdir, text, *SEED_ARGS)
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((workdir / "values" / "homelab.yaml").read_text())
    assert data["nfs"]["mountOptions"] == ["nfsvers=4.1"]
    prose = " ".join(result.stdout.split())  # wrapped at 100 columns
    assert "WARNING: nfs.mountOptions is set" in prose
    assert "PersistentVolume pv-nfs-subdir-external-provisioner (and a claim of it)" in prose
