"""The rendered trees the end-to-end tests run against, and what to expect of each.

Two sources: every committed tree (output/<cluster>/kustomization.yaml), and one tree per GitOps
engine rendered into a temporary folder with the CLI, plus a tree with storageClass.default false.
What a test expects comes from the values file (the input), never from the rendered output.

Trees are grouped by driver: the suites written for nfs-subdir-external-provisioner (its chart's
RBAC, its installer, its Deployment's environment) take the trees of that driver (`tree_ids`,
`committed_ids`, `variant_values`); csi-driver-nfs trees have their own suite
(test_csi_driver_nfs.py: `committed_ids(CSI)`, `csi_variant_values`).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.drivers import registry
from generator.lint import read_kustomization, without_helm_charts
from generator.schema import engines
from generator.values.fleet import load_valid

from .kubeapi import Obj

REPO = Path(__file__).resolve().parents[2]
NFS = {"server": "192.168.169.3", "path": "/data/K8s"}
SUBDIR = "nfs-subdir-external-provisioner"
CSI = "csi-driver-nfs"


@dataclass(frozen=True)
class Tree:
    id: str
    directory: Path
    values: Path
    default_class: bool  # storageClass.default in the values (default true)
    installer: bool  # nodeInstaller.enabled in the values (default true)
    # provisioner.leaderElection, null (the default) meaning replicas > 1 (default 1)
    leader_election: bool
    driver: str = SUBDIR


def committed_ids(driver: str = SUBDIR) -> list[str]:
    """The committed trees whose values file picks `driver`."""
    found = [f"output/{p.parent.name}" for p in sorted(REPO.glob("output/*/kustomization.yaml"))]
    return [tree_id for tree_id in found if committed(tree_id).driver == driver]


def variant_values() -> dict[str, Obj]:
    variants: dict[str, Obj] = {}
    for engine in engines():
        gitops: Obj = {"engine": engine}
        if engine == "argocd":
            gitops |= {
                "repoURL": "https://git.example.com/fleet.git",
                "argocd": {"applicationSet": True},
            }
        variants[f"engine={engine}"] = {
            "cluster": f"e2e-{engine}",
            "nfs": NFS,
            "storageClass": {"default": True},
            "gitops": gitops,
        }
    variants["default=false"] = {
        "cluster": "e2e-nodefault",
        "nfs": NFS,
        "storageClass": {"default": False},
    }
    # Leader election on (two replicas): the chart's endpoints Role and RoleBinding come back.
    variants["replicas=2"] = {"cluster": "e2e-replicas", "nfs": NFS, "provisioner": {"replicas": 2}}
    return variants


def csi_variant_values() -> dict[str, Obj]:
    """csi-driver-nfs in each engine, default class; snapshots on except with kustomize, so both
    settings of the chart's snapshotter sidecar are installed somewhere; Argo CD's on k0s (its
    own kubelet directory; values/edge.yaml is microk8s, the others generic)."""
    variants: dict[str, Obj] = {}
    for engine in engines():
        gitops: Obj = {"engine": engine}
        if engine == "argocd":
            gitops |= {"repoURL": "https://git.example.com/fleet.git"}
        variants[f"csi-engine={engine}"] = {
            "cluster": f"e2e-csi-{engine}",
            "driver": CSI,
            "nfs": NFS,
            "storageClass": {"default": True},
            "csi": {"snapshots": {"enabled": engine != "kustomize"}},
            "gitops": gitops,
        }
        if engine == "argocd":
            variants[f"csi-engine={engine}"]["distribution"] = "k0s"
    return variants


def tree_ids() -> list[str]:
    return committed_ids() + list(variant_values())


def values_of(values: Path) -> Obj:
    """The values file merged over the _defaults.yaml beside it, by the product's own loader."""
    (doc,) = load_valid([values])
    return dict(doc.data)


def expectations(values: Path) -> tuple[bool, bool, bool, str]:
    """(storageClass.default, nodeInstaller.enabled, leader election, driver) of a values file;
    the node installer's default is the driver's (csi-driver-nfs brings its own NFS client)."""
    data = values_of(values)
    driver = str(data.get("driver") or SUBDIR)
    default_class = (data.get("storageClass") or {}).get("default", True)
    default = registry()[driver].defaults.get(("nodeInstaller", "enabled"), True)
    if callable(default):  # computed from the distribution
        default = default({"distribution": "generic", **data})
    installer = (data.get("nodeInstaller") or {}).get("enabled", default)
    provisioner = data.get("provisioner") or {}
    election = provisioner.get("leaderElection")
    if election is None:
        election = provisioner.get("replicas", 1) > 1
    return bool(default_class), bool(installer), bool(election), driver


def committed(tree_id: str) -> Tree:
    cluster = tree_id.removeprefix("output/")
    for values in sorted(REPO.glob("values/*.y*ml")):
        data: Any = yaml.safe_load(values.read_text())
        if isinstance(data, dict) and data.get("cluster") == cluster:
            return Tree(tree_id, REPO / "output" / cluster, values, *expectations(values))
    raise FileNotFoundError(f"no values/*.yaml has cluster: {cluster} (tree {tree_id})")


def render(tree_id: str, workdir: Path) -> Tree:
    """Render one variant with the project's CLI (the same code `make render` runs)."""
    data = {**variant_values(), **csi_variant_values()}[tree_id]
    workdir.mkdir(parents=True, exist_ok=True)
    values = workdir / "values.yaml"
    values.write_text(yaml.safe_dump(data, sort_keys=False))
    out = workdir / "output"
    result = subprocess.run(
        [sys.executable, "-m", "generator", "render", str(values), "--output-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"render of {tree_id} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    directory = out / data["cluster"]
    if not (directory / "kustomization.yaml").is_file():
        directory = out
    return Tree(tree_id, directory, values, *expectations(values))


def build(kustomize: Path, tree: Tree, workdir: Path) -> tuple[list[Obj], list[str]]:
    """`kustomize build` the tree; returns its objects and notes on anything left out.

    A kustomization that inflates the chart with helmCharts needs --enable-helm, a helm binary
    and the chart from its repository, none of which is available offline; such a tree is built
    without its helmCharts entry (the chart's own objects are left out, and a note says so).
    """
    notes: list[str] = []
    path, data, problems = read_kustomization(tree.directory)
    if path is None or problems:
        raise RuntimeError(f"{tree.id}: {'; '.join(map(str, problems))}")
    copy = workdir / "without-helm-charts"
    directory, charts = without_helm_charts(tree.directory, path, data, copy)
    if charts:
        shown = ", ".join(charts)
        notes.append(f"{tree.id}: helmCharts ({shown}) not inflated offline; built without them")
    result = subprocess.run(
        [str(kustomize), "build", str(directory)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"kustomize build {directory} failed:\n{result.stderr}")
    objects = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    return objects, notes


def outside_kustomization(tree: Tree, built: list[Obj]) -> list[Obj]:
    """Objects in the tree's files that `kustomize build` does not emit, such as an Argo CD
    Application the operator applies once by hand (or an ApplicationSet applies for them)."""
    seen = {identity(o) for o in built}
    extra: list[Obj] = []
    for path in sorted(tree.directory.glob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if (
                isinstance(doc, dict)
                and "apiVersion" in doc
                and "kind" in doc
                and not doc["apiVersion"].startswith("kustomize.config.k8s.io/")
                and identity(doc) not in seen
            ):
                extra.append(doc)
    return extra


def identity(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    group = obj["apiVersion"].rpartition("/")[0]
    return group, obj["kind"], str(meta.get("namespace", "")), str(meta.get("name", ""))


# -- reading the built objects ----------------------------------------------------------------
def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o.get("kind") == kind]


def one(objects: list[Obj], kind: str) -> Obj:
    found = of_kind(objects, kind)
    assert len(found) == 1, f"expected exactly one {kind}, found {len(found)}"
    return found[0]


def installer(objects: list[Obj]) -> Obj:
    return one(objects, "DaemonSet")


def provisioner_account(objects: list[Obj]) -> tuple[str, str]:
    """(namespace, name) of the provisioner's ServiceAccount.

    The tree holds the ServiceAccount the chart's Deployment runs as (the chart's own
    ServiceAccount creation is switched off), and the installer DaemonSet's when it has one.
    """
    installers = {  # and the preflight Job's
        (d["metadata"]["namespace"], d["spec"]["template"]["spec"].get("serviceAccountName"))
        for d in of_kind(objects, "DaemonSet") + of_kind(objects, "Job")
    }
    others = [
        (a["metadata"]["namespace"], a["metadata"]["name"])
        for a in of_kind(objects, "ServiceAccount")
        if (a["metadata"]["namespace"], a["metadata"]["name"]) not in installers
    ]
    assert len(others) == 1, f"expected one provisioner ServiceAccount, found {others}"
    return others[0]
