"""csi-driver-nfs in the e2e harness: the real chart as the oracle, and a tree installed through
each engine the harness runs (Flux for real; kustomize --enable-helm and Argo CD's rendering,
applied), on one control plane per tree.

The chart is read from its published archive (E2E_CHARTS, at the version the driver pins): its
values.yaml names the objects it makes, and `helm template` with the tree's helm-values.yaml
gives what it renders, with `rbac.create` and `serviceAccount.create` turned back on for the
rules the chart itself would grant in that configuration.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import crds, trees
from .controllers import flux
from .engines import ControlPlane, Expect, chart_pin, engine_of, get, is_ready, wait_for
from .gitops import Fleet, install_flux_crds
from .kubeapi import Kube, Obj
from .servers import git_server, helm_env

SNAPSHOT_CRDS = [
    "volumesnapshotclasses.snapshot.storage.k8s.io",
    "volumesnapshots.snapshot.storage.k8s.io",
    "volumesnapshotcontents.snapshot.storage.k8s.io",
]
HELM_API = "helm.toolkit.fluxcd.io/v2"
Triple = tuple[str, str, str]  # apiGroup, resource, verb


# -- the chart, from its archive ----------------------------------------------------------------
@cache
def archive() -> Path:
    folder = os.environ.get("E2E_CHARTS")
    if not folder:
        pytest.fail("E2E_CHARTS is not set: make e2e E2E_CHARTS=/path/to/charts", pytrace=False)
    path = Path(folder) / chart_pin(trees.CSI).archive
    if not path.is_file():
        pytest.fail(f"{path} is missing (E2E_CHARTS={folder})", pytrace=False)
    return path


@cache
def chart_values() -> dict[str, Any]:
    """The chart's own values.yaml: the names it gives its objects."""
    with tarfile.open(archive()) as tar:
        handle = tar.extractfile(f"{trees.CSI}/values.yaml")
        assert handle is not None
        found: dict[str, Any] = yaml.safe_load(handle.read())
    return found


def helm_template(helm: Path, values: Path, namespace: str, workdir: Path, *sets: str) -> list[Obj]:
    """`helm template` of the real chart with a tree's helm-values.yaml (and --set overrides)."""
    argv = [str(helm), "template", trees.CSI, str(archive()), "--namespace", namespace]
    argv += ["--values", str(values)]
    for item in sets:
        argv += ["--set", item]
    result = subprocess.run(argv, capture_output=True, text=True, env=helm_env(workdir))
    assert result.returncode == 0, f"{' '.join(argv)}:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def granted(objects: list[Obj], namespace: str, account: str) -> set[Triple]:
    """(group, resource, verb) the ClusterRoles and Roles among `objects` grant to ServiceAccount
    namespace/account through the bindings among them."""
    roles = {(o["kind"], o["metadata"]["name"]): o for o in objects if o["kind"].endswith("Role")}
    found: set[Triple] = set()
    for binding in (o for o in objects if o["kind"].endswith("RoleBinding")):
        subjects = binding.get("subjects") or []
        if not any(
            s["kind"] == "ServiceAccount"
            and s["name"] == account
            and s.get("namespace", binding["metadata"].get("namespace")) == namespace
            for s in subjects
        ):
            continue
        role = roles[(binding["roleRef"]["kind"], binding["roleRef"]["name"])]
        for rule in role.get("rules") or []:
            assert not rule.get("resourceNames") and not rule.get("nonResourceURLs"), rule
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    found |= {(group, resource, verb) for verb in rule["verbs"]}
    return found


# -- a csi tree installed through its engine ------------------------------------------------------
@dataclass
class Installed:
    tree: trees.Tree
    engine: str
    kube: Kube
    expect: Expect
    helm_values: Path
    chart_kinds: list[str]  # what the chart itself created (Helm's manifest, or its render)

    @property
    def namespace(self) -> str:
        """The driver's release namespace (csi.namespace), from the values."""
        return next(x.namespace for x in self.expect.releases if x.driver == trees.CSI)

    @property
    def snapshots(self) -> bool:
        data = trees.values_of(self.tree.values)
        return bool(((data.get("csi") or {}).get("snapshots") or {}).get("enabled", False))


def tree_of(tree_id: str, folder: Path) -> trees.Tree:
    if tree_id.startswith("output/"):
        return trees.committed(tree_id)
    return trees.render(tree_id, folder / "variant")


def _apply_all(kube: Kube, objects: list[Obj]) -> None:
    # Namespaces first, as kubectl apply of kustomize's output and Argo CD's sync waves do.
    for obj in sorted(objects, key=lambda o: o["kind"] != "Namespace"):
        kube.apply(obj)


@contextmanager
def installed_by_flux(
    tree: trees.Tree,
    plane: ControlPlane,
    folder: Path,
    flux_bin: Path,
    flux_crds: list[Obj],
    helm_repo: str,
) -> Iterator[list[str]]:
    """The fleet repository served over Git, Flux bootstrapped on it; waits until the tree's
    Kustomization is applied and its HelmRelease Ready; yields the release's manifest kinds."""
    from .test_flux_gitops import Loop, release_manifest

    kube = plane.kube
    install_flux_crds(kube, flux_crds)
    expect = Expect.of(tree.values)
    with git_server(folder / "git") as git_url:
        fleet = Fleet(folder / "git", expect.cluster, git_url)
        first = fleet.create(tree.values, helm_repo)
        with flux(flux_bin, plane.server, folder / "flux"):
            for obj in fleet.bootstrap():
                kube.apply(obj)
            loop = Loop(plane, fleet, expect, folder / "flux", [first])
            loop.installed()
            wait_for(
                f"HelmRelease {expect.namespace}/{expect.release} Ready",
                lambda: is_ready(
                    get(kube, HELM_API, "HelmRelease", expect.namespace, expect.release)
                ),
                explain=loop.explain,
            )
            yield release_manifest(kube, expect.namespace, expect.release, 1)


def installed_by_kustomize(
    tree: trees.Tree, kube: Kube, folder: Path, helm: Path, helm_repo: str
) -> list[str]:
    """`kustomize build --enable-helm` (chart from the loopback repository), applied; the kinds
    the chart's inflation added to what the tree holds."""
    from .test_kustomize_engine import build, loopback_copy

    everything = build(loopback_copy(tree.directory, helm_repo, folder), helm, folder)
    own, _ = trees.build(trees.REPO / "bin" / "kustomize", tree, folder / "own")
    mine = {trees.identity(o) for o in own}
    _apply_all(kube, everything)
    return sorted(o["kind"] for o in everything if trees.identity(o) not in mine)


def installed_by_argocd(
    tree: trees.Tree, kube: Kube, folder: Path, helm: Path, helm_repo: str
) -> list[str]:
    """What Argo CD renders for the tree's multi-source Application, applied; the chart's
    kinds."""
    from .test_argocd_engine import application, place, render_application, repo_root

    app = application(tree)
    git_source = next(s for s in app["spec"]["sources"] if s.get("path"))
    root = repo_root(tree, git_source["path"])
    chart, objects = render_application(app, root, helm, helm_repo, folder)
    _apply_all(kube, objects)
    namespace = app["spec"]["destination"]["namespace"]
    for obj in chart:
        kube.apply(place(kube, obj, namespace))
    return sorted(o["kind"] for o in chart)


def install_snapshot_crds(kube: Kube, crd_dir: Path) -> None:
    """What a cluster with snapshot support has (the tree never installs them): the generated
    CRDs, with upstream's approval annotation (crds.as_installed)."""
    crds.install(kube, crd_dir, SNAPSHOT_CRDS)


def engine(tree: trees.Tree) -> str:
    return engine_of(tree.values)
