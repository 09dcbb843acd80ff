"""RBAC of the provisioner's ServiceAccount, asked of the API server's own authorizer.

The expected rules are those the upstream chart grants (reference/nfs-subdir-external-provisioner
.md) for the configuration: a ClusterRole for volumes, claims, classes, nodes and events, and a
Role on Endpoints for leader election in the provisioner's namespace, minus the removal the
README lists: no endpoints Role without leader election (one replica, the default). Whether a
tree elects a leader comes from its values file. The ServiceAccount is read from the tree.
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


@pytest.fixture(scope="session")
def account(cluster: Cluster) -> tuple[str, str, list[str]]:
    cluster.require_applied(*RBAC_KINDS)
    namespace, name = trees.provisioner_account(cluster.objects)
    groups = [
        "system:serviceaccounts",
        f"system:serviceaccounts:{namespace}",
        "system:authenticated",
    ]
    return namespace, f"system:serviceaccount:{namespace}:{name}", groups


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
    account: tuple[str, str, list[str]],
    verb: str,
    group: str,
    resource: str,
    where: str | None,
) -> None:
    own, user, groups = account
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
    account: tuple[str, str, list[str]],
    verb: str,
    group: str,
    resource: str,
    where: str | None,
) -> None:
    own, user, groups = account
    # Another namespace of the tree: the installer's, else one every cluster has.
    other = (
        "kube-system"
        if not cluster.tree.installer
        else trees.installer(cluster.objects)["metadata"]["namespace"]
    )
    namespace = {"own": own, "other": other}.get(where or "", where)
    assert namespace != own or where == "own", f"{where} is the provisioner's namespace"
    assert not cluster.kube.can(user, groups, verb, resource, group, namespace), (
        f"{user} may {verb} {resource} in {namespace or 'the cluster'}"
    )


@pytest.mark.parametrize("verb", ["get", "create", "update"])
def test_endpoints_only_with_leader_election(
    cluster: Cluster, account: tuple[str, str, list[str]], verb: str
) -> None:
    own, user, groups = account
    allowed = cluster.kube.can(user, groups, verb, "endpoints", "", own)
    assert allowed is cluster.tree.leader_election, (
        f"{user} {'may' if allowed else 'may not'} {verb} endpoints in {own}; leader election "
        f"is {'on' if cluster.tree.leader_election else 'off'} in {cluster.tree.values}"
    )


def test_rules_are_exactly_the_charts(
    cluster: Cluster, account: tuple[str, str, list[str]]
) -> None:
    own, user, _ = account
    # What any ServiceAccount of the namespace may do through the bootstrap roles alone.
    nobody = f"system:serviceaccount:{own}:e2e-no-bindings"
    leader = LEADER_RULES if cluster.tree.leader_election else {}
    for namespace, expected in (
        (own, CLUSTER_RULES | leader),
        (APP_NAMESPACE, CLUSTER_RULES),
    ):
        granted = cluster.kube.rules(user, namespace) - cluster.kube.rules(nobody, namespace)
        assert granted == triples(expected), f"in {namespace}: " + _diff(granted, triples(expected))


def _diff(got: set[tuple[str, str, str]], want: set[tuple[str, str, str]]) -> str:
    return f"extra: {sorted(got - want)}\nmissing: {sorted(want - got)}"
