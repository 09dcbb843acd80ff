"""Several exports on a real API server: every export's class accepted with its own
provisioner, one default at most (a class-less claim gets it), and the SubjectAccessReviews of
each provisioner hold on their own. Runs for every tree; the single form is one export, and
output/studio and the `exports` variant have several.

With the real engines, every release installs the real chart with its own PROVISIONER_NAME
(tests/e2e/engines.py: check_env, used by the Flux loop and the kustomize engine test)."""

from __future__ import annotations

import pytest

from . import trees
from .conftest import Cluster

pytestmark = pytest.mark.e2e

DEFAULT = "storageclass.kubernetes.io/is-default-class"


def test_several_exports_are_covered() -> None:
    """The suite holds trees with several exports (else the tests below prove little)."""
    several = [
        tree_id
        for tree_id in trees.tree_ids()
        if tree_id.startswith("output/")
        and len(trees.exports_of(trees.committed(tree_id).values)) > 1
    ]
    assert "output/studio" in several
    assert len(trees.exports_of_variant("exports")) > 1


def test_every_exports_class_is_accepted_with_its_own_provisioner(cluster: Cluster) -> None:
    cluster.require_applied("StorageClass")
    exports = trees.exports_of(cluster.tree.values)
    stored = {
        c["metadata"]["name"]: c
        for c in cluster.kube.request("GET", "/apis/storage.k8s.io/v1/storageclasses")["items"]
    }
    for export in exports:
        assert export.storage_class in stored, (export, sorted(stored))
        obj = stored[export.storage_class]
        assert obj["provisioner"] == export.provisioner, obj
        flag = obj["metadata"].get("annotations", {}).get(DEFAULT)
        assert flag == ("true" if export.default else "false"), (export.storage_class, flag)
    provisioners = [stored[e.storage_class]["provisioner"] for e in exports]
    releases = [e.release for e in exports]
    # One provisioner per release: two exports never share one (they would act on both).
    assert len(set(provisioners)) == len(set(releases)), provisioners


def test_each_provisioner_may_act_only_as_itself(cluster: Cluster) -> None:
    """Every provisioner's ServiceAccount holds its bindings, and no binding names another's:
    the per-release ClusterRoleBindings are distinct objects."""
    cluster.require_applied("ServiceAccount", "ClusterRole", "ClusterRoleBinding")
    exports = trees.exports_of(cluster.tree.values)
    releases = {e.release: e for e in exports}
    accounts = trees.provisioner_accounts(cluster.tree)
    assert len(accounts) == len(releases)
    bindings = cluster.kube.request(
        "GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"
    )["items"]
    for release in releases.values():
        namespace, name = release.namespace, release.service_account
        user = f"system:serviceaccount:{namespace}:{name}"
        groups = ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"]
        assert cluster.kube.can(user, groups, "create", "persistentvolumes", "", None), user
        # Provisioning for another export is not a matter of RBAC (the class names the
        # provisioner); what must hold is that each account is bound by its own bindings only.
        bound = sorted(
            b["metadata"]["name"]
            for b in bindings
            if {"kind": "ServiceAccount", "name": name, "namespace": namespace}
            in (b.get("subjects") or [])
        )
        assert bound == sorted(release.bindings), (user, bound)


def test_a_claim_without_class_gets_the_one_default(cluster: Cluster) -> None:
    cluster.require_applied("Namespace", "StorageClass")
    defaults = [e.storage_class for e in trees.exports_of(cluster.tree.values) if e.default]
    assert len(defaults) <= 1, defaults
    namespace = trees.provisioner_accounts(cluster.tree)[0][0]
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "e2e-exports-default", "namespace": namespace},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    created = cluster.kube.create(claim)
    assert created["spec"].get("storageClassName") == (defaults[0] if defaults else None)


def test_each_release_runs_in_a_namespace_at_its_drivers_level(cluster: Cluster) -> None:
    """Mixed drivers: every nfs-subdir-external-provisioner release in `namespace` (baseline,
    with the preflight Jobs), the csi-driver-nfs release in its own privileged namespace; its
    ServiceAccounts are there, not in `namespace`."""
    cluster.require_applied("Namespace", "ServiceAccount")
    values = trees.values_of(cluster.tree.values)
    namespace = values.get("namespace", "nfs-provisioner")
    shared = (values.get("nodeInstaller") or {}).get("namespace") == namespace
    levels = trees.release_levels(cluster.tree)
    for export in trees.exports_of(cluster.tree.values):
        labels = cluster.kube.get(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": export.namespace}}
        )["metadata"]["labels"]
        enforce = labels["pod-security.kubernetes.io/enforce"]
        if export.driver == trees.CSI:
            assert export.namespace != namespace, export
            assert enforce == levels[export.namespace] == "privileged", (export, labels)
        else:
            assert export.namespace == namespace, export
            assert enforce == ("privileged" if shared else "baseline"), (export, labels)
        for account in export.accounts:
            found = cluster.kube.get(
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": account, "namespace": export.namespace},
                }
            )
            assert found["metadata"]["namespace"] == export.namespace
