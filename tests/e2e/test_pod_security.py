"""Pod Security admission: the installer runs where it is meant to, and nowhere else."""

from __future__ import annotations

import copy

import pytest

from . import trees
from .conftest import Cluster
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
    level = trees.pod_security(cluster.tree)
    if level == "privileged":
        # An export served by csi-driver-nfs (its pods are privileged, on the host network): the
        # namespace is privileged by the values, and says so; the installer keeps its own.
        for namespace, _ in trees.provisioner_accounts(cluster.tree):
            labels = cluster.kube.get(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
            )["metadata"]["labels"]
            assert labels["pod-security.kubernetes.io/enforce"] == "privileged", labels
        return
    # Each provisioner's own ServiceAccount, so only Pod Security can be the reason for refusal.
    for namespace, account in trees.provisioner_accounts(cluster.tree):
        with pytest.raises(ApiError) as refused:
            cluster.kube.create(probe_pod(cluster, namespace, account))
        assert refused.value.code == 403, refused.value
        assert "violates PodSecurity" in refused.value.message, refused.value
