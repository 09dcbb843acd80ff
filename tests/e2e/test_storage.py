"""DefaultStorageClass admission with the rendered StorageClass."""

from __future__ import annotations

import pytest

from . import trees
from .conftest import Cluster

pytestmark = pytest.mark.e2e


def test_pvc_without_class_gets_the_rendered_default(cluster: Cluster) -> None:
    """storageClass.default true: the server assigns the rendered class; false: no class."""
    cluster.require_applied("Namespace", "StorageClass")
    storage_class = trees.default_class(cluster.tree)
    [(namespace, _), *_others] = trees.provisioner_accounts(cluster.tree)
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "e2e-default-class", "namespace": namespace},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    created = cluster.kube.create(claim)
    assigned = created["spec"].get("storageClassName")
    if cluster.tree.default_class:
        assert storage_class is not None
        assert assigned == storage_class, f"{cluster.tree.values}: default true, got {assigned!r}"
    else:
        assert assigned is None, f"{cluster.tree.values}: default false, got {assigned!r}"
    stored = cluster.kube.get(claim)
    assert stored["spec"].get("storageClassName") == assigned


def test_exactly_one_storage_class_is_default(cluster: Cluster) -> None:
    cluster.require_applied("Namespace", "StorageClass")
    listing = cluster.kube.request("GET", "/apis/storage.k8s.io/v1/storageclasses")
    annotation = "storageclass.kubernetes.io/is-default-class"
    defaults = [
        sc["metadata"]["name"]
        for sc in listing["items"]
        if sc["metadata"].get("annotations", {}).get(annotation) == "true"
    ]
    assert len(defaults) == (1 if cluster.tree.default_class else 0), defaults
    assert defaults == [c for c in [trees.default_class(cluster.tree)] if c is not None]
