"""Pod Security admission: the installer runs where it is meant to, and nowhere else."""

from __future__ import annotations

import copy

import pytest

from . import trees
from .conftest import Cluster
from .kubeapi import ApiError, Obj

pytestmark = pytest.mark.e2e


def installer_pod(cluster: Cluster, namespace: str, service_account: str | None) -> Obj:
    template = copy.deepcopy(trees.installer(cluster.objects)["spec"]["template"])
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
    cluster.require_applied()
    namespace = trees.installer(cluster.objects)["metadata"]["namespace"]
    pod = cluster.kube.create(installer_pod(cluster, namespace, None))
    assert pod["metadata"]["namespace"] == namespace
    assert cluster.kube.get(pod)["status"]["phase"] == "Pending"  # no nodes: never scheduled


def test_installer_pod_refused_in_provisioner_namespace(cluster: Cluster) -> None:
    cluster.require_applied()
    namespace, account = trees.provisioner_account(cluster.objects)
    # The provisioner's own ServiceAccount, so only Pod Security can be the reason for refusal.
    with pytest.raises(ApiError) as refused:
        cluster.kube.create(installer_pod(cluster, namespace, account))
    assert refused.value.code == 403, refused.value
    assert "violates PodSecurity" in refused.value.message, refused.value
