"""Shared pieces of the real-engine tests (Flux, kustomize --enable-helm, Argo CD's rendering).

Fixtures: the pinned helm, the chart archives (E2E_CHARTS, else pulled online), the loopback Helm
repository, the Flux controllers and CRDs, and a control plane (kube-apiserver plus
kube-controller-manager) per tree. Helpers read the cluster: conditions, lists, waits. What a
test expects comes from the values file (the input), never from the rendered output.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.drivers import registry

from . import trees
from .cluster import ApiServer, Certs, Process, kube_apiserver
from .controllers import kube_controller_manager
from .kubeapi import ApiError, Kube, Obj
from .servers import ChartPin, ChartsError, chart_archives, helm_repository
from .trees import values_of

REPO = trees.REPO
FLUX_BIN_DIR = Path(os.environ.get("E2E_FLUX_BIN_DIR", REPO / ".cache" / "flux" / "bin"))
CRD_DIR = Path(os.environ.get("E2E_CRD_DIR", REPO / ".cache" / "crds"))
HELM = REPO / "bin" / "helm"
WAIT = float(os.environ.get("E2E_ENGINE_TIMEOUT", "300"))


def need(path: Path, what: str, how: str) -> Path:
    if not path.exists():
        pytest.fail(f"{what} missing: {path} ({how})", pytrace=False)
    return path


@pytest.fixture(scope="session")
def helm() -> Path:
    return need(HELM, "helm", "run `make helm`")


@pytest.fixture(scope="session")
def flux_bin() -> Path:
    for name in ("source-controller", "kustomize-controller", "helm-controller"):
        need(FLUX_BIN_DIR / name, name, "run `make e2e`, which builds it (make flux-bin)")
    return FLUX_BIN_DIR


@pytest.fixture(scope="session")
def flux_crds() -> list[Obj]:
    need(CRD_DIR, "Flux CRD folder", "run `make crds`")
    found = [
        doc
        for path in sorted(CRD_DIR.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict) and doc["spec"]["group"].endswith(".toolkit.fluxcd.io")
    ]
    if not found:
        pytest.fail(f"no Flux CRDs in {CRD_DIR} (run `make crds`)", pytrace=False)
    return found


def engine_of(values: Path) -> str:
    return str((values_of(values).get("gitops") or {}).get("engine", "flux"))


def chart_pin(name: str | None = None) -> ChartPin:
    """The chart of driver `name` (default: the schema's default driver) at the version a
    cluster file of values/ installs: values/_defaults.yaml's chart keys for the default driver,
    else the driver's own defaults (generator/drivers), else the schema's."""
    import json

    schema = json.loads((REPO / "generator" / "values.schema.json").read_text())
    default = schema["properties"].get("driver", {}).get("default")
    name = name or default
    found = registry()[name]
    chart = schema["properties"]["chart"]["properties"]
    pinned: Obj = {}
    if name == default:
        fleet = yaml.safe_load((REPO / "values" / "_defaults.yaml").read_text()) or {}
        pinned = fleet.get("chart") or {}
    own = found.defaults
    repository, version = (
        pinned.get(key) or own.get(("chart", key)) or chart[key]["default"]
        for key in ("repository", "version")
    )
    return ChartPin(found.chart, str(repository), str(version))


def chart_pins() -> list[ChartPin]:
    """The chart of every driver (what the loopback Helm repository serves)."""
    return [chart_pin(name) for name in sorted(registry())]


@pytest.fixture(scope="session")
def helm_repo(helm: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the loopback Helm repository serving every driver's pinned chart."""
    workdir = tmp_path_factory.mktemp("charts")
    given = os.environ.get("E2E_CHARTS")
    try:
        archives = chart_archives(helm, Path(given) if given else None, chart_pins(), workdir)
    except ChartsError as error:
        pytest.fail(str(error), pytrace=False)
    with helm_repository(helm, archives, workdir) as url:
        yield url


@dataclass
class ControlPlane:
    server: ApiServer
    kube: Kube
    manager: Process
    folder: Path


@contextmanager
def control_plane(
    binaries: dict[str, Path], certs: Certs, etcd_url: str, name: str, folder: Path
) -> Iterator[ControlPlane]:
    """kube-apiserver plus kube-controller-manager, under an etcd prefix of their own."""
    prefix = "/e2e-engines/" + "".join(c if c.isalnum() else "-" for c in name)
    with kube_apiserver(
        binaries["kube-apiserver"], etcd_url, prefix, certs, folder / "apiserver"
    ) as server:
        manager = need(
            binaries["kube-apiserver"].parent / "kube-controller-manager",
            "kube-controller-manager",
            "run `make e2e`, which builds it",
        )
        with kube_controller_manager(manager, server, folder / "controller-manager") as process:
            yield ControlPlane(server, server.client(), process, folder)


# -- reading the cluster ----------------------------------------------------------------------
def get(kube: Kube, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    try:
        return kube.get({"apiVersion": api_version, "kind": kind, "metadata": meta})
    except ApiError as error:
        if error.code == 404:
            return None
        raise


def items(
    kube: Kube, api_version: str, kind: str, namespace: str | None = None, selector: str = ""
) -> list[Obj]:
    resource = kube.resource(api_version, kind)
    path = resource.collection(namespace) if resource.namespaced and namespace else None
    if path is None:
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        path = f"{base}/{resource.plural}"
    query = {"labelSelector": selector} if selector else None
    found: list[Obj] = kube.request("GET", path, query=query).get("items", [])
    return found


def condition(obj: Obj | None, kind: str = "Ready") -> Obj:
    for entry in ((obj or {}).get("status") or {}).get("conditions") or []:
        if entry.get("type") == kind:
            return dict(entry)
    return {}


def is_ready(obj: Obj | None) -> bool:
    if obj is None:
        return False
    ready = condition(obj)
    generation = obj["metadata"].get("generation")
    observed = (obj.get("status") or {}).get("observedGeneration")
    return ready.get("status") == "True" and (observed is None or observed == generation)


def wait_for(
    what: str, probe: Callable[[], Any], timeout: float = WAIT, explain: Callable[[], str] = str
) -> Any:
    """Poll `probe` until it returns something true; fail naming `what` and the explanation."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(1)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{explain()}", pytrace=False)


def env_of(deployment: Obj) -> dict[str, str]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: str(e.get("value", "")) for e in container.get("env") or []}


@dataclass
class Expect:
    """What the values file (the input) says the cluster must hold: its namespaces and, per
    release of its exports (the single form is one export), the release's names and export.
    release, server and path are the first release's (the one the day-2 stages change)."""

    cluster: str
    namespace: str
    installer_namespace: str
    exports: tuple[trees.ExportExpect, ...]

    @property
    def releases(self) -> tuple[trees.ExportExpect, ...]:
        """The first export of each release."""
        seen: dict[str, trees.ExportExpect] = {}
        for export in self.exports:
            seen.setdefault(export.release, export)
        return tuple(seen.values())

    @property
    def release(self) -> str:
        return self.releases[0].release

    @property
    def server(self) -> str:
        return self.releases[0].server

    @property
    def path(self) -> str:
        return self.releases[0].path

    @property
    def driver(self) -> str:
        return self.releases[0].driver

    @classmethod
    def of(cls, values: Path) -> Expect:
        data = values_of(values)
        installer = data.get("nodeInstaller") or {}
        return cls(
            cluster=data["cluster"],
            namespace=data.get("namespace", "nfs-provisioner"),
            installer_namespace=installer.get("namespace", "nfs-node-installer"),
            exports=tuple(trees.exports_of(values)),
        )


# -- what every engine must leave in the cluster -----------------------------------------------
PART_OF = "app.kubernetes.io/part-of=nfs-gitops"
# What an engine's chart release must never create (the tree renders these itself).
RELEASE_MUST_NOT_CREATE = {
    "StorageClass",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
}


def deployment(kube: Kube, e: Expect, release: str | None = None) -> Obj:
    """The chart's Deployment of `release` (a release or its Deployment's name; the first
    release when None), in its release's namespace."""
    name = release or e.release
    namespace = next(
        (x.namespace for x in e.releases if name in (x.release, x.deployment)), e.namespace
    )
    obj = get(kube, "apps/v1", "Deployment", namespace, name)
    if obj is None:
        stray = [
            f"{d['metadata']['namespace']}/{d['metadata']['name']}"
            for d in items(kube, "apps/v1", "Deployment")
        ]
        raise AssertionError(
            f"the chart's Deployment {name} is not in {namespace}; Deployments: {stray}"
        )
    return obj


def check_service_account(kube: Kube, e: Expect) -> None:
    """Each release's Deployment runs as its own ServiceAccount (csi-driver-nfs: its node
    DaemonSet as its node account), and the tree put exactly those in the namespace."""
    runs_as = []
    for r in e.releases:
        pod = deployment(kube, e, r.deployment)["spec"]["template"]["spec"]
        runs_as.append(pod.get("serviceAccountName"))
        assert runs_as[-1] == r.service_account, (r.release, runs_as[-1])
    for r in e.releases:
        for account in r.accounts[1:]:  # the node plugin's
            daemonsets = items(kube, "apps/v1", "DaemonSet", r.namespace)
            used = [d["spec"]["template"]["spec"].get("serviceAccountName") for d in daemonsets]
            assert account in used, (r.release, r.namespace, account, used)
    # In `namespace` and each release's namespace: the tree's ServiceAccounts but those of its
    # own workloads there (the preflight Jobs), as (namespace, name).
    accounts = []
    for namespace in sorted({e.namespace, *(r.namespace for r in e.releases)}):
        others = {
            w["spec"]["template"]["spec"].get("serviceAccountName")
            for api, kind in (("batch/v1", "Job"), ("apps/v1", "DaemonSet"))
            for w in items(kube, api, kind, namespace, PART_OF)
        }
        accounts += [
            (namespace, a["metadata"]["name"])
            for a in items(kube, "v1", "ServiceAccount", namespace, PART_OF)
            if a["metadata"]["name"] not in others
        ]
    expected = [(r.namespace, account) for r in e.releases for account in r.accounts]
    assert sorted(accounts) == sorted(expected), (
        f"Deployments run as {runs_as}; the tree's provisioner ServiceAccounts: {accounts}, "
        f"expected {expected}"
    )


def check_env(kube: Kube, e: Expect, server: str | None = None) -> None:
    """Each export's class is served by its own release: with nfs-subdir-external-provisioner
    the release's PROVISIONER_NAME is its class's provisioner (and no other class's) and
    NFS_SERVER/NFS_PATH its export; with csi-driver-nfs the controller's --drivername is the
    class's provisioner and the class carries the export. server: the first export's, moved."""
    classes = {
        c["metadata"]["name"]: c
        for c in items(kube, "storage.k8s.io/v1", "StorageClass", None, PART_OF)
    }
    assert sorted(classes) == sorted(x.storage_class for x in e.exports), sorted(classes)
    for index, x in enumerate(e.exports):
        own = classes[x.storage_class]
        moved = server if server is not None and index == 0 else x.server
        assert own["provisioner"] == x.provisioner, (x.storage_class, own["provisioner"])
        container = deployment(kube, e, x.deployment)["spec"]["template"]["spec"]["containers"]
        if x.driver == "csi-driver-nfs":
            args = [arg for c in container for arg in c.get("args") or []]
            assert f"--drivername={x.provisioner}" in args, (x.release, args)
            params = own["parameters"]
            assert (params["server"], params["share"]) == (moved, x.path), params
            continue
        env = env_of(deployment(kube, e, x.deployment))
        assert env.get("PROVISIONER_NAME") == x.provisioner, (x.release, env)
        others = [c for n, c in classes.items() if n != x.storage_class]
        assert all(c["provisioner"] != x.provisioner for c in others), (x.release, x.provisioner)
        assert (env.get("NFS_SERVER"), env.get("NFS_PATH")) == (moved, x.path), (x.release, env)


def pod_of(workload: Obj, namespace: str, prefix: str) -> Obj:
    """A Pod from `workload`'s template in `namespace`, named `prefix` + the workload's name."""
    template = copy.deepcopy(workload["spec"]["template"])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{prefix}{workload['metadata']['name']}"[:63].rstrip("-"),
            "namespace": namespace,
            "labels": template.get("metadata", {}).get("labels", {}),
        },
        "spec": template["spec"],
    }


def refused_by_pod_security(kube: Kube, pod: Obj) -> ApiError:
    """Creates `pod` (dry run) where its ServiceAccount does not live, with that account made
    there for the attempt only (so only Pod Security can refuse it), and returns the refusal;
    fails when the pod is admitted."""
    spec = pod["spec"]
    account: Obj = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": spec.get("serviceAccountName") or "default",
            "namespace": pod["metadata"]["namespace"],
        },
    }
    _, path = kube.path(account)
    existed = True
    try:
        kube.get(account)
    except ApiError:
        existed = False
        kube.create(account)
    try:
        with pytest.raises(ApiError) as refused:
            kube.create(pod, dry_run=True)
    finally:
        if not existed:
            kube.request("DELETE", path)
    assert refused.value.code == 403, refused.value
    assert "violates PodSecurity" in refused.value.message, refused.value
    return refused.value
