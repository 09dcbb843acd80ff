"""The kustomize engine for real: `kustomize build --enable-helm` with the pinned helm and the
published chart (from the loopback Helm repository), server-side applied, as README's
`kustomize build --enable-helm output/lab | kubectl apply -f -` does.

The one change the harness makes (in `loopback_copy`): helmCharts[].repo points at the loopback
repository instead of the chart's repository on the internet. kube-controller-manager runs, so the
chart's PersistentVolume and PersistentVolumeClaim (with mount options) bind as in a cluster.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import trees
from .cluster import Certs
from .engines import (
    ControlPlane,
    Expect,
    check_env,
    check_service_account,
    control_plane,
    engine_of,
    get,
    items,
    wait_for,
)
from .kubeapi import Kube, Obj
from .servers import helm_env


def kustomize_tree_ids() -> list[str]:
    ids = [t for t in trees.committed_ids() if engine_of(trees.committed(t).values) == "kustomize"]
    return ids + [
        t
        for t, v in trees.variant_values().items()
        if (v.get("gitops") or {}).get("engine") == "kustomize"
    ]


def loopback_copy(tree: Path, helm_repository_url: str, workdir: Path) -> Path:
    """A copy of the tree whose helmCharts pull from the loopback Helm repository: the chart's
    own repository is on the internet. Nothing else changes."""
    copy = workdir / tree.name
    shutil.copytree(tree, copy)
    path = copy / "kustomization.yaml"
    kustomization: Any = yaml.safe_load(path.read_text())
    for chart in kustomization["helmCharts"]:
        chart["repo"] = helm_repository_url
    path.write_text(yaml.safe_dump(kustomization, sort_keys=False))
    return copy


def build(tree: Path, helm_binary: Path, workdir: Path) -> list[Obj]:
    env = helm_env(workdir / "helm-home")
    result = subprocess.run(
        [
            str(trees.REPO / "bin" / "kustomize"),
            "build",
            "--enable-helm",
            f"--helm-command={helm_binary}",
            str(tree),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, f"kustomize build --enable-helm {tree}:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@dataclass
class Applied:
    plane: ControlPlane
    objects: list[Obj]
    expect: Expect


@pytest.fixture(scope="module", params=kustomize_tree_ids())
def applied(
    request: pytest.FixtureRequest,
    binaries: dict[str, Path],
    certs: Certs,
    etcd_url: str,
    helm: Path,
    helm_repo: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Applied]:
    tree_id: str = request.param
    folder = tmp_path_factory.mktemp("kustomize-engine")
    if tree_id.startswith("output/"):
        tree = trees.committed(tree_id)
    else:
        tree = trees.render(tree_id, folder / "variant")
    objects = build(loopback_copy(tree.directory, helm_repo, folder), helm, folder)
    with control_plane(binaries, certs, etcd_url, f"kustomize-{tree_id}", folder) as plane:
        # Namespaces first, as kubectl apply of kustomize's output does (it sorts them first).
        for obj in sorted(objects, key=lambda o: o["kind"] != "Namespace"):
            plane.kube.apply(obj)
        yield Applied(plane, objects, Expect.of(tree.values))


def test_every_namespaced_object_names_a_namespace_the_tree_creates(applied: Applied) -> None:
    created = {o["metadata"]["name"] for o in applied.objects if o["kind"] == "Namespace"}
    misplaced = []
    for obj in applied.objects:
        if applied.plane.kube.resource(obj["apiVersion"], obj["kind"]).namespaced:
            namespace = obj["metadata"].get("namespace")
            if namespace not in created:
                misplaced.append(f"{obj['kind']} {obj['metadata']['name']}: {namespace!r}")
    assert not misplaced, f"namespaces the tree creates: {sorted(created)}; misplaced: {misplaced}"


def test_nothing_landed_in_the_default_namespace(applied: Applied) -> None:
    kube = applied.plane.kube
    for api, kind in (
        ("apps/v1", "Deployment"),
        ("v1", "PersistentVolumeClaim"),
        ("v1", "ServiceAccount"),
    ):
        found = [o["metadata"]["name"] for o in items(kube, api, kind, "default")]
        assert found == [] or (kind == "ServiceAccount" and found == ["default"]), (kind, found)


def test_chart_deployment_runs_as_the_trees_service_account(applied: Applied) -> None:
    check_service_account(applied.plane.kube, applied.expect)


def test_chart_deployment_env_matches_class_and_values(applied: Applied) -> None:
    check_env(applied.plane.kube, applied.expect)


def test_chart_claim_binds_beside_the_provisioner(applied: Applied) -> None:
    """With mount options the chart mounts its export through a PV and a PVC; the PVC must sit
    in the provisioner's namespace and bind (kube-controller-manager's PV controller)."""
    e = applied.expect
    claims = [o for o in applied.objects if o["kind"] == "PersistentVolumeClaim"]
    if not claims:
        assert not any(o["kind"] == "PersistentVolume" for o in applied.objects)
        return
    for claim in claims:  # one per release with mount options (and the preflight's)
        name = claim["metadata"]["name"]
        assert claim["metadata"].get("namespace") == e.namespace, name
        wait_for(
            f"PVC {e.namespace}/{name} Bound",
            partial(_phase, applied.plane.kube, e.namespace, name, "Bound"),
            timeout=120,
        )


def _phase(kube: Kube, namespace: str, name: str, phase: str) -> bool:
    claim = get(kube, "v1", "PersistentVolumeClaim", namespace, name) or {}
    return bool(claim.get("status", {}).get("phase") == phase)


def test_node_installer_stays_in_its_own_namespace(applied: Applied) -> None:
    e = applied.expect
    for daemonset in (o for o in applied.objects if o["kind"] == "DaemonSet"):
        assert daemonset["metadata"]["namespace"] == e.installer_namespace != e.namespace
