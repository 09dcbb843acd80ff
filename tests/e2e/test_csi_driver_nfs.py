"""csi-driver-nfs trees on a real control plane, through each engine (csi.py): the real chart
(4.13.4, from the loopback Helm repository) installed with the tree's values.

Per tree, one kube-apiserver with kube-controller-manager, with the snapshot CRDs a cluster with
snapshot support has. The chart's controller Deployment and node DaemonSet are in the driver's
own namespace (csi.namespace, privileged) and run as the tree's ServiceAccounts there; Pods made
from their templates are admitted by Pod Security there (no kubelet or scheduler runs, so a Pod
is the proof) and refused in a baseline namespace, the tree's `namespace` among them, which
stays baseline and admits the preflight Job's pod; the CSIDriver exists; the chart made no
RBAC, ServiceAccount or StorageClass; SubjectAccessReviews prove the tree grants exactly the
chart's rules for the rendered configuration (`helm template` with rbac.create on) minus the
one documented removal, cluster-wide `secrets: get`; a claim without a class gets the csi
class; the VolumeSnapshotClass is accepted where snapshots are on. What a test expects comes
from the values file and the chart's archive, never from the rendered tree.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from . import csi, trees
from .cluster import Certs
from .engines import PART_OF, Expect, control_plane, get, items, pod_of, refused_by_pod_security
from .kubeapi import ApiError, Obj

pytestmark = pytest.mark.e2e

RBAC = (
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
)
MUST_NOT_CREATE = {"StorageClass", "ServiceAccount", *(kind for _, kind in RBAC)}
VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
# The one rule of the chart the tree leaves out (README, "Two drivers"): the provisioner's
# cluster-wide read of Secrets, used only by provisioner-secret class parameters.
REMOVED = {("", "secrets", "get")}
APP_NAMESPACE = "some-app"
BASELINE = "e2e-baseline"
POD_PREFIX = "e2e-"  # the Pods made from the chart's workloads


def csi_tree_ids() -> list[str]:
    return trees.committed_ids(trees.CSI) + list(trees.csi_variant_values())


@pytest.fixture(scope="module", params=csi_tree_ids())
def installed(
    request: pytest.FixtureRequest,
    binaries: dict[str, Path],
    certs: Certs,
    etcd_url: str,
    crd_dir: Path,
    helm: Path,
    helm_repo: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[csi.Installed]:
    tree_id: str = request.param
    folder = tmp_path_factory.mktemp("csi")
    tree = csi.tree_of(tree_id, folder)
    assert tree.driver == trees.CSI, tree
    engine = csi.engine(tree)
    with ExitStack() as stack:
        plane = stack.enter_context(
            control_plane(binaries, certs, etcd_url, f"csi-{tree_id}", folder)
        )
        kube = plane.kube
        csi.install_snapshot_crds(kube, crd_dir)
        if engine == "flux":
            # The Flux controllers and CRDs only for a Flux tree.
            flux_bin, flux_crds = (request.getfixturevalue(f) for f in ("flux_bin", "flux_crds"))
            kinds = stack.enter_context(
                csi.installed_by_flux(tree, plane, folder, flux_bin, flux_crds, helm_repo)
            )
        elif engine == "kustomize":
            kinds = csi.installed_by_kustomize(tree, kube, folder, helm, helm_repo)
        else:
            kinds = csi.installed_by_argocd(tree, kube, folder, helm, helm_repo)
        yield csi.Installed(
            tree, engine, kube, Expect.of(tree.values), tree.directory / "helm-values.yaml", kinds
        )


# -- the chart's workloads ----------------------------------------------------------------------
def workloads(i: csi.Installed) -> dict[str, Obj]:
    """The chart's controller Deployment and node DaemonSet, by the names its values.yaml gives
    them, in the tree's namespace."""
    chart = csi.chart_values()
    found = {
        "controller": get(
            i.kube, "apps/v1", "Deployment", i.namespace, chart["controller"]["name"]
        ),
        "node": get(i.kube, "apps/v1", "DaemonSet", i.namespace, chart["node"]["name"]),
    }
    missing = [role for role, obj in found.items() if obj is None]
    assert not missing, (
        f"{missing} not in {i.namespace}; Deployments "
        f"{[d['metadata']['name'] for d in items(i.kube, 'apps/v1', 'Deployment')]}, DaemonSets "
        f"{[d['metadata']['name'] for d in items(i.kube, 'apps/v1', 'DaemonSet')]}"
    )
    return {role: obj for role, obj in found.items() if obj is not None}


def test_controller_and_node_run_as_the_trees_service_accounts(installed: csi.Installed) -> None:
    i = installed
    chart = csi.chart_values()["serviceAccount"]
    runs_as = {
        role: obj["spec"]["template"]["spec"].get("serviceAccountName")
        for role, obj in workloads(i).items()
    }
    assert runs_as == {"controller": chart["controller"], "node": chart["node"]}
    # Those accounts are the tree's (its label): the ones it puts in the namespace besides its
    # own Jobs' (the preflight).
    jobs = {
        j["spec"]["template"]["spec"].get("serviceAccountName")
        for j in items(i.kube, "batch/v1", "Job", i.namespace, PART_OF)
    }
    accounts = items(i.kube, "v1", "ServiceAccount", i.namespace, PART_OF)
    names = sorted(a["metadata"]["name"] for a in accounts if a["metadata"]["name"] not in jobs)
    assert names == sorted(runs_as.values())


def test_pods_are_admitted_by_pod_security_in_the_drivers_namespace(
    installed: csi.Installed,
) -> None:
    i = installed
    assert i.namespace != i.expect.namespace, "the driver shares the tree's namespace"
    labels = level_labels(i, i.namespace)
    assert labels.get("pod-security.kubernetes.io/enforce") == "privileged", labels
    for workload in workloads(i).values():
        pod = i.kube.create(pod_of(workload, i.namespace, POD_PREFIX), dry_run=True)
        assert (
            pod["spec"]["serviceAccountName"]
            == workload["spec"]["template"]["spec"]["serviceAccountName"]
        )


def level_labels(i: csi.Installed, namespace: str) -> dict[str, str]:
    found = i.kube.get({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    labels: dict[str, str] = found["metadata"].get("labels", {})
    return labels


def test_the_trees_namespace_is_baseline_and_admits_the_preflight(
    installed: csi.Installed,
) -> None:
    """Everything else of the tree stays in `namespace`, baseline: the preflight Job's pod is
    admitted there, the driver's pods are refused there (no pod needing privileged is there)."""
    i = installed
    labels = level_labels(i, i.expect.namespace)
    assert labels.get("pod-security.kubernetes.io/enforce") == "baseline", labels
    jobs = items(i.kube, "batch/v1", "Job", i.expect.namespace, PART_OF)
    preflight = trees.values_of(i.tree.values).get("preflight") or {}
    assert len(jobs) == (0 if preflight.get("enabled") is False else len(i.expect.exports))
    for job in jobs:
        pod = i.kube.create(pod_of(job, i.expect.namespace, POD_PREFIX), dry_run=True)
        assert pod["metadata"]["namespace"] == i.expect.namespace
    for workload in workloads(i).values():
        refused_by_pod_security(i.kube, pod_of(workload, i.expect.namespace, POD_PREFIX))
    # Nothing of the chart's landed there.
    for api, kind in (("apps/v1", "Deployment"), ("apps/v1", "DaemonSet")):
        assert items(i.kube, api, kind, i.expect.namespace, "helm.sh/chart") == [], kind


def test_the_same_pods_are_refused_in_a_baseline_namespace(installed: csi.Installed) -> None:
    """The control: Pod Security does check these pods (privileged, host network, hostPath)."""
    i = installed
    i.kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": BASELINE,
                "labels": {"pod-security.kubernetes.io/enforce": "baseline"},
            },
        }
    )
    for workload in workloads(i).values():
        account = workload["spec"]["template"]["spec"]["serviceAccountName"]
        # The same account there, so only Pod Security can be the reason for a refusal.
        i.kube.apply(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": account, "namespace": BASELINE},
            }
        )
        with pytest.raises(ApiError) as refused:
            i.kube.create(pod_of(workload, BASELINE, POD_PREFIX), dry_run=True)
        assert refused.value.code == 403, refused.value
        assert "violates PodSecurity" in refused.value.message, refused.value
        assert "hostNetwork" in refused.value.message, refused.value


# Where each distribution's kubelet keeps pods and plugins (reference: the chart's README for
# microk8s, k0s's documentation; the others use the kubelet's default).
KUBELET_DIRS = {
    "microk8s": "/var/snap/microk8s/common/var/lib/kubelet",
    "k0s": "/var/lib/k0s/kubelet",
}


def test_node_plugin_mounts_the_distributions_kubelet_dir(installed: csi.Installed) -> None:
    distribution = trees.values_of(installed.tree.values).get("distribution", "generic")
    kubelet = KUBELET_DIRS.get(distribution, "/var/lib/kubelet")
    volumes = workloads(installed)["node"]["spec"]["template"]["spec"]["volumes"]
    paths = {v["hostPath"]["path"] for v in volumes if "hostPath" in v}
    assert {
        f"{kubelet}/pods",
        f"{kubelet}/plugins/csi-nfsplugin",
        f"{kubelet}/plugins_registry",
    } <= paths, paths


def test_csi_driver_exists(installed: csi.Installed) -> None:
    name = csi.chart_values()["driver"]["name"]
    driver = get(installed.kube, "storage.k8s.io/v1", "CSIDriver", None, name)
    assert driver is not None, f"no CSIDriver {name}"
    assert driver["spec"]["attachRequired"] is False


def test_chart_created_no_rbac_service_account_or_class(installed: csi.Installed) -> None:
    i = installed
    assert {"Deployment", "DaemonSet", "CSIDriver"} <= set(i.chart_kinds), i.chart_kinds
    assert not MUST_NOT_CREATE & set(i.chart_kinds), i.chart_kinds
    # In the cluster: nothing of those kinds carries the chart's label (the chart's Deployment
    # does, so the selector would find them).
    selector = "helm.sh/chart"
    assert items(i.kube, "apps/v1", "Deployment", i.namespace, selector)
    for api, kind in (
        ("storage.k8s.io/v1", "StorageClass"),
        ("v1", "ServiceAccount"),
        *RBAC,
    ):
        found = items(i.kube, api, kind, None, selector)
        assert found == [], (kind, [o["metadata"]["name"] for o in found])


# -- RBAC: exactly the chart's, minus the documented removal --------------------------------------
@pytest.fixture(scope="module")
def chart_rules(
    installed: csi.Installed, helm: Path, tmp_path_factory: pytest.TempPathFactory
) -> set[csi.Triple]:
    """The rules the chart grants its controller ServiceAccount for the tree's configuration:
    `helm template` of the real chart with the tree's values, its RBAC switched back on."""
    rendered = csi.helm_template(
        helm,
        installed.helm_values,
        installed.namespace,
        tmp_path_factory.mktemp("helm"),
        "rbac.create=true",
        "serviceAccount.create=true",
    )
    account = csi.chart_values()["serviceAccount"]["controller"]
    rules = csi.granted(rendered, installed.namespace, account)
    node = csi.chart_values()["serviceAccount"]["node"]
    assert csi.granted(rendered, installed.namespace, node) == set(), "node SA has RBAC"
    assert rules >= REMOVED, "the chart no longer grants what the tree removes"
    return rules


def account_of(i: csi.Installed, role: str) -> tuple[str, list[str]]:
    name = csi.chart_values()["serviceAccount"][role]
    namespace = i.namespace
    groups = [
        "system:serviceaccounts",
        f"system:serviceaccounts:{namespace}",
        "system:authenticated",
    ]
    return f"system:serviceaccount:{namespace}:{name}", groups


def test_every_rule_of_the_chart_but_the_removal_is_allowed(
    installed: csi.Installed, chart_rules: set[csi.Triple]
) -> None:
    user, groups = account_of(installed, "controller")
    kube = installed.kube
    # ClusterRoles bound cluster-wide: allowed across the cluster and in any namespace.
    denied = [
        (rule, where)
        for rule in sorted(chart_rules - REMOVED)
        for where in (None, APP_NAMESPACE)
        if not kube.can(user, groups, rule[2], rule[1], rule[0], where)
    ]
    assert not denied, f"{user} is denied: {denied}"


def test_the_removed_secrets_read_is_denied_everywhere(
    installed: csi.Installed, chart_rules: set[csi.Triple]
) -> None:
    user, groups = account_of(installed, "controller")
    for namespace in (None, installed.namespace, APP_NAMESPACE):
        for group, resource, verb in REMOVED:
            assert not installed.kube.can(user, groups, verb, resource, group, namespace), (
                f"{user} may {verb} {resource} in {namespace or 'the cluster'}"
            )


def test_nothing_beyond_the_charts_rules_is_allowed(
    installed: csi.Installed, chart_rules: set[csi.Triple]
) -> None:
    """Every verb on every resource the chart names, asked of the authorizer: allowed exactly
    when the chart grants it (the removal aside); and the rules review agrees."""
    user, groups = account_of(installed, "controller")
    kube = installed.kube
    expected = chart_rules - REMOVED
    resources = sorted({(group, resource) for group, resource, _ in chart_rules})
    wrong = []
    for group, resource in resources:
        for verb in VERBS:
            allowed = kube.can(user, groups, verb, resource, group, None)
            if allowed is not ((group, resource, verb) in expected):
                wrong.append((group, resource, verb, allowed))
    assert not wrong, f"(group, resource, verb, allowed) against the chart: {wrong}"
    nobody = f"system:serviceaccount:{installed.namespace}:e2e-no-bindings"
    for namespace in (installed.namespace, APP_NAMESPACE):
        got = kube.rules(user, namespace) - kube.rules(nobody, namespace)
        assert got == expected, (
            f"in {namespace}: extra {sorted(got - expected)}, missing {sorted(expected - got)}"
        )
    node, _ = account_of(installed, "node")
    for namespace in (installed.namespace, APP_NAMESPACE):
        assert kube.rules(node, namespace) == kube.rules(nobody, namespace), namespace


# -- the StorageClass and the VolumeSnapshotClass -------------------------------------------------
def test_claim_without_class_gets_the_csi_class(installed: csi.Installed) -> None:
    i = installed
    provisioner = csi.chart_values()["driver"]["name"]
    classes = [
        c
        for c in items(i.kube, "storage.k8s.io/v1", "StorageClass", None, PART_OF)
        if c["provisioner"] == provisioner
    ]
    assert len(classes) == 1, [c["metadata"]["name"] for c in classes]
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "e2e-default-class", "namespace": i.namespace},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    created = i.kube.create(claim, dry_run=True)
    assigned = created["spec"].get("storageClassName")
    if i.tree.default_class:
        assert assigned == classes[0]["metadata"]["name"]
    else:
        assert assigned is None


def test_snapshot_class_and_sidecar_follow_the_values(installed: csi.Installed) -> None:
    i = installed
    driver = csi.chart_values()["driver"]["name"]
    found = items(i.kube, "snapshot.storage.k8s.io/v1", "VolumeSnapshotClass", None, PART_OF)
    containers = {
        c["name"] for c in workloads(i)["controller"]["spec"]["template"]["spec"]["containers"]
    }
    if i.snapshots:
        assert [c["driver"] for c in found] == [driver], found
        assert "csi-snapshotter" in containers, containers
        # The CRD's schema is enforced (a VolumeSnapshotClass is not taken as it comes).
        bad = copy.deepcopy(found[0])
        bad["metadata"] = {"name": "e2e-bad"}
        bad["deletionPolicy"] = "Archive"
        with pytest.raises(ApiError) as refused:
            i.kube.create(bad, dry_run=True)
        assert refused.value.code == 422, refused.value
    else:
        assert found == []
        assert "csi-snapshotter" not in containers, containers


# -- helm template of the real chart with the tree's values (no cluster) --------------------------
@pytest.mark.parametrize("tree_id", csi_tree_ids())
def test_helm_template_renders_no_rbac_service_account_or_class(
    tree_id: str, helm: Path, tmp_path: Path
) -> None:
    """The tree's helm-values.yaml switches off everything the tree renders itself: the chart
    renders only its workloads and the CSIDriver (and never snapshot CRDs or the
    snapshot-controller, which are one per cluster and installed apart)."""
    tree = csi.tree_of(tree_id, tmp_path)
    namespace = next(x.namespace for x in Expect.of(tree.values).releases if x.driver == trees.CSI)
    objects = csi.helm_template(helm, tree.directory / "helm-values.yaml", namespace, tmp_path)
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == ["CSIDriver", "DaemonSet", "Deployment"], kinds
    # The control: the chart's defaults do render them.
    defaults = csi.helm_template(
        helm,
        tree.directory / "helm-values.yaml",
        namespace,
        tmp_path,
        "rbac.create=true",
        "serviceAccount.create=true",
    )
    assert MUST_NOT_CREATE - {"StorageClass", "Role", "RoleBinding"} <= {
        o["kind"] for o in defaults
    }
