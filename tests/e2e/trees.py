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
    # Several exports with the kustomize engine (the real chart inflated once per release), one
    # with mount options (the chart's PV and PVC per release), leader election on (a Role per
    # release); output/studio has several exports with Flux.
    # Both drivers side by side (the migration path): the single form's release kept by pins,
    # two csi-driver-nfs exports served by one driver release, a class each; Flux installs both
    # real charts.
    variants["mixed"] = {
        "cluster": "e2e-mixed",
        "exports": [
            {
                "name": "legacy",
                **NFS,
                "release": SUBDIR,
                "provisionerName": f"cluster.local/{SUBDIR}",
                "storageClass": {"name": "nfs-client"},
            },
            {
                "name": "fast",
                "driver": "csi-driver-nfs",
                "server": "192.168.169.3",
                "path": "/volume1/k8s-ssd",
                "storageClass": {"default": True, "mountPermissions": "0777"},
            },
            {
                "name": "bulk",
                "driver": "csi-driver-nfs",
                "server": "192.168.169.4",
                "path": "/volume2/k8s",
                "mountOptions": ["nfsvers=4.1", "hard"],
            },
        ],
    }
    # Several exports with Argo CD: the Application carries a chart source per release, each
    # with its own values file from the $values reference.
    variants["exports=argocd"] = {
        "cluster": "e2e-exports-argocd",
        "exports": [
            {"name": "fast", **NFS, "storageClass": {"default": True}},
            {"name": "bulk", "server": "192.168.169.4", "path": "/volume2/k8s"},
        ],
        "gitops": {"engine": "argocd", "repoURL": "https://git.example.com/fleet.git"},
    }
    variants["exports"] = {
        "cluster": "e2e-exports",
        "exports": [
            {"name": "fast", **NFS, "storageClass": {"default": True}},
            {
                "name": "bulk",
                "server": "192.168.169.4",
                "path": "/volume2/k8s",
                "mountOptions": ["nfsvers=4.1", "hard"],
                "storageClass": {"reclaimPolicy": "Retain"},
            },
        ],
        "provisioner": {"replicas": 2},
        "gitops": {"engine": "kustomize"},
    }
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


def exports_of_variant(tree_id: str) -> list[Obj]:
    """The exports a variant's values list (empty for the single form)."""
    listed: list[Obj] = variant_values()[tree_id].get("exports", [])
    return listed


def tree_ids() -> list[str]:
    return committed_ids() + list(variant_values())


def values_of(values: Path) -> Obj:
    """The values file merged over the _defaults.yaml beside it, by the product's own loader."""
    (doc,) = load_valid([values])
    return dict(doc.data)


@dataclass(frozen=True)
class ExportExpect:
    """What one export of a values file must give the cluster: names derived by the product's
    model (each computed once there), the export's own values."""

    name: str | None  # None: the single form
    namespace: str  # where its release's workloads run (csi-driver-nfs: csi.namespace)
    release: str
    provisioner: str
    service_account: str
    storage_class: str
    server: str
    path: str
    default: bool
    driver: str
    helm_repository: str
    deployment: str  # the chart's Deployment that provisions (subdir: the release's)
    accounts: tuple[str, ...]  # the release's ServiceAccounts (csi-driver-nfs: controller, node)
    bindings: tuple[str, ...]  # the ClusterRoleBindings of its provisioning account


def exports_of(values: Path) -> list[ExportExpect]:
    """Every export of a values file (the single form is one), in the file's order."""
    from generator.model import build_model

    model = build_model(values_of(values), str(values))
    return [
        ExportExpect(
            name=export.spec["name"],
            namespace=export.names.namespace,
            release=export.names.release,
            provisioner=export.names.provisioner,
            service_account=export.names.service_account,
            storage_class=export.names.storage_class,
            server=str(export.spec["server"]),
            path=str(export.spec["path"]),
            default=bool(export.storage_class["default"]),
            driver=export.driver.name,
            helm_repository=export.names.helm_repository,
            deployment=getattr(export.driver, "controller", export.names.release),
            accounts=(
                export.names.service_account,
                *_present(getattr(export.driver, "node_service_account", None)),
            ),
            bindings=(
                export.names.cluster_role_binding,
                *_present(getattr(export.driver, "resizer_binding", None)),
            ),
        )
        for export in model.exports
    ]


def _present(name: str | None) -> tuple[str, ...]:
    return (name,) if name else ()


def expectations(values: Path) -> tuple[bool, bool, bool, str]:
    """(a default class, nodeInstaller.enabled, leader election, the cluster's driver) of a
    values file; the installer's default is the model's (on while an export uses subdir)."""
    from generator.model import build_model

    data = values_of(values)
    driver = str(data.get("driver") or SUBDIR)
    default_class = any(export.default for export in exports_of(values))
    installer = build_model(data, str(values)).values["nodeInstaller"]["enabled"]
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


def provisioner_accounts(tree: Tree, driver: str | None = None) -> list[tuple[str, str]]:
    """(namespace, name) of each provisioner's ServiceAccount, from the values: one per
    export's release (several exports, several provisioners); of one driver's when given."""
    found = [
        (e.namespace, e.service_account)
        for e in exports_of(tree.values)
        if driver is None or e.driver == driver
    ]
    return list(dict.fromkeys(found))


def pod_security(tree: Tree) -> str:
    """`namespace`'s Pod Security level the values ask for (the model's): baseline unless the
    installer shares it."""
    from generator.model import build_model

    level: str = build_model(values_of(tree.values), str(tree.values)).pod_security
    return level


def release_levels(tree: Tree) -> dict[str, str]:
    """Each release's namespace -> the Pod Security level its driver's pods need (the model's
    driver facts: csi-driver-nfs privileged in csi.namespace, subdir baseline in namespace)."""
    from generator.model import build_model

    model = build_model(values_of(tree.values), str(tree.values))
    return {x.names.namespace: x.driver.pod_security for x in model.releases}


def default_class(tree: Tree) -> str | None:
    """The class the values make the default, if any."""
    return next((e.storage_class for e in exports_of(tree.values) if e.default), None)
