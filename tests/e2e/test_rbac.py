"""RBAC of the provisioner's ServiceAccount, asked of the API server's own authorizer.

The expected rules are those the upstream chart grants (reference/nfs-subdir-external-provisioner
.md) for the configuration: a ClusterRole for volumes, claims, classes, nodes and events, and a
Role on Endpoints for leader election in the provisioner's namespace, minus the removal the
README lists: no endpoints Role without leader election (one replica, the default). Whether a
tree elects a leader comes from its values file, and so do the ServiceAccounts: one per
provisioner (a cluster with several exports has one per release), each checked on its own.
"""

from __future__ import annotations

import pytest

from . import trees
from .conftest import Cluster

pytestmark = pytest.mark.e2e

RBAC_KINDS = (
    "Namespace",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
)
APP_NAMESPACE = "some-app"  # where users create their claims; any namespace will do

CLUSTER_RULES = {
    ("", "nodes"): {"get", "list", "watch"},
    ("", "persistentvolumes"): {"get", "list", "watch", "create", "delete"},
    ("", "persistentvolumeclaims"): {"get", "list", "watch", "update"},
    ("storage.k8s.io", "storageclasses"): {"get", "list", "watch"},
    ("", "events"): {"create", "update", "patch"},
}
LEADER_RULES = {("", "endpoints"): {"get", "list", "watch", "create", "update", "patch"}}


def triples(rules: dict[tuple[str, str], set[str]]) -> set[tuple[str, str, str]]:
    return {(group, resource, verb) for (group, resource), verbs in rules.items() for verb in verbs}


Account = tuple[str, str, list[str]]  # (namespace, user, groups) of a ServiceAccount


@pytest.fixture(scope="session")
def accounts(cluster: Cluster) -> list[Account]:
    """Every provisioner's ServiceAccount as the authorizer sees it."""
    cluster.require_applied(*RBAC_KINDS)
    found = []
    # This chart's rules: the nfs-subdir-external-provisioner exports' accounts (a mixed tree's
    # csi-driver-nfs account is the csi suite's).
    for namespace, name in trees.provisioner_accounts(cluster.tree, trees.SUBDIR):
        groups = [
            "system:serviceaccounts",
            f"system:serviceaccounts:{namespace}",
            "system:authenticated",
        ]
        found.append((namespace, f"system:serviceaccount:{namespace}:{name}", groups))
    assert found
    return found


@pytest.mark.parametrize(
    ("verb", "group", "resource", "where"),
    [
        ("create", "", "persistentvolumes", None),
        ("delete", "", "persistentvolumes", None),
        ("watch", "", "persistentvolumes", None),
        ("update", "", "persistentvolumeclaims", APP_NAMESPACE),
        ("list", "", "persistentvolumeclaims", None),
        ("get", "storage.k8s.io", "storageclasses", None),
        ("create", "", "events", APP_NAMESPACE),
        ("patch", "", "events", APP_NAMESPACE),
        ("get", "", "nodes", None),
    ],
)
def test_allowed(
    cluster: Cluster,
    accounts: list[Account],
    verb: str,
    group: str,
    resource: str,
    where: str | None,
) -> None:
    for own, user, groups in accounts:
        namespace = own if where == "own" else where
        assert cluster.kube.can(user, groups, verb, resource, group, namespace), (
            f"{user} may not {verb} {resource} in {namespace or 'the cluster'}"
        )


@pytest.mark.parametrize(
    ("verb", "group", "resource", "where"),
    [
        ("get", "", "secrets", "own"),
        ("get", "", "secrets", APP_NAMESPACE),
        ("list", "", "secrets", None),
        ("delete", "", "nodes", None),
        ("update", "", "nodes", None),
        ("update", "", "persistentvolumes", None),
        ("patch", "", "persistentvolumes", None),
        ("delete", "", "persistentvolumeclaims", APP_NAMESPACE),
        ("create", "", "persistentvolumeclaims", APP_NAMESPACE),
        ("create", "storage.k8s.io", "storageclasses", None),
        ("create", "", "pods", "own"),
        ("create", "coordination.k8s.io", "leases", "own"),
        ("get", "", "endpoints", APP_NAMESPACE),
        ("create", "", "endpoints", APP_NAMESPACE),
        ("update", "", "endpoints", APP_NAMESPACE),
        ("update", "", "endpoints", "other"),
    ],
)
def test_denied(
    cluster: Cluster,
    accounts: list[Account],
    verb: str,
    group: str,
    resource: str,
    where: str | None,
) -> None:
    # Another namespace of the tree: the installer's, else one every cluster has.
    other = (
        "kube-system"
        if not cluster.tree.installer
        else trees.installer(cluster.objects)["metadata"]["namespace"]
    )
    for own, user, groups in accounts:
        namespace = {"own": own, "other": other}.get(where or "", where)
        assert namespace != own or where == "own", f"{where} is the provisioner's namespace"
        assert not cluster.kube.can(user, groups, verb, resource, group, namespace), (
            f"{user} may {verb} {resource} in {namespace or 'the cluster'}"
        )


@pytest.mark.parametrize("verb", ["get", "create", "update"])
def test_endpoints_only_with_leader_election(
    cluster: Cluster, accounts: list[Account], verb: str
) -> None:
    for own, user, groups in accounts:
        allowed = cluster.kube.can(user, groups, verb, "endpoints", "", own)
        assert allowed is cluster.tree.leader_election, (
            f"{user} {'may' if allowed else 'may not'} {verb} endpoints in {own}; leader "
            f"election is {'on' if cluster.tree.leader_election else 'off'} in "
            f"{cluster.tree.values}"
        )


def test_rules_are_exactly_the_charts(cluster: Cluster, accounts: list[Account]) -> None:
    leader = LEADER_RULES if cluster.tree.leader_election else {}
    for own, user, _ in accounts:
        # What any ServiceAccount of the namespace may do through the bootstrap roles alone.
        nobody = f"system:serviceaccount:{own}:e2e-no-bindings"
        for namespace, expected in (
            (own, CLUSTER_RULES | leader),
            (APP_NAMESPACE, CLUSTER_RULES),
        ):
            granted = cluster.kube.rules(user, namespace) - cluster.kube.rules(nobody, namespace)
            want = triples(expected)
            assert granted == want, f"{user} in {namespace}: " + _diff(granted, want)


def _diff(got: set[tuple[str, str, str]], want: set[tuple[str, str, str]]) -> str:
    return f"extra: {sorted(got - want)}\nmissing: {sorted(want - got)}"
