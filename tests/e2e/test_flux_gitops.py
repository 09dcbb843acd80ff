"""The whole GitOps loop with the real Flux controllers, for every Flux tree.

Per tree: kube-apiserver, kube-controller-manager and the three Flux controllers; a loopback Git
server holding the fleet repository (gitops.py) and a loopback Helm repository with the published
chart. The harness applies what `flux bootstrap` would, then only commits: Flux clones, builds the
tree, installs the chart, upgrades it on a values change and prunes the tree when the cluster's
values file goes. Every assertion reads the cluster.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from . import trees
from .cluster import Certs
from .controllers import FLUX_NAMESPACE, flux
from .engines import (
    PART_OF,
    RELEASE_MUST_NOT_CREATE,
    ControlPlane,
    Expect,
    check_env,
    check_service_account,
    condition,
    control_plane,
    engine_of,
    get,
    is_ready,
    items,
    pod_of,
    refused_by_pod_security,
    wait_for,
)
from .gitops import Fleet, install_flux_crds, stand_in_for_the_kubelet
from .kubeapi import Kube, Obj
from .servers import git_server

SOURCE = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE = "kustomize.toolkit.fluxcd.io/v1"
HELM = "helm.toolkit.fluxcd.io/v2"
NEW_SERVER = "192.0.2.10"
ADMITTED = "e2e-admitted-"  # the prefix of the Pods made from released workloads


def flux_tree_ids() -> list[str]:
    """Every tree the e2e suite renders whose engine is flux (committed and variants)."""
    ids = [t for t in trees.committed_ids() if engine_of(trees.committed(t).values) == "flux"]
    variants = trees.variant_values()
    return ids + [
        t for t, v in variants.items() if (v.get("gitops") or {}).get("engine", "flux") == "flux"
    ]


class StageFailed(str):
    """The message of a loop stage that failed."""


@dataclass
class Loop:
    plane: ControlPlane
    fleet: Fleet
    expect: Expect
    logs: Path
    commits: list[str] = field(default_factory=list)
    stages: dict[str, object] = field(default_factory=dict)

    @property
    def kube(self) -> Kube:
        return self.plane.kube

    def explain(self) -> str:
        """Status of every Flux object and the controllers' last log lines, for a failure."""
        lines = []
        for api, kind in (
            (SOURCE, "GitRepository"),
            (KUSTOMIZE, "Kustomization"),
            (SOURCE, "HelmRepository"),
            (SOURCE, "HelmChart"),
            (HELM, "HelmRelease"),
        ):
            for obj in items(self.kube, api, kind):
                ready = condition(obj)
                lines.append(
                    f"{kind} {obj['metadata']['namespace']}/{obj['metadata']['name']}: "
                    f"{ready.get('status')} {ready.get('reason')}: {ready.get('message')}"
                )
        for log in sorted(self.logs.glob("*-controller.log")):
            text = log.read_text(errors="replace").splitlines()
            errors = [line for line in text if '"level":"error"' in line][-5:]
            lines += [f"--- {log.name} (last errors)", *errors]
        return "\n".join(lines)

    def poke(self, path: str = f"{SOURCE}/namespaces/{FLUX_NAMESPACE}/gitrepositories") -> None:
        """Ask the source to fetch now rather than at its next interval (what `flux reconcile
        source git` does); with another path, a Kustomization (`flux reconcile ks`)."""
        stamp = datetime.datetime.now(datetime.UTC).isoformat()
        name = "flux-system" if path.endswith("gitrepositories") else ""
        self.kube.request(
            "PATCH",
            f"/apis/{path}{'/' + name if name else ''}",
            {"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": stamp}}},
            "application/merge-patch+json",
        )

    def applied(self, name: str, commit: str) -> Obj:
        """Wait until Kustomization `name` is Ready at `commit`."""

        retried = [time.monotonic()]

        def probe() -> Obj | None:
            stand_in_for_the_kubelet(self.kube)
            obj = get(self.kube, KUSTOMIZE, "Kustomization", FLUX_NAMESPACE, name)
            status = (obj or {}).get("status") or {}
            at = str(status.get("lastAppliedRevision", ""))
            if is_ready(obj) and at.endswith(commit):
                return obj
            # A failed attempt is retried only at the interval (30m): ask again, as `flux
            # reconcile ks` does, every 20 s; a lasting failure still times out.
            if condition(obj).get("status") == "False" and time.monotonic() - retried[0] > 20:
                retried[0] = time.monotonic()
                self.poke(f"{KUSTOMIZE}/namespaces/{FLUX_NAMESPACE}/kustomizations/{name}")
            return None

        found: Obj = wait_for(
            f"Kustomization {name} Ready at {commit}", probe, explain=self.explain
        )
        return found

    def release(self, name: str | None = None) -> Obj:
        """The HelmRelease `name` (the first release's when None)."""
        name = name or self.expect.release
        obj = get(self.kube, HELM, "HelmRelease", self.expect.namespace, name)
        assert obj is not None, f"no HelmRelease {self.expect.namespace}/{name}"
        return obj

    def stage(self, name: str, run: Callable[[], object]) -> object:
        """Run a stage of the loop once; a stage that failed fails every later test at once
        (with its message) instead of waiting out its timeout again."""
        if name not in self.stages:
            try:
                self.stages[name] = run()
            except BaseException as error:
                self.stages[name] = StageFailed(f"stage {name!r} failed: {error}")
                raise
        result = self.stages[name]
        if isinstance(result, StageFailed):
            pytest.fail(str(result), pytrace=False)
        return result

    def installed(self) -> None:
        def run() -> Obj:
            self.applied("flux-system", self.commits[0])
            return self.applied("nfs-storage", self.commits[0])

        self.stage("installed", run)

    def upgraded(self) -> tuple[Obj, Obj]:
        """Commit a new nfs.server; returns (HelmRelease before, after)."""

        def run() -> tuple[Obj, Obj]:
            self.installed()
            before = self.release()
            self.commits.append(self.fleet.set_nfs_server(NEW_SERVER))
            self.poke()
            self.applied("nfs-storage", self.commits[-1])

            def upgraded() -> Obj | None:
                obj = self.release()
                history = (obj.get("status") or {}).get("history") or []
                return obj if is_ready(obj) and history and history[0]["version"] == 2 else None

            after: Obj = wait_for("HelmRelease revision 2", upgraded, explain=self.explain)
            return before, after

        result = self.stage("upgraded", run)
        assert isinstance(result, tuple)
        return result

    def storage_class(self) -> Obj:
        """The first export's class (the one the day-2 stages change)."""
        classes = items(self.kube, "storage.k8s.io/v1", "StorageClass", None, PART_OF)
        names = sorted(c["metadata"]["name"] for c in classes)
        assert names == sorted(x.storage_class for x in self.expect.exports), names
        first = self.expect.exports[0].storage_class
        return next(c for c in classes if c["metadata"]["name"] == first)

    def refused(self) -> tuple[Obj, Obj]:
        """Commit an immutable class change without the re-create mechanism; returns (the
        class before, the failed Kustomization)."""

        def run() -> tuple[Obj, Obj]:
            self.upgraded()
            before = self.storage_class()
            policy = "Retain" if before["reclaimPolicy"] == "Delete" else "Delete"
            self.commits.append(self.fleet.change_reclaim_policy(policy, mechanism=False))
            self.poke()
            commit = self.commits[-1]

            def failed() -> Obj | None:
                obj = get(self.kube, KUSTOMIZE, "Kustomization", FLUX_NAMESPACE, "nfs-storage")
                ready = condition(obj)
                attempted = str(((obj or {}).get("status") or {}).get("lastAttemptedRevision"))
                if attempted.endswith(commit) and ready.get("status") == "False":
                    return obj
                return None

            kustomization = wait_for("the sync to fail", failed, explain=self.explain)
            return before, kustomization

        result = self.stage("refused", run)
        assert isinstance(result, tuple)
        return result

    def recreated(self) -> tuple[Obj, Obj]:
        """The same change rendered with --allow-recreate; returns (class before, after)."""

        def run() -> tuple[Obj, Obj]:
            before, _ = self.refused()
            policy = "Retain" if before["reclaimPolicy"] == "Delete" else "Delete"
            # From the last good tree, the way the guard asks for it.
            self.fleet.restore(self.commits[-2])
            self.commits.append(self.fleet.change_reclaim_policy(policy, mechanism=True))
            self.poke()
            self.applied("nfs-storage", self.commits[-1])
            return before, self.storage_class()

        result = self.stage("recreated", run)
        assert isinstance(result, tuple)
        return result

    def pruned(self) -> str:
        def run() -> str:
            self.recreated()
            self.commits.append(self.fleet.remove_cluster())
            self.poke()
            self.applied("flux-system", self.commits[-1])
            return self.commits[-1]

        return str(self.stage("pruned", run))


@pytest.fixture(scope="module", params=flux_tree_ids())
def loop(
    request: pytest.FixtureRequest,
    binaries: dict[str, Path],
    certs: Certs,
    etcd_url: str,
    flux_bin: Path,
    flux_crds: list[Obj],
    helm_repo: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Loop]:
    tree_id: str = request.param
    folder = tmp_path_factory.mktemp("flux-loop")
    if tree_id.startswith("output/"):
        tree = trees.committed(tree_id)
    else:
        tree = trees.render(tree_id, folder / "variant")
    with (
        control_plane(binaries, certs, etcd_url, f"flux-{tree_id}", folder) as plane,
        git_server(folder / "git") as git_url,
    ):
        kube = plane.kube
        install_flux_crds(kube, flux_crds)
        fleet = Fleet(folder / "git", Expect.of(tree.values).cluster, git_url)
        first = fleet.create(tree.values, helm_repo)
        with flux(flux_bin, plane.server, folder / "flux"):
            for obj in fleet.bootstrap():
                kube.apply(obj)
            yield Loop(plane, fleet, Expect.of(tree.values), folder / "flux", [first])


# -- first install ----------------------------------------------------------------------------
def test_sources_kustomization_and_release_become_ready(loop: Loop) -> None:
    loop.installed()
    e = loop.expect
    for api, kind, namespace, name in (
        (SOURCE, "GitRepository", FLUX_NAMESPACE, "flux-system"),
        (KUSTOMIZE, "Kustomization", FLUX_NAMESPACE, "flux-system"),
        (KUSTOMIZE, "Kustomization", FLUX_NAMESPACE, "nfs-storage"),
        *(
            each
            for r in e.releases
            for each in (
                (SOURCE, "HelmRepository", e.namespace, r.helm_repository),
                (SOURCE, "HelmChart", e.namespace, f"{e.namespace}-{r.release}"),
                (HELM, "HelmRelease", e.namespace, r.release),
            )
        ),
    ):
        wait_for(
            f"{kind} {namespace}/{name} Ready",
            partial(lambda *key: is_ready(get(loop.kube, *key)), api, kind, namespace, name),
            explain=loop.explain,
        )


def test_chart_deployment_runs_as_the_trees_service_account(loop: Loop) -> None:
    loop.installed()
    check_service_account(loop.kube, loop.expect)


def test_chart_deployment_env_matches_class_and_values(loop: Loop) -> None:
    loop.installed()
    check_env(loop.kube, loop.expect)


def release_manifest(kube: Kube, namespace: str, release: str, version: int) -> list[str]:
    """Kinds in the manifest Helm stored for `release` revision `version`."""
    secret = get(kube, "v1", "Secret", namespace, f"sh.helm.release.v1.{release}.v{version}")
    assert secret is not None, f"no Helm release record {release} v{version} in {namespace}"
    blob = base64.b64decode(base64.b64decode(secret["data"]["release"]))
    manifest = str(json.loads(gzip.decompress(blob))["manifest"])
    return sorted(
        line.split(":", 1)[1].strip() for line in manifest.splitlines() if line.startswith("kind:")
    )


def test_release_created_no_class_rbac_or_service_account(loop: Loop) -> None:
    loop.installed()
    e = loop.expect
    for r in e.releases:
        kinds = release_manifest(loop.kube, e.namespace, r.release, 1)
        assert "Deployment" in kinds
        assert not RELEASE_MUST_NOT_CREATE & set(kinds), kinds
        # And in the cluster: nothing of those kinds carries the release's labels.
        selector = f"helm.toolkit.fluxcd.io/name={r.release}"
        # In the release's namespace (targetNamespace; csi-driver-nfs: csi.namespace), while
        # Helm's release record stays beside the HelmRelease in `namespace`.
        assert items(loop.kube, "apps/v1", "Deployment", r.namespace, selector)
        for api, kind in (
            ("storage.k8s.io/v1", "StorageClass"),
            ("v1", "ServiceAccount"),
            ("rbac.authorization.k8s.io/v1", "ClusterRole"),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
            ("rbac.authorization.k8s.io/v1", "Role"),
            ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ):
            assert items(loop.kube, api, kind, None, selector) == [], (r.release, kind)


def test_each_releases_pods_are_admitted_where_they_run(loop: Loop) -> None:
    """Pods made from the real charts' workloads (no kubelet runs: a Pod is the proof) are
    admitted in their release's namespace at the level its driver needs: nfs-subdir-external-
    provisioner's in `namespace` (baseline, with the preflight Jobs), csi-driver-nfs's in
    csi.namespace (privileged) and refused in `namespace`."""
    loop.installed()
    e = loop.expect
    kube = loop.kube

    def level(namespace: str) -> str:
        found = get(kube, "v1", "Namespace", None, namespace)
        assert found is not None, namespace
        return str(found["metadata"]["labels"]["pod-security.kubernetes.io/enforce"])

    shared = e.namespace == e.installer_namespace  # one privileged namespace, as asked
    assert level(e.namespace) == ("privileged" if shared else "baseline")
    for r in e.releases:
        kinds = ("Deployment", "DaemonSet") if r.driver == trees.CSI else ("Deployment",)
        workloads = [
            w
            for kind in kinds
            for w in items(
                kube, "apps/v1", kind, r.namespace, f"helm.toolkit.fluxcd.io/name={r.release}"
            )
        ]
        assert len(workloads) == len(kinds), (r.release, r.namespace, kinds)
        assert level(r.namespace) == ("privileged" if r.driver == trees.CSI else level(e.namespace))
        for w in workloads:
            kube.create(pod_of(w, r.namespace, ADMITTED), dry_run=True)
            if r.driver == trees.CSI:
                assert r.namespace != e.namespace
                refused_by_pod_security(kube, pod_of(w, e.namespace, ADMITTED))
    for job in items(kube, "batch/v1", "Job", e.namespace, PART_OF):
        kube.create(pod_of(job, e.namespace, ADMITTED), dry_run=True)


# -- a values change --------------------------------------------------------------------------
def test_values_change_upgrades_the_release_through_a_new_configmap(loop: Loop) -> None:
    before, after = loop.upgraded()
    name_before = before["spec"]["valuesFrom"][0]["name"]
    name_after = after["spec"]["valuesFrom"][0]["name"]
    assert name_before != name_after
    assert get(loop.kube, "v1", "ConfigMap", loop.expect.namespace, name_after) is not None
    check_env(loop.kube, loop.expect, server=NEW_SERVER)
    assert release_manifest(loop.kube, loop.expect.namespace, loop.expect.release, 2)
    # The other exports' releases were not touched: still their first revision.
    for r in loop.expect.releases[1:]:
        history = (loop.release(r.release).get("status") or {}).get("history") or []
        assert [h["version"] for h in history] == [1], (r.release, history)


# -- an immutable StorageClass change (day-2 guard's opt-in) ----------------------------------
def test_immutable_class_change_without_the_mechanism_fails_the_sync(loop: Loop) -> None:
    before, kustomization = loop.refused()
    message = condition(kustomization).get("message", "")
    assert all(word in message for word in ("StorageClass", "reclaimPolicy", "immutable")), message
    now = loop.storage_class()
    assert now["metadata"]["uid"] == before["metadata"]["uid"]
    assert now["reclaimPolicy"] == before["reclaimPolicy"]


def test_immutable_class_change_with_allow_recreate_recreates_the_class(loop: Loop) -> None:
    before, after = loop.recreated()
    assert after["metadata"]["name"] == before["metadata"]["name"]
    assert after["metadata"]["uid"] != before["metadata"]["uid"]
    assert after["reclaimPolicy"] != before["reclaimPolicy"]


# -- removing the cluster ---------------------------------------------------------------------
def test_removing_the_values_file_prunes_the_tree(loop: Loop) -> None:
    loop.pruned()
    e = loop.expect
    kube = loop.kube

    def gone() -> bool:
        return (
            get(kube, KUSTOMIZE, "Kustomization", FLUX_NAMESPACE, "nfs-storage") is None
            and get(kube, "v1", "Namespace", None, e.namespace) is None
            and get(kube, "v1", "Namespace", None, e.installer_namespace) is None
            and all(get(kube, "v1", "Namespace", None, r.namespace) is None for r in e.releases)
            and not items(
                kube,
                "storage.k8s.io/v1",
                "StorageClass",
                None,
                "app.kubernetes.io/part-of=nfs-gitops",
            )
            and not items(
                kube,
                "rbac.authorization.k8s.io/v1",
                "ClusterRole",
                None,
                "app.kubernetes.io/part-of=nfs-gitops",
            )
        )

    def left() -> str:
        namespaces = [
            n["metadata"]["name"] + ":" + n.get("status", {}).get("phase", "")
            for n in items(kube, "v1", "Namespace")
        ]
        return f"namespaces: {namespaces}\n{loop.explain()}"

    wait_for("Flux to prune the tree (namespaces gone)", gone, explain=left)
