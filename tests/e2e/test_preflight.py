"""The preflight Jobs (one per export): accepted by the API server and admitted by Pod Security
where they run."""

from __future__ import annotations

import copy

import pytest

from . import trees
from .conftest import Cluster
from .kubeapi import ApiError, Obj

pytestmark = pytest.mark.e2e


def preflight_jobs(cluster: Cluster) -> list[Obj]:
    """The tree's Jobs: one per export, as many as the values list (the single form: one)."""
    jobs = trees.of_kind(cluster.objects, "Job")
    assert len(jobs) == len(trees.exports_of(cluster.tree.values)), len(jobs)
    return jobs


def pod_from(job: Obj, namespace: str, name: str) -> Obj:
    """A Pod made from the Job's pod template, as the Job controller would make it."""
    template = copy.deepcopy(job["spec"]["template"])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": template["metadata"]["labels"],
        },
        "spec": template["spec"],
    }


def test_preflight_job_is_applied(cluster: Cluster) -> None:
    cluster.require_applied("Namespace", "ServiceAccount", "Job")
    probed = []
    for job in preflight_jobs(cluster):
        stored = cluster.kube.get(job)
        assert stored["spec"]["template"]["spec"]["automountServiceAccountToken"] is False
        assert stored["metadata"]["name"].startswith("nfs-preflight-")
        env = stored["spec"]["template"]["spec"]["containers"][0]["env"]
        probed += [e["value"] for e in env if e["name"] == "PREFLIGHT_EXPORT"]
    exports = trees.exports_of(cluster.tree.values)
    assert sorted(probed) == sorted(f"{e.server}:{e.path}" for e in exports)


def test_preflight_pod_admitted_in_its_namespace(cluster: Cluster) -> None:
    cluster.require_applied("Namespace", "ServiceAccount", "Job")
    for index, job in enumerate(preflight_jobs(cluster)):
        namespace = job["metadata"]["namespace"]
        enforce = cluster.kube.get(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        )["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        assert enforce in ("baseline", "privileged")
        pod = cluster.kube.create(pod_from(job, namespace, f"e2e-preflight-probe-{index}"))
        assert pod["spec"]["containers"][0]["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert cluster.kube.get(pod)["status"]["phase"] == "Pending"  # never scheduled: no nodes


def test_preflight_pod_is_not_restricted(cluster: Cluster) -> None:
    """It runs as root with three capabilities on purpose: restricted refuses it for exactly
    that (and an inline nfs volume), so baseline is the least level it can run at."""
    cluster.require_applied("Namespace", "ServiceAccount", "Job")
    for job in preflight_jobs(cluster):
        _refused_where_restricted(cluster, job)


def _refused_where_restricted(cluster: Cluster, job: Obj) -> None:
    name = f"e2e-restricted-{job['metadata']['name']}"
    cluster.kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
            },
        }
    )
    cluster.kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "nfs-preflight", "namespace": name},
        }
    )
    with pytest.raises(ApiError) as refused:
        cluster.kube.create(pod_from(job, name, "e2e-preflight-probe"))
    assert refused.value.code == 403, refused.value
    message = refused.value.message
    assert "violates PodSecurity" in message, message
    assert 'unrestricted capabilities (container "probe" must not include "CHOWN", ' in message
    assert "runAsNonRoot != true" in message
    if "nfs" in job["spec"]["template"]["spec"]["volumes"][0]:
        assert "volume types" in message  # nfs: allowed by baseline, not by restricted
