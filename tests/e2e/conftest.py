"""Fixtures for the end-to-end tests: a real etcd and kube-apiserver per rendered tree.

`make e2e` builds the binaries into .cache/e2e/bin and passes E2E_BIN_DIR, and generates the
CRDs into .cache/crds (make crds). Missing binaries, kustomize or CRDs make the tests fail, never
skip.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import crds, trees
from .cluster import Certs, etcd, kube_apiserver

# Fixtures of the real-engine harness, for every e2e module (pytest finds them here).
from .engines import flux_bin, flux_crds, helm, helm_repo
from .kubeapi import ApiError, Kube, Obj

REPO = trees.REPO
BIN_DIR = Path(os.environ.get("E2E_BIN_DIR", REPO / ".cache" / "e2e" / "bin"))
CRD_DIR = REPO / ".cache" / "crds"
KUSTOMIZE = REPO / "bin" / "kustomize"
__all__ = ["flux_bin", "flux_crds", "helm", "helm_repo"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def _need(path: Path, what: str, how: str) -> Path:
    if not (path.is_file() and os.access(path, os.X_OK)) and not path.is_dir():
        pytest.fail(f"{what} missing: {path} ({how})", pytrace=False)
    return path


@pytest.fixture(scope="session")
def binaries() -> dict[str, Path]:
    return {
        name: _need(BIN_DIR / name, name, "run `make e2e`, which builds it")
        for name in ("etcd", "kube-apiserver")
    }


@pytest.fixture(scope="session")
def kustomize() -> Path:
    return _need(KUSTOMIZE, "kustomize", "run `make tools`")


@pytest.fixture(scope="session")
def crd_dir() -> Path:
    return _need(CRD_DIR, "generated CRD folder", "run `make crds` (make e2e does)")


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs.make(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def etcd_url(binaries: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with etcd(binaries["etcd"], tmp_path_factory.mktemp("etcd")) as url:
        yield url


@pytest.fixture(scope="session", params=trees.tree_ids())
def tree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> trees.Tree:
    tree_id: str = request.param
    if tree_id.startswith("output/"):
        return trees.committed(tree_id)
    return trees.render(tree_id, tmp_path_factory.mktemp("render"))


@dataclass
class Cluster:
    """One API server with one tree applied to it."""

    tree: trees.Tree
    kube: Kube
    objects: list[Obj]
    crds: list[str]
    notes: list[str]
    refused: list[tuple[Obj, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{_ident(obj)}: {message}" for obj, message in self.refused]

    def require_applied(self, *kinds: str) -> None:
        """Fail unless every object of `kinds` (all objects when none given) was applied."""
        refused = [
            f"{_ident(obj)}: {message}"
            for obj, message in self.refused
            if not kinds or obj.get("kind") in kinds
        ]
        if refused:
            pytest.fail(
                f"{self.tree.id}: objects this test needs were refused:\n" + "\n".join(refused),
                pytrace=False,
            )


def _ident(obj: Obj) -> str:
    meta = obj.get("metadata", {})
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('apiVersion')} {obj.get('kind')} {where}{meta.get('name')}"


@pytest.fixture(scope="session")
def cluster(
    tree: trees.Tree,
    binaries: dict[str, Path],
    kustomize: Path,
    crd_dir: Path,
    certs: Certs,
    etcd_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("cluster")
    built, notes = trees.build(kustomize, tree, workdir)
    objects = built + trees.outside_kustomization(tree, built)
    prefix = "/e2e/" + "".join(c if c.isalnum() else "-" for c in tree.id)
    with kube_apiserver(
        binaries["kube-apiserver"], etcd_url, prefix, certs, workdir / "apiserver"
    ) as server:
        kube = server.client()
        installed = crds.install_for(kube, crd_dir, objects)
        result = Cluster(tree, kube, objects, installed, notes)
        for note in notes:
            warnings.warn(note, stacklevel=1)
        # Namespaces the tree uses but does not hold belong to the GitOps engine's own install
        # (argocd for an Application): create them as that install would.
        held = {o["metadata"]["name"] for o in trees.of_kind(objects, "Namespace")}
        used = {o["metadata"]["namespace"] for o in objects if o["metadata"].get("namespace")}
        for name in sorted(used - held):
            kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        # Namespaces first, as kubectl and the GitOps engines do; otherwise kustomize's order.
        ordered = sorted(objects, key=lambda o: o.get("kind") != "Namespace")
        for obj in ordered:
            try:
                kube.apply(obj)
            except (ApiError, LookupError) as error:
                result.refused.append((obj, str(error)))
        yield result
