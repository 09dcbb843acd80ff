"""Pod Security admission: the installer runs where it is meant to, and nowhere else."""

from __future__ import annotations

import copy

import pytest

from . import trees
from .conftest import Cluster
from .engines import pod_of
from .kubeapi import ApiError, Obj

pytestmark = pytest.mark.e2e

# Stands in for the installer when the values disable it: what the installer needs of Pod
# Security (host PID namespace, a privileged container).
PRIVILEGED_SPEC: Obj = {
    "hostPID": True,
    "containers": [
        {
            "name": "probe",
            "image": "registry.k8s.io/pause:3.10",
            "securityContext": {"privileged": True},
        }
    ],
}


def probe_pod(cluster: Cluster, namespace: str, service_account: str | None) -> Obj:
    """A Pod made from the installer DaemonSet's pod template (or a privileged stand-in)."""
    if cluster.tree.installer:
        template = copy.deepcopy(trees.installer(cluster.objects)["spec"]["template"])
    else:
        template = {"spec": copy.deepcopy(PRIVILEGED_SPEC)}
    spec = template["spec"]
    if service_account:
        spec["serviceAccountName"] = service_account
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "e2e-installer-probe",
            "namespace": namespace,
            "labels": template.get("metadata", {}).get("labels", {}),
        },
        "spec": spec,
    }


def test_installer_pod_admitted_in_installer_namespace(cluster: Cluster) -> None:
    cluster.require_applied("Namespace", "ServiceAccount")
    if not cluster.tree.installer:
        # No installer: no namespace the server holds from this tree admits privileged pods.
        for ns in trees.of_kind(cluster.objects, "Namespace"):
            labels = cluster.kube.get(ns)["metadata"].get("labels", {})
            assert labels.get("pod-security.kubernetes.io/enforce") == "baseline", labels
        return
    namespace = trees.installer(cluster.objects)["metadata"]["namespace"]
    pod = cluster.kube.create(probe_pod(cluster, namespace, None))
    assert pod["metadata"]["namespace"] == namespace
    assert cluster.kube.get(pod)["status"]["phase"] == "Pending"  # no nodes: never scheduled


def test_installer_pod_refused_in_provisioner_namespace(cluster: Cluster) -> None:
    cluster.require_applied("Namespace", "ServiceAccount")
    levels = trees.release_levels(cluster.tree)
    expect_namespace = trees.values_of(cluster.tree.values).get("namespace", "nfs-provisioner")
    shared = trees.pod_security(cluster.tree) == "privileged" or (
        cluster.tree.installer
        and trees.installer(cluster.objects)["metadata"]["namespace"] == expect_namespace
    )
    for namespace, account in trees.provisioner_accounts(cluster.tree):
        if levels[namespace] == "privileged":
            # csi-driver-nfs (its pods are privileged, on the host network): its own namespace,
            # privileged by the values and saying so, never the tree's `namespace`.
            assert namespace != expect_namespace, namespace
            labels = cluster.kube.get(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
            )["metadata"]["labels"]
            assert labels["pod-security.kubernetes.io/enforce"] == "privileged", labels
            continue
        if shared:
            continue  # the user asked for one privileged namespace (test below)
        # The provisioner's own ServiceAccount, so only Pod Security can be the reason.
        with pytest.raises(ApiError) as refused:
            cluster.kube.create(probe_pod(cluster, namespace, account))
        assert refused.value.code == 403, refused.value
        assert "violates PodSecurity" in refused.value.message, refused.value


SCRATCH = "e2e-pod-security-baseline"
WORKLOADS = ("Deployment", "DaemonSet", "Job")
POD_PREFIX = "e2e-ps-"  # the Pods made from workloads here


def needs_privileged(cluster: Cluster, workload: Obj) -> bool:
    """Asked of Pod Security itself: is a Pod from this workload refused at baseline?"""
    kube = cluster.kube
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": SCRATCH,
                "labels": {"pod-security.kubernetes.io/enforce": "baseline"},
            },
        }
    )
    account = workload["spec"]["template"]["spec"].get("serviceAccountName", "default")
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": account, "namespace": SCRATCH},
        }
    )
    try:
        kube.create(pod_of(workload, SCRATCH, POD_PREFIX), dry_run=True)
    except ApiError as error:
        assert error.code == 403 and "violates PodSecurity" in error.message, error
        return True
    return False


def test_no_privileged_namespace_holds_a_pod_that_needs_less(cluster: Cluster) -> None:
    """Each namespace of the tree at its label: every workload there (the tree's own, and the
    chart's, placed by the engine in its release's namespace) is admitted, and a namespace
    labelled privileged holds only workloads that need it, unless the values put the installer
    in `namespace` (one privileged namespace, as asked)."""
    cluster.require_applied("Namespace", "ServiceAccount", *WORKLOADS)
    values = trees.values_of(cluster.tree.values)
    namespace = values.get("namespace", "nfs-provisioner")
    installer = (values.get("nodeInstaller") or {}).get("namespace", "nfs-node-installer")
    levels = {
        ns["metadata"]["name"]: cluster.kube.get(ns)["metadata"]["labels"][
            "pod-security.kubernetes.io/enforce"
        ]
        for ns in trees.of_kind(cluster.objects, "Namespace")
    }
    # (namespace, what, needs privileged) of every workload the tree brings.
    placed = [
        (w["metadata"]["namespace"], f"{w['kind']} {w['metadata']['name']}", needs)
        for w in cluster.objects
        if w["kind"] in WORKLOADS
        for needs in [needs_privileged(cluster, w)]
    ]
    placed += [
        (where, f"release in {where}", level == "privileged")
        for where, level in trees.release_levels(cluster.tree).items()
    ]
    assert placed, "the tree brings no workload"
    for where, what, needs in placed:
        assert where in levels, (what, where, sorted(levels))
        assert levels[where] == "privileged" or not needs, (what, where, levels[where])
    for name, level in levels.items():
        here = [(what, needs) for where, what, needs in placed if where == name]
        if level != "privileged":
            continue
        assert any(needs for _, needs in here), (name, "privileged with nothing needing it")
        if name == namespace == installer:
            continue  # asked for: one privileged namespace for both
        assert all(needs for _, needs in here), (name, here)
    for w in cluster.objects:
        if w["kind"] in WORKLOADS and levels[w["metadata"]["namespace"]] != "privileged":
            # Admitted where it is (its own ServiceAccount exists there).
            cluster.kube.create(pod_of(w, w["metadata"]["namespace"], POD_PREFIX), dry_run=True)
