"""Every rendered tree is accepted, object by object, by a real kube-apiserver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import crds, trees
from .conftest import Cluster

pytestmark = pytest.mark.e2e

KUBE_VERSION = "v1.37.2"


def test_server_is_the_pinned_kubernetes(cluster: Cluster) -> None:
    version = cluster.kube.request("GET", "/version")
    assert version["gitVersion"] == KUBE_VERSION, version
    assert (version["major"], version["minor"]) == ("1", "37"), version


def test_custom_kinds_served_by_generated_crds(cluster: Cluster, crd_dir: Path) -> None:
    """Each kind outside the built-in API groups is served, by a real CRD generated from the
    pinned upstream API modules (make crds)."""
    for obj in cluster.objects:
        cluster.kube.resource(obj["apiVersion"], obj["kind"])
    custom = {o["kind"] for o in cluster.objects if not crds.is_builtin_group(o["apiVersion"])}
    assert custom <= crds.served_kinds(crd_dir, cluster.crds), (custom, cluster.crds)


def test_every_object_accepted_by_server_side_apply(cluster: Cluster) -> None:
    assert cluster.objects, f"{cluster.tree.id}: kustomize build produced no objects"
    assert not cluster.errors, "objects refused:\n" + "\n".join(cluster.errors)


def test_every_object_stored_as_rendered(cluster: Cluster) -> None:
    """Read each accepted object back: the API server dropped none of its rendered fields
    (refused objects are reported by the test above)."""
    refused = [id(obj) for obj, _ in cluster.refused]
    for obj in cluster.objects:
        if id(obj) in refused:
            continue
        stored = cluster.kube.get(obj)
        for key, value in obj.items():
            if key in ("apiVersion", "kind", "metadata", "status"):
                continue
            assert _contains(stored[key], value), (
                f"{obj['kind']} {obj['metadata']['name']}: {key} changed on the server:\n"
                f"rendered {json.dumps(value, sort_keys=True)}\n"
                f"stored   {json.dumps(stored[key], sort_keys=True)}"
            )
        meta = stored["metadata"]
        for part in ("labels", "annotations"):
            assert _contains(meta.get(part, {}), obj["metadata"].get(part, {}))


def _contains(stored: object, rendered: object) -> bool:
    """True when every rendered value is in the stored one (the server may add defaults)."""
    if isinstance(rendered, dict):
        return isinstance(stored, dict) and all(
            k in stored and _contains(stored[k], v) for k, v in rendered.items()
        )
    if isinstance(rendered, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(rendered)
            and all(_contains(s, r) for s, r in zip(stored, rendered, strict=True))
        )
    if isinstance(rendered, (int, float)) and isinstance(stored, (int, float)):
        return rendered == stored
    return bool(stored == rendered)


def test_installer_present_as_the_values_say(cluster: Cluster) -> None:
    daemonsets = trees.of_kind(cluster.objects, "DaemonSet")
    assert len(daemonsets) == (1 if cluster.tree.installer else 0), cluster.tree.values


def test_tree_keeps_installer_and_provisioner_apart(cluster: Cluster) -> None:
    if not cluster.tree.installer:
        # Without the installer nothing in the tree may be privileged.
        levels = [
            ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce")
            for ns in trees.of_kind(cluster.objects, "Namespace")
        ]
        assert levels and "privileged" not in levels, levels
        return
    ds_namespace = trees.installer(cluster.objects)["metadata"]["namespace"]
    for sa_namespace, _ in trees.provisioner_accounts(cluster.tree):
        assert ds_namespace != sa_namespace
