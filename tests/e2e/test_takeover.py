"""Taking over the seed's manual `helm install` with `nfs-gitops adopt` and its runbook.

The seed: `helm install nfs-subdir-external-provisioner ... --set nfs.server=192.168.169.3
--set nfs.path=/data/K8s` into `default` with the pinned helm and the real chart, then the
`kubectl patch` that makes nfs-client the default class, and volumes the provisioner made
(PVs annotated pv.kubernetes.io/provisioned-by, bound to claims). Then `adopt` reads
`helm get values`, the tree is committed to the loopback Git server, Flux reconciles it, and the
printed runbook's commands run (its kubectl lines as the same API calls, its helm lines with the
pinned helm). Watches on the class, the RBAC and the new Deployment record every event.

With the runbook's protective step (annotate keep) nothing watched is ever deleted; without it
the class and the RBAC are deleted (the unprotected case keeps that proof). Flux runs for
real; Argo CD through its documented rendering path (test_argocd_engine), applied server-side.
"""

from __future__ import annotations

import json
import shlex
import shutil
import ssl
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from .cluster import Certs
from .controllers import FLUX_NAMESPACE, flux, kubeconfig
from .engines import (
    ControlPlane,
    Expect,
    chart_pin,
    control_plane,
    env_of,
    get,
    is_ready,
    wait_for,
)
from .gitops import Fleet, install_flux_crds
from .kubeapi import FIELD_MANAGER, Kube, Obj
from .servers import git_server, helm_env
from .test_argocd_engine import place, render_application
from .trees import REPO

CHART = "nfs-subdir-external-provisioner"
RELEASE = CHART
SERVER, PATH = "192.168.169.3", "/data/K8s"
CLASS = "nfs-client"
PROVISIONER = f"cluster.local/{RELEASE}"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
HELM_API = "helm.toolkit.fluxcd.io/v2"
CLAIMS = ("data", "media")


def run(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
    if result.returncode != 0:
        raise AssertionError(f"{shlex.join(argv)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def adopt(values: Path, folder: Path, *extra: str) -> tuple[Path, str]:
    """`nfs-gitops adopt` on the helm values; returns (values file, runbook)."""
    target = folder / "seed.yaml"
    runbook = run(
        [
            sys.executable,
            "-m",
            "generator",
            "adopt",
            str(values),
            "--release",
            RELEASE,
            "--namespace",
            "default",
            "--class",
            CLASS,
            "--cluster",
            "seed",
            "--output",
            str(target),
            *extra,
        ],
        cwd=REPO,
    )
    return target, runbook


def commands(runbook: str, program: str) -> list[list[str]]:
    """The command lines of the runbook that run `program`, as argv lists."""
    return [
        shlex.split(line.removeprefix("   $ "))
        for line in runbook.splitlines()
        if line.startswith(f"   $ {program} ")
    ]


# -- the class is the chart's, field for field ------------------------------------------------
def helm_template(binary: Path, archive: Path, home: Path, *args: str) -> list[Obj]:
    out = run(
        [str(binary), "template", RELEASE, str(archive), "--namespace", "default", *args],
        env=helm_env(home),
    )
    return [doc for doc in yaml.safe_load_all(out) if doc]


def of_kind(docs: list[Obj], kind: str) -> Obj:
    [found] = [doc for doc in docs if doc["kind"] == kind]
    return found


IMMUTABLE = ("provisioner", "parameters", "reclaimPolicy", "volumeBindingMode")


@pytest.mark.parametrize("engine", ["flux", "argocd", "kustomize"])
def test_adopted_class_and_provisioner_equal_the_manual_installs(
    engine: str,
    helm: Path,
    tmp_path: Path,
) -> None:
    import os

    charts = os.environ.get("E2E_CHARTS")
    if not charts:
        pytest.fail("E2E_CHARTS (the folder of published chart archives) is not set")
    archive = Path(charts) / f"{CHART}-{chart_pin().version}.tgz"
    manual = helm_template(
        helm,
        archive,
        tmp_path / "home",
        "--set",
        f"nfs.server={SERVER}",
        "--set",
        f"nfs.path={PATH}",
    )
    (tmp_path / "helm-values.yaml").write_text(f"nfs:\n  path: {PATH}\n  server: {SERVER}\n")
    repo = ["--repo-url", "https://git.example.com/fleet.git"] if engine == "argocd" else []
    values, _ = adopt(tmp_path / "helm-values.yaml", tmp_path, "--engine", engine, *repo)
    run(
        [sys.executable, "-m", "generator", "render", str(values), "--output-dir", "out"],
        cwd=tmp_path,
    )
    tree = tmp_path / "out" / "seed"
    ours = yaml.safe_load((tree / "storageclass.yaml").read_text())
    theirs = of_kind(manual, "StorageClass")
    assert ours["metadata"]["name"] == theirs["metadata"]["name"] == CLASS
    assert {k: ours[k] for k in IMMUTABLE} == {k: theirs[k] for k in IMMUTABLE}
    # The chart, given the tree's Helm values, runs the provisioner under the same name.
    adopted = helm_template(
        helm, archive, tmp_path / "home", "--values", str(tree / "helm-values.yaml")
    )
    before = env_of(of_kind(manual, "Deployment"))
    after = env_of(of_kind(adopted, "Deployment"))
    assert before["PROVISIONER_NAME"] == after["PROVISIONER_NAME"] == PROVISIONER
    assert (after["NFS_SERVER"], after["NFS_PATH"]) == (SERVER, PATH)
    assert {doc["kind"] for doc in adopted} == {"Deployment"}


# -- the takeover with Flux ---------------------------------------------------------------------
WATCHED = (
    ("storage.k8s.io/v1", "StorageClass", None, CLASS),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", None, f"{RELEASE}-runner"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None, f"run-{RELEASE}"),
    ("apps/v1", "Deployment", "nfs-provisioner", RELEASE),
    ("v1", "ServiceAccount", "nfs-provisioner", RELEASE),
)


class Watch(threading.Thread):
    """Every event of one object, by name, from a watch that is re-opened until stopped."""

    def __init__(self, kube: Kube, api: str, kind: str, namespace: str | None, name: str) -> None:
        super().__init__(daemon=True)
        self.kube, self.name, self.kind = kube, name, kind
        resource = kube.resource(api, kind)
        self.path = resource.collection(namespace if resource.namespaced else None)
        self.events: list[tuple[str, str]] = []  # (type, uid)
        self.stopped = threading.Event()
        self.started = threading.Event()
        self.error: str | None = None

    def run(self) -> None:
        selector = f"metadata.name={self.name}"
        try:
            listing = self.kube.request("GET", self.path, query={"fieldSelector": selector})
            version = listing["metadata"]["resourceVersion"]
            self.events += [("EXISTS", o["metadata"]["uid"]) for o in listing.get("items", [])]
            while not self.stopped.is_set():
                query = {
                    "watch": "1",
                    "fieldSelector": selector,
                    "resourceVersion": version,
                    "timeoutSeconds": "2",
                }
                url = self.kube.server + self.path + "?" + urllib.parse.urlencode(query)
                request = urllib.request.Request(url, headers={"Accept": "application/json"})
                context: ssl.SSLContext = self.kube.context
                with urllib.request.urlopen(request, context=context, timeout=10) as reply:
                    self.started.set()
                    for line in reply:
                        event = json.loads(line)
                        if event["type"] == "ERROR":
                            raise RuntimeError(f"watch error: {event['object']}")
                        meta = event["object"]["metadata"]
                        version = meta["resourceVersion"]
                        self.events.append((event["type"], meta["uid"]))
        except Exception as error:  # reported by the test, which must not pass on a dead watch
            self.error = f"watch of {self.kind} {self.name} died: {error!r}"
            self.started.set()

    @property
    def deleted(self) -> bool:
        return any(kind == "DELETED" for kind, _ in self.events)


@dataclass
class Takeover:
    kube: Kube
    watches: list[Watch]
    runbook: str
    old_env: dict[str, str]
    volumes: list[str]
    protect: bool
    manager: str  # the field manager of the engine's apply
    helm_log: list[str] = field(default_factory=list)

    def watch(self, kind: str) -> Watch:
        [found] = [w for w in self.watches if w.kind == kind]
        return found


def patch(kube: Kube, api: str, kind: str, namespace: str | None, name: str, body: Obj) -> None:
    resource = kube.resource(api, kind)
    path = resource.collection(namespace if resource.namespaced else None) + f"/{name}"
    kube.request("PATCH", path, body, "application/merge-patch+json")


KINDS = {
    "storageclass": ("storage.k8s.io/v1", "StorageClass"),
    "clusterrole": ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    "clusterrolebinding": ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
}


def kubectl_annotate(kube: Kube, argv: list[str]) -> None:
    """`kubectl annotate KIND NAME key=value... [key-...] [--overwrite]` as one merge patch."""
    assert argv[:2] == ["kubectl", "annotate"], argv
    api, kind = KINDS[argv[2]]
    annotations: dict[str, Any] = {}
    for word in argv[4:]:
        if word == "--overwrite":
            continue
        if word.endswith("-") and "=" not in word:
            annotations[word[:-1]] = None
        else:
            key, value = word.split("=", 1)
            annotations[key] = value
    patch(kube, api, kind, None, argv[3], {"metadata": {"annotations": annotations}})


def volumes(kube: Kube) -> list[str]:
    """PVs as the provisioner makes them, each pre-bound to a claim; both wait for Bound."""
    names = []
    for claim in CLAIMS:
        pv = f"pvc-{claim}-0000-4000-8000-000000000000"
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {
                    "name": pv,
                    "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER},
                },
                "spec": {
                    "capacity": {"storage": "1Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "persistentVolumeReclaimPolicy": "Delete",
                    "storageClassName": CLASS,
                    "nfs": {"server": SERVER, "path": f"{PATH}/default-{claim}-{pv}"},
                    "claimRef": {"namespace": "default", "name": claim},
                },
            }
        )
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim, "namespace": "default"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": CLASS,
                    "volumeName": pv,
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        )
        names.append(pv)
    return names


def phases(kube: Kube, pvs: list[str]) -> list[str]:
    found = [get(kube, "v1", "PersistentVolume", None, pv) for pv in pvs]
    found += [get(kube, "v1", "PersistentVolumeClaim", "default", c) for c in CLAIMS]
    return [((obj or {}).get("status") or {}).get("phase", "missing") for obj in found]


@contextmanager
def flux_applies(
    kube: Kube,
    plane: ControlPlane,
    values: Path,
    folder: Path,
    bin_dir: Path,
    crds: list[Obj],
    chart_repo: str,
) -> Iterator[str]:
    """Runbook step 2 with Flux: commit the tree to the loopback Git server; Flux applies it and
    installs the chart in the tree's namespace. Yields the field manager of what it applied; the
    controllers keep running until the takeover is over."""
    install_flux_crds(kube, crds)
    with git_server(folder / "git") as git_url:
        fleet = Fleet(folder / "git", "seed", git_url)
        commit = fleet.create(values, chart_repo)
        with flux(bin_dir, plane.server, folder / "flux"):
            for obj in fleet.bootstrap():
                kube.apply(obj)
            e = Expect.of(fleet.values)

            def applied() -> bool:
                # Attempted at the commit and the class taken over. Not Ready: the Kustomization
                # also waits for the preflight Job, which never runs without a kubelet.
                obj = get(kube, KUSTOMIZE_API, "Kustomization", FLUX_NAMESPACE, "nfs-storage")
                at = str(((obj or {}).get("status") or {}).get("lastAttemptedRevision", ""))
                cls = get(kube, "storage.k8s.io/v1", "StorageClass", None, CLASS) or {}
                managers = {m["manager"] for m in cls.get("metadata", {}).get("managedFields", [])}
                return at.endswith(commit) and "kustomize-controller" in managers

            wait_for("Flux to apply the tree", applied)
            wait_for(
                "the HelmRelease Ready",
                lambda: is_ready(get(kube, HELM_API, "HelmRelease", e.namespace, e.release)),
            )
            yield "kustomize-controller"


@contextmanager
def argocd_applies(
    kube: Kube, values: Path, folder: Path, helm_binary: Path, chart_repo: str
) -> Iterator[str]:
    """Runbook step 2 with Argo CD's rendering path: what the Application's two sources render
    (test_argocd_engine.render_application), applied server-side as its ServerSideApply sync
    option does, namespaces first."""
    repo = folder / "repo"
    (repo / "values").mkdir(parents=True)
    shutil.copy2(values, repo / "values" / "seed.yaml")
    run([sys.executable, "-m", "generator", "render", "values", "--output-dir", "output"], cwd=repo)
    app: Obj = yaml.safe_load((repo / "output" / "seed" / "application.yaml").read_text())
    chart, objects = render_application(app, repo, helm_binary, chart_repo, folder)
    namespace = app["spec"]["destination"]["namespace"]
    for obj in sorted(objects, key=lambda o: o["kind"] != "Namespace"):
        kube.apply(obj)
    for obj in chart:
        kube.apply(place(kube, obj, namespace))
    yield FIELD_MANAGER


CASES = [("flux", True), ("flux", False), ("argocd", True)]


@pytest.fixture(
    scope="module",
    params=CASES,
    ids=[f"{engine}-{'protected' if protect else 'unprotected'}" for engine, protect in CASES],
)
def takeover(
    request: pytest.FixtureRequest,
    binaries: dict[str, Path],
    certs: Certs,
    etcd_url: str,
    flux_bin: Path,
    flux_crds: list[Obj],
    helm: Path,
    helm_repo: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Takeover]:
    engine, protect = request.param
    folder = tmp_path_factory.mktemp("takeover")
    name = f"takeover-{engine}-" + ("protected" if protect else "unprotected")
    with control_plane(binaries, certs, etcd_url, name, folder) as plane:
        kube = plane.kube
        env = {**helm_env(folder / "helm-home"), "KUBECONFIG": str(folder / "kubeconfig")}
        kubeconfig(plane.server, folder / "kubeconfig")
        version = chart_pin().version
        # The seed's manual install (no -n: default) and its kubectl patch.
        install = [str(helm), "install", RELEASE, CHART, "--repo", helm_repo, "--version", version]
        run([*install, "--set", f"nfs.server={SERVER}", "--set", f"nfs.path={PATH}"], env=env)
        patch(
            kube,
            "storage.k8s.io/v1",
            "StorageClass",
            None,
            CLASS,
            {"metadata": {"annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}},
        )
        pvs = volumes(kube)
        wait_for("the seed's volumes Bound", lambda: set(phases(kube, pvs)) == {"Bound"})
        old = get(kube, "apps/v1", "Deployment", "default", RELEASE)
        assert old is not None
        # adopt reads what helm prints; the runbook it prints is what runs below.
        (folder / "helm-values.yaml").write_text(
            run([str(helm), "get", "values", RELEASE, "-n", "default", "-o", "yaml"], env=env)
        )
        repo_url = ["--engine", "argocd", "--repo-url", "https://git.example.com/fleet.git"]
        values, runbook = adopt(
            folder / "helm-values.yaml", folder, *(repo_url * (engine == "argocd"))
        )
        watches = [Watch(kube, *key) for key in WATCHED]
        for watch in watches:
            watch.start()
        for watch in watches:
            watch.started.wait(10)
        # Step 1: protect (skipped in the unprotected case).
        if protect:
            for argv in commands(runbook, "kubectl"):
                if "helm.sh/resource-policy=keep" in argv:
                    kubectl_annotate(kube, argv)
        applies = (
            flux_applies(kube, plane, values, folder, flux_bin, flux_crds, helm_repo)
            if engine == "flux"
            else argocd_applies(kube, values, folder, helm, helm_repo)
        )
        with applies as manager:
            result = Takeover(kube, watches, runbook, env_of(old), pvs, protect, manager)
            # Step 3: retire the manual release with the runbook's helm commands.
            for argv in commands(runbook, "helm"):
                argv = [str(helm), *argv[1:], "--debug"]
                if "--repo" in argv:
                    argv[argv.index("--repo") + 1] = helm_repo
                done = subprocess.run(argv, capture_output=True, text=True, env=env)
                assert done.returncode == 0, f"{shlex.join(argv)}:\n{done.stdout}{done.stderr}"
                result.helm_log.append(done.stdout + done.stderr)
            wait_for(
                "the manual Deployment gone",
                lambda: get(kube, "apps/v1", "Deployment", "default", RELEASE) is None,
            )
            # Step 4: drop Helm's marks.
            for argv in commands(runbook, "kubectl"):
                if "helm.sh/resource-policy-" in argv and get(kube, *KINDS[argv[2]], None, argv[3]):
                    kubectl_annotate(kube, argv)
            yield result
        for watch in watches:
            watch.stopped.set()


def nothing_lost(takeover: Takeover) -> None:
    """What the runbook promises: no watched object ever deleted (or re-created), the class
    and its provisioner name unchanged, the new provisioner allowed to manage volumes, the
    volumes Bound, the manual release gone."""
    for watch in takeover.watches:
        assert watch.error is None, watch.error
    deleted = {w.kind: w.events for w in takeover.watches if w.deleted}
    assert deleted == {}, f"deleted during the takeover: {deleted}"
    for watch in takeover.watches:  # one object each: the first uid seen is the only one
        assert len({uid for _, uid in watch.events}) == 1, (watch.kind, watch.events)
    kube = takeover.kube
    cls = get(kube, "storage.k8s.io/v1", "StorageClass", None, CLASS)
    assert cls is not None
    assert cls["provisioner"] == PROVISIONER
    default = cls["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"]
    assert default == "true"
    new = get(kube, "apps/v1", "Deployment", "nfs-provisioner", RELEASE)
    assert new is not None
    assert env_of(new)["PROVISIONER_NAME"] == takeover.old_env["PROVISIONER_NAME"] == PROVISIONER
    account = f"system:serviceaccount:nfs-provisioner:{RELEASE}"
    groups = ["system:serviceaccounts", "system:serviceaccounts:nfs-provisioner"]
    for verb in ("create", "delete"):
        assert kube.can(account, groups, verb, "persistentvolumes"), verb
    assert kube.can(account, groups, "get", "storageclasses", "storage.k8s.io")
    assert set(phases(kube, takeover.volumes)) == {"Bound"}
    assert get(kube, "apps/v1", "Deployment", "default", RELEASE) is None
    # The tree took the class and RBAC over: Flux manages their fields, the binding names the
    # tree's account.
    for api, kind, name in (
        ("storage.k8s.io/v1", "StorageClass", CLASS),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", f"run-{RELEASE}"),
    ):
        obj = get(kube, api, kind, None, name)
        assert obj is not None
        managers = {entry["manager"] for entry in obj["metadata"]["managedFields"]}
        assert takeover.manager in managers, (kind, managers)
    binding = get(
        kube, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None, f"run-{RELEASE}"
    )
    assert binding is not None
    assert [(s["namespace"], s["name"]) for s in binding["subjects"]] == [
        ("nfs-provisioner", RELEASE)
    ]


def test_the_runbook_loses_nothing(takeover: Takeover) -> None:
    if takeover.protect:
        nothing_lost(takeover)
        # helm upgrade read the keep annotation off the live objects (its debug log says so).
        log = "".join(takeover.helm_log)
        for name in (CLASS, f"{RELEASE}-runner", f"run-{RELEASE}"):
            assert f'Skipping delete of "{name}" due to annotation' in log, log
        for watch in takeover.watches:
            print(f"protected: {watch.kind}: {[kind for kind, _ in watch.events]}")
        return
    # Without step 1 the same takeover fails: `helm upgrade` deletes the class and the RBAC
    # the tree had just taken over, and the class stays gone until the engine's next apply.
    with pytest.raises(AssertionError) as failure:
        nothing_lost(takeover)
    print(f"without the protective step: {failure.value}")
    deleted = {w.kind for w in takeover.watches if w.deleted}
    assert {"StorageClass", "ClusterRole", "ClusterRoleBinding"} <= deleted, deleted
    assert get(takeover.kube, "storage.k8s.io/v1", "StorageClass", None, CLASS) is None
