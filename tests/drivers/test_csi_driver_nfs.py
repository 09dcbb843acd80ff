"""csi-driver-nfs: the values it accepts and refuses, its defaults, the class, the chart values and
the RBAC held to the chart's facts at the pinned version (generator/drivers/csi_driver_nfs.py)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from generator.drivers import csi_driver_nfs as csi
from generator.drivers import driver
from generator.drivers.csi_driver_nfs import CHART_RULES, DRIVER, REMOVED, rendered_rules
from generator.errors import InvalidValues
from generator.model import build_model
from generator.render import render
from generator.values.checks.drivers import KUBELET_DIRS
from generator.values.load import load_bytes
from generator.values.validate import validate

CSI = "cluster: edge\ndriver: csi-driver-nfs\nnfs:\n  server: 192.168.169.3\n  path: /data/K8s\n"
SUBDIR = "cluster: edge\nnfs:\n  server: 192.168.169.3\n  path: /data/K8s\n"


def model_of(text: str) -> Any:
    doc = load_bytes(text.encode(), "v.yaml")
    validate(doc)
    return build_model(doc.data, "v.yaml")


def tree(text: str) -> dict[str, list[dict[str, Any]]]:
    """File -> its parsed documents."""
    return {
        name: [d for d in yaml.safe_load_all(body) if d is not None]
        for name, body in render(model_of(text)).items()
    }


def problems(text: str) -> list[str]:
    doc = load_bytes(text.encode(), "v.yaml")
    with pytest.raises(InvalidValues) as caught:
        validate(doc)
    return [str(p) for p in caught.value.problems]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, (kind, name, [d["kind"] for d in docs])
    return found[0]


# --- values: accepted, refused, defaults ----------------------------------------------------


def test_the_issue_minimal_file_selects_the_csi_driver_and_its_defaults() -> None:
    model = model_of(CSI)
    assert model.exports[0].driver is DRIVER is driver("csi-driver-nfs")
    chart = model.values["chart"]
    assert chart == {
        "repository": "https://kubernetes-csi.github.io/csi-driver-nfs",
        "version": "4.13.4",
        "releaseName": "csi-driver-nfs",
    }
    assert model.values["nodeInstaller"]["enabled"] is False
    assert model.exports[0].names.provisioner == "nfs.csi.k8s.io"


def test_subdir_defaults_are_unchanged_by_the_second_driver() -> None:
    values = model_of(SUBDIR).values
    assert values["chart"] == {
        "repository": "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/",
        "version": "4.0.18",
        "releaseName": "nfs-subdir-external-provisioner",
    }
    assert values["nodeInstaller"]["enabled"] is True
    assert model_of(SUBDIR + "distribution: talos\n").values["nodeInstaller"]["enabled"] is False


def test_a_value_set_by_the_user_wins_over_the_driver_default() -> None:
    chart = "chart: {version: 4.13.3, releaseName: nfs}\nnodeInstaller: {enabled: true}\n"
    values = model_of(CSI + chart).values
    assert (values["chart"]["version"], values["chart"]["releaseName"]) == ("4.13.3", "nfs")
    assert values["nodeInstaller"]["enabled"] is True


@pytest.mark.parametrize(
    ("base", "extra", "expected"),
    [
        (
            CSI,
            "provisioner:\n  leaderElection: true\n",
            "v.yaml:6:1: provisioner: provisioner is for driver nfs-subdir-external-provisioner "
            "only; this cluster's driver is csi-driver-nfs (csi-driver-nfs is configured under "
            "csi) [driver-key]",
        ),
        (
            CSI,
            "storageClass:\n  provisionerName: example.com/nfs\n",
            "v.yaml:7:3: storageClass.provisionerName: storageClass.provisionerName is for driver "
            "nfs-subdir-external-provisioner only; this cluster's driver is csi-driver-nfs "
            "(csi-driver-nfs's provisioner is always nfs.csi.k8s.io) [driver-key]",
        ),
        (
            SUBDIR,
            "csi:\n  controllerReplicas: 2\n",
            "v.yaml:5:1: csi: csi is for driver csi-driver-nfs only; this cluster's driver is "
            "nfs-subdir-external-provisioner (nfs-subdir-external-provisioner is configured "
            "under provisioner) [driver-key]",
        ),
        (
            SUBDIR,
            'storageClass:\n  mountPermissions: "0777"\n',
            "v.yaml:6:3: storageClass.mountPermissions: storageClass.mountPermissions is for "
            "driver csi-driver-nfs only; this cluster's driver is "
            "nfs-subdir-external-provisioner (nfs-subdir-external-provisioner makes 0777 "
            "directories) [driver-key]",
        ),
        (
            SUBDIR,
            "storageClass:\n  allowVolumeExpansion: true\n",
            "v.yaml:6:25: storageClass.allowVolumeExpansion: storageClass.allowVolumeExpansion: "
            "true is for driver csi-driver-nfs only; this cluster's driver is "
            "nfs-subdir-external-provisioner (nfs-subdir-external-provisioner cannot resize) "
            "[driver-key]",
        ),
        (
            SUBDIR,
            "storageClass:\n  onDelete: archive\n",
            "v.yaml:6:13: storageClass.onDelete: storageClass.onDelete: archive is for driver "
            "csi-driver-nfs only; this cluster's driver is nfs-subdir-external-provisioner (use "
            "archiveOnDelete: true (onDelete null) to archive) [driver-key]",
        ),
        (
            SUBDIR,
            "distribution: talos\nnodeInstaller:\n  enabled: true\n",
            "v.yaml:7:12: nodeInstaller.enabled: the node installer cannot run on distribution "
            "talos: its nodes have no package manager (an immutable OS) and ship the NFS client "
            "in the kubelet; leave nodeInstaller.enabled unset or false [distribution-key]",
        ),
        (
            CSI,
            'storageClass:\n  pathPattern: "${.PVC.labels.team}/${.PVC.name}"\n',
            "v.yaml:7:16: storageClass.pathPattern: ${.PVC.labels.team} is not available with "
            "driver csi-driver-nfs: its subDir parameter knows only the claim's namespace and "
            "name (${.PVC.namespace}, ${.PVC.name}); use those [path-pattern-driver]",
        ),
    ],
    ids=[
        "leader-election-csi",
        "provisioner-name-csi",
        "csi-block-subdir",
        "mount-permissions-subdir",
        "expansion-subdir",
        "archive-subdir",
        "installer-talos",
        "pvc-labels-csi",
    ],
)
def test_keys_that_mean_nothing_for_the_driver_are_refused_located(
    base: str, extra: str, expected: str
) -> None:
    assert problems(base + extra) == [expected]


def test_allowed_values_of_each_driver_pass() -> None:
    model_of(SUBDIR + "storageClass:\n  allowVolumeExpansion: false\n  onDelete: retain\n")
    model_of(SUBDIR + 'storageClass:\n  pathPattern: "${.PVC.annotations.dir}"\n')
    model_of(CSI + "distribution: talos\nstorageClass:\n  onDelete: archive\n")


def test_mount_permissions_must_be_a_quoted_octal_mode() -> None:
    assert "schema-type" in problems(CSI + "storageClass:\n  mountPermissions: 0777\n")[0]
    assert "schema-pattern" in problems(CSI + 'storageClass:\n  mountPermissions: "0999"\n')[0]


# --- the tree ---------------------------------------------------------------------------------


def test_the_class_carries_the_driver_parameters() -> None:
    extra = (
        "storageClass:\n"
        '  pathPattern: "${.PVC.namespace}/${.PVC.name}"\n'
        '  mountPermissions: "0775"\n'
        "  allowVolumeExpansion: true\n"
        "  reclaimPolicy: Retain\n"
        "  volumeBindingMode: WaitForFirstConsumer\n"
    )
    cls = one(
        tree(CSI.replace("  path:", "  mountOptions: [nfsvers=4.1]\n  path:") + extra)[
            "storageclass.yaml"
        ],
        "StorageClass",
    )
    assert cls["provisioner"] == "nfs.csi.k8s.io"
    assert cls["parameters"] == {
        "server": "192.168.169.3",
        "share": "/data/K8s",
        "subDir": "${pvc.metadata.namespace}/${pvc.metadata.name}",
        "mountPermissions": "0775",
        "onDelete": "archive",
    }
    assert cls["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert (cls["reclaimPolicy"], cls["volumeBindingMode"]) == ("Retain", "WaitForFirstConsumer")
    assert cls["allowVolumeExpansion"] is True
    assert cls["mountOptions"] == ["nfsvers=4.1"]


@pytest.mark.parametrize(
    ("extra", "on_delete"),
    [
        ("", "archive"),
        ("storageClass: {archiveOnDelete: false}\n", "delete"),
        ("storageClass: {archiveOnDelete: false, onDelete: archive}\n", "archive"),
        ("storageClass: {onDelete: retain}\n", "retain"),
        ("storageClass: {onDelete: delete}\n", "delete"),
    ],
)
def test_on_delete_comes_from_on_delete_else_archive_on_delete(extra: str, on_delete: str) -> None:
    cls = one(tree(CSI + extra)["storageclass.yaml"], "StorageClass")
    assert cls["parameters"]["onDelete"] == on_delete


def test_without_a_path_pattern_directories_are_named_as_nfs_subdir_names_them() -> None:
    cls = one(tree(CSI)["storageclass.yaml"], "StorageClass")
    assert cls["parameters"]["subDir"] == (
        "${pvc.metadata.namespace}-${pvc.metadata.name}-${pv.metadata.name}"
    )
    assert "mountPermissions" not in cls["parameters"]
    assert cls["allowVolumeExpansion"] is False


def test_the_chart_creates_no_rbac_service_account_or_class_and_uses_the_tree_names() -> None:
    files = tree(CSI)
    values = files["helm-values.yaml"][0]
    accounts = {
        d["metadata"]["name"] for d in files["driver-rbac.yaml"] if d["kind"] == "ServiceAccount"
    }
    assert values["rbac"]["create"] is False
    assert values["serviceAccount"]["create"] is False
    assert {values["serviceAccount"]["controller"], values["serviceAccount"]["node"]} == accounts
    assert accounts == {"csi-nfs-controller-sa", "csi-nfs-node-sa"}
    assert values["storageClass"] == {"create": False} and values["storageClasses"] == []
    assert values["volumeSnapshotClass"] == {"create": False}
    assert values["externalSnapshotter"]["enabled"] is False
    assert values["externalSnapshotter"]["customResourceDefinitions"]["enabled"] is False
    assert (
        values["driver"]["name"] == one(files["storageclass.yaml"], "StorageClass")["provisioner"]
    )
    # Every image fully named: the chart's image.baseRepo is never used.
    assert all(
        "/" in image["repository"] and not image["repository"].startswith("/")
        for image in values["image"].values()
    )


def rules_of(role: dict[str, Any]) -> list[csi.Rule]:
    return [
        (group, tuple(rule["resources"]), tuple(rule["verbs"]))
        for rule in role["rules"]
        for group in rule["apiGroups"]
    ]


def test_rbac_is_the_chart_rules_minus_the_listed_removal() -> None:
    docs = tree(CSI)["driver-rbac.yaml"]
    for role in (csi.PROVISIONER_ROLE, csi.RESIZER_ROLE):
        rendered = rules_of(one(docs, "ClusterRole", role))
        assert rendered == rendered_rules(role)
        removed = [rule for rule in CHART_RULES[role] if rule not in rendered]
        assert removed == list(REMOVED.get(role, {}))
    # The one removal: cluster-wide read of Secrets, for secret class parameters never rendered.
    assert list(REMOVED[csi.PROVISIONER_ROLE]) == [("", ("secrets",), ("get",))]
    assert not any(
        "secrets" in rule[1] for rule in rules_of(one(docs, "ClusterRole", csi.PROVISIONER_ROLE))
    )
    cls = one(tree(CSI)["storageclass.yaml"], "StorageClass")
    assert not any(key.startswith("csi.storage.k8s.io/") for key in cls["parameters"])
    for binding, role in (
        (csi.PROVISIONER_BINDING, csi.PROVISIONER_ROLE),
        (csi.RESIZER_BINDING, csi.RESIZER_ROLE),
    ):
        found = one(docs, "ClusterRoleBinding", binding)
        assert found["roleRef"]["name"] == role
        assert found["subjects"] == [
            {"kind": "ServiceAccount", "name": csi.CONTROLLER_SA, "namespace": "nfs-csi-driver"}
        ]
    assert {d["kind"] for d in docs} == {"ServiceAccount", "ClusterRole", "ClusterRoleBinding"}


def test_the_namespace_is_privileged_for_the_driver_pods_alone() -> None:
    files = tree(CSI)
    namespaces = files["namespace.yaml"]
    levels = {
        ns["metadata"]["name"]: ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        for ns in namespaces
    }
    # The driver's own namespace is privileged; `namespace` (preflight Job) stays baseline.
    assert levels == {"nfs-provisioner": "baseline", "nfs-csi-driver": "privileged"}
    for ns in namespaces:
        labels = ns["metadata"]["labels"]
        assert {labels[f"pod-security.kubernetes.io/{m}"] for m in ("audit", "warn")} == {
            levels[ns["metadata"]["name"]]
        }
    assert "node-installer.yaml" not in files
    # The driver's ServiceAccounts are in its namespace, the preflight's objects are not.
    accounts = {
        d["metadata"]["name"]: d["metadata"]["namespace"]
        for d in files["driver-rbac.yaml"]
        if d["kind"] == "ServiceAccount"
    }
    assert accounts == {csi.CONTROLLER_SA: "nfs-csi-driver", csi.NODE_SA: "nfs-csi-driver"}
    placed = {d["metadata"].get("namespace") for d in files["preflight.yaml"]}
    assert placed - {None} == {"nfs-provisioner"}
    volume = next(d for d in files["preflight.yaml"] if d["kind"] == "PersistentVolume")
    assert volume["spec"]["claimRef"]["namespace"] == "nfs-provisioner"
    with_installer = tree(CSI + "nodeInstaller: {enabled: true}\n")["namespace.yaml"]
    assert [ns["metadata"]["name"] for ns in with_installer] == [
        "nfs-provisioner",
        "nfs-node-installer",
        "nfs-csi-driver",
    ]
    chosen = tree(CSI + "csi: {namespace: storage-csi}\n")
    assert [ns["metadata"]["name"] for ns in chosen["namespace.yaml"]] == [
        "nfs-provisioner",
        "storage-csi",
    ]
    # One privileged namespace for the installer and `namespace`, as asked: the driver still
    # has its own.
    shared = tree(CSI + "nodeInstaller: {enabled: true, namespace: nfs-provisioner}\n")
    shared_levels = [
        (ns["metadata"]["name"], ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"])
        for ns in shared["namespace.yaml"]
    ]
    assert shared_levels == [("nfs-provisioner", "privileged"), ("nfs-csi-driver", "privileged")]
    subdir = tree(SUBDIR)["namespace.yaml"]
    assert [ns["metadata"]["name"] for ns in subdir] == ["nfs-provisioner", "nfs-node-installer"]
    assert subdir[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"


@pytest.mark.parametrize(
    ("extra", "where", "what"),
    [
        ("namespace: storage\ncsi: {namespace: storage}\n", "csi.namespace", "namespace,"),
        ("namespace: nfs-csi-driver\n", "namespace", "namespace,"),
        (
            "nodeInstaller: {namespace: nfs-csi-driver}\n",
            "nodeInstaller.namespace",
            "the node installer's namespace",
        ),
        ("csi: {namespace: nfs-node-installer}\n", "csi.namespace", "the node installer's"),
    ],
)
def test_the_driver_namespace_is_shared_with_nothing(extra: str, where: str, what: str) -> None:
    found = problems(CSI + extra)
    assert len(found) == 1, found
    assert found[0].startswith("v.yaml:"), found
    assert f": {where}: csi-driver-nfs's namespace " in found[0]
    assert what in found[0]
    assert found[0].endswith("choose another csi.namespace [namespace-csi-shared]")


@pytest.mark.parametrize("name", ["kube-system", "flux-system", "default"])
def test_the_driver_namespace_is_never_a_reserved_one(name: str) -> None:
    found = problems(CSI + f"csi: {{namespace: {name}}}\n")
    assert len(found) == 1 and found[0].endswith("[namespace-reserved]"), found
    assert found[0].startswith("v.yaml:6:18: csi.namespace: "), found


def test_the_driver_namespace_is_a_dns_label() -> None:
    found = problems(CSI + "csi: {namespace: NFS_CSI}\n")
    assert [p.rsplit(" [", 1)[1] for p in found] == ["name-dns1123-label]"]
    assert found[0].startswith("v.yaml:6:18: csi.namespace: ")


def test_a_subdir_only_cluster_takes_no_driver_namespace() -> None:
    found = problems(SUBDIR + "csi: {namespace: storage-csi}\n")
    assert [p.rsplit(" [", 1)[1] for p in found] == ["driver-key]"]


@pytest.mark.parametrize("distribution", sorted(KUBELET_DIRS))
def test_the_kubelet_directory_follows_the_distribution(distribution: str) -> None:
    values = tree(CSI + f"distribution: {distribution}\n")["helm-values.yaml"][0]
    expected = {
        "microk8s": "/var/snap/microk8s/common/var/lib/kubelet",
        "k0s": "/var/lib/k0s/kubelet",
    }.get(distribution, "/var/lib/kubelet")
    assert values["kubeletDir"] == expected


def test_snapshots_off_drop_the_sidecar_and_on_render_the_class() -> None:
    off = tree(CSI)
    assert off["helm-values.yaml"][0]["controller"]["enableSnapshotter"] is False
    assert "volumesnapshotclass.yaml" not in off
    on = tree(
        CSI + "csi:\n  snapshots: {enabled: true, className: snaps, deletionPolicy: Retain}\n"
    )
    assert on["helm-values.yaml"][0]["controller"]["enableSnapshotter"] is True
    snap = one(on["volumesnapshotclass.yaml"], "VolumeSnapshotClass", "snaps")
    assert snap["apiVersion"] == "snapshot.storage.k8s.io/v1"
    assert (snap["driver"], snap["deletionPolicy"]) == ("nfs.csi.k8s.io", "Retain")
    assert "annotations" not in snap["metadata"]


def test_several_controllers_are_kept_on_different_nodes() -> None:
    one_replica = tree(CSI)["helm-values.yaml"][0]["controller"]
    assert one_replica["replicas"] == 1 and "affinity" not in one_replica
    two = tree(CSI + "csi: {controllerReplicas: 2}\n")["helm-values.yaml"][0]["controller"]
    assert two["replicas"] == 2
    anti = two["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti == [
        {
            "labelSelector": {"matchLabels": {"app": "csi-nfs-controller"}},
            "topologyKey": "kubernetes.io/hostname",
        }
    ]
    # The chart renders controller.affinity only when it contains nodeSelectorTerms.
    assert "nodeSelectorTerms" in str(two["affinity"])


def test_the_preflight_mounts_the_export_through_the_driver() -> None:
    docs = tree(CSI)["preflight.yaml"]
    volume = one(docs, "PersistentVolume")
    assert "nfs" not in volume["spec"]
    assert volume["spec"]["csi"]["driver"] == "nfs.csi.k8s.io"
    assert volume["spec"]["csi"]["volumeAttributes"] == {
        "server": "192.168.169.3",
        "share": "/data/K8s",
    }
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    job = one(docs, "Job")
    claim = one(docs, "PersistentVolumeClaim")
    assert claim["spec"]["volumeName"] == volume["metadata"]["name"] == job["metadata"]["name"]
    assert job["spec"]["template"]["spec"]["volumes"] == [
        {"name": "export", "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
    ]
    # Another driver, another Job (the PV's source is immutable).
    assert job["metadata"]["name"] != one(tree(SUBDIR)["preflight.yaml"], "Job")["metadata"]["name"]


def test_plain_kustomize_needs_no_namespace_patch_for_this_chart() -> None:
    csi_kustomization = tree(CSI + "gitops: {engine: kustomize}\n")["kustomization.yaml"][0]
    assert "patches" not in csi_kustomization
    # helm's --namespace: the chart's objects and its leader-election namespace.
    assert csi_kustomization["helmCharts"][0]["namespace"] == "nfs-csi-driver"
    subdir = tree(SUBDIR + "gitops: {engine: kustomize}\n")["kustomization.yaml"][0]
    assert "patches" in subdir


def test_subdir_may_not_take_the_csi_driver_name() -> None:
    assert problems(SUBDIR + "storageClass:\n  provisionerName: nfs.csi.k8s.io\n") == [
        "v.yaml:6:20: storageClass.provisionerName: nfs.csi.k8s.io is csi-driver-nfs's driver "
        "name; a second provisioner of that name would take its volumes (use driver: "
        "csi-driver-nfs, or another name) [name-provisioner]"
    ]
